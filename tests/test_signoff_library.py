"""The osu018 library and the sign-off tools: found where they are said to be, refused with
the Debian package and the variable otherwise; the static technology matches the files."""

import pytest

from tlcim.signoff import library
from tlcim.signoff.library import OSU018, find_abc, find_library, find_sta, read_technology

from helpers import require_system_tools


def test_technology_agrees_with_the_installed_files():
    require_system_tools()
    found = find_library()
    read = read_technology(found.lef, found.liberty)
    assert read == {"layers": OSU018.layers, "site": OSU018.site,
                    "nominal_voltage": OSU018.nominal_voltage}
    text = found.liberty.read_text()
    for cell in (OSU018.flop, OSU018.buffer, OSU018.drive_cell):
        assert f"cell ({cell})" in text or f'cell ("{cell}")' in text


def test_library_folder_from_the_environment(tmp_path, monkeypatch):
    for kind in ("lib", "lef", "v"):
        (tmp_path / f"osu018_stdcells.{kind}").write_text("")
    monkeypatch.setenv(library.LIBRARY_VARIABLE, str(tmp_path))
    assert find_library().liberty == tmp_path / "osu018_stdcells.lib"
    (tmp_path / "osu018_stdcells.lef").unlink()
    with pytest.raises(ValueError, match=r"osu018_stdcells.lef not in \$TLCIM_OSU018_DIR.*"
                                         r"qflow-tech-osu018.*make system-deps"):
        find_library()


@pytest.mark.parametrize("find, variable, package", [(find_sta, "STA", "opensta"),
                                                     (find_abc, "ABC", "berkeley-abc")])
def test_tool_from_the_environment(find, variable, package, monkeypatch):
    monkeypatch.setenv(variable, "/bin/true")
    assert find() == ["/bin/true"]
    monkeypatch.setenv(variable, "/nonexistent/tool")
    with pytest.raises(ValueError, match=rf"\${variable} = /nonexistent/tool not found.*"
                                         rf"{package}"):
        find()


def test_missing_tools_names_every_missing_package(monkeypatch):
    monkeypatch.setenv("STA", "/nonexistent/sta")
    monkeypatch.setenv("ABC", "/nonexistent/abc")
    reasons = library.missing_tools()
    assert any("opensta" in reason for reason in reasons)
    assert any("berkeley-abc" in reason for reason in reasons)
