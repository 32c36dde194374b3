"""tlcim.cli: the ``tlcim`` command line; ``tlcim config`` (JSON, TOML, from a file), bad
configurations exit 2 having written nothing, and the console entry point's exit status."""

import json
import subprocess
import sys
import tomllib

import pytest

from tlcim.golden import Config, PRESETS
from tlcim.cli import main


def test_config_json(capsys):
    assert main(["config", "--config", "small"]) == 0
    printed = json.loads(capsys.readouterr().out)
    small = Config.preset("small")
    assert printed == {"parameters": small.to_dict(), "derived": small.derived()}


@pytest.mark.parametrize("name", ["paper", "ideal"])
def test_config_toml(name, capsys):
    assert main(["config", "--config", name, "--format", "toml"]) == 0
    out = capsys.readouterr().out
    assert out == Config.preset(name).to_toml()
    assert Config.from_dict(tomllib.loads(out)) == Config.preset(name)


def test_config_from_toml_file(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text('rows = 32\nadc_bits = "ideal"\n')
    assert main(["config", "--config", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["parameters"]["rows"] == 32 and printed["parameters"]["adc_bits"] is None


@pytest.mark.parametrize("toml, message", [
    (None, f"tlcim: error: unknown preset 'nosuch'; presets are {', '.join(sorted(PRESETS))}\n"),
    ("rows = 100\n", "tlcim: error: rows must be a multiple of active_rows (16), not 100"),
    ("speed = 3\n", "tlcim: error: bad.toml: unknown parameter(s) speed; known parameters are"),
])
def test_bad_config_exits_2(tmp_path, capsys, toml, message):
    spec = "nosuch"
    if toml is not None:
        spec = str(tmp_path / "bad.toml")
        (tmp_path / "bad.toml").write_text(toml)
    out = tmp_path / "out"
    assert main(["build", "--config", spec, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.out == ""
    assert not out.exists()  # nothing written


def test_console_entry_point_exit_status(tmp_path):
    # The real process: exit status 2 and the message on stderr.
    missing = tmp_path / "missing.toml"
    process = subprocess.run(
        [sys.executable, "-m", "tlcim.cli", "config", "--config", str(missing)],
        capture_output=True, text=True, timeout=60)
    assert process.returncode == 2 and process.stdout == ""
    assert process.stderr == f"tlcim: error: configuration {str(missing)!r} does not exist\n"
