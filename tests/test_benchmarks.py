"""The benchmarks' command lines (the benchmarks themselves are measurements, not tests): a
configuration they cannot load is a usage error that names it, before any work."""

import importlib

import pytest

#: Benchmark modules and the option that names a configuration.
OPTIONS = [("bench_cxx", "--config"), ("bench_harness", "--config"), ("bench_stub", "--config"),
           ("bench_model", "--config"), ("bench_pnr", "--config"), ("bench_qrouter", "--config"),
           ("bench_flows", "--config"), ("bench_signoff", "--config"),
           ("bench_rtl", "--configs"), ("bench_rtl", "--speed-config")]


@pytest.mark.parametrize("name,option", OPTIONS, ids=[f"{n}{o}" for n, o in OPTIONS])
def test_an_unknown_configuration_is_a_usage_error(name, option, capsys):
    module = importlib.import_module(f"benchmarks.{name}")
    value = "small,nonsense" if option == "--configs" else "nonsense"
    with pytest.raises(SystemExit) as stopped:
        module.main([option, value])
    assert stopped.value.code == 2
    assert f"argument {option}: unknown preset 'nonsense'" in capsys.readouterr().err


def test_bench_cxx_needs_two_different_optimisations(capsys):
    from benchmarks import bench_cxx
    with pytest.raises(SystemExit) as stopped:
        bench_cxx.main(["--level=-O3", "--baseline=-O3"])
    assert stopped.value.code == 2
    assert "--level and --baseline are both -O3: nothing to compare" in capsys.readouterr().err
