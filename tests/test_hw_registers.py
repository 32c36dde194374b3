"""tlcim.hw.registers: register descriptions, their encoding and decoding, their messages, and
the views generated from them (Markdown, JSON, C header), on the tlcim register map."""

import json
import re

import pytest

from tlcim.golden import Config
from tlcim.golden.errors import ErrorCode
from tlcim.hw.regmap import register_map
from tlcim.hw.registers import Access, Field, Register, RegisterMap


def test_generated_documents():
    regmap = register_map(Config.preset("small"))
    data = json.loads(regmap.json())
    assert data == regmap.to_dict()
    assert [r["name"] for r in data["registers"]] == [r.name for r in regmap]
    markdown = regmap.markdown()
    header = regmap.c_header()
    for register in regmap:
        assert f"| `{register.address:#05x}` | `{register.name}` |" in markdown
        assert re.search(rf"^#define TLCIM_{register.name} {register.address:#05x}u$", header,
                         re.MULTILINE)
        for field in register.fields:
            name = f"TLCIM_{register.name}_{field.name.upper()}"
            assert f"#define {name}_SHIFT {field.lsb}u" in header
            assert f"#define {name}_MASK {field.mask:#010x}u" in header
    assert "#define TLCIM_NVM_CMD 0x200u" in header
    assert header.startswith("/* Generated") and header.rstrip().endswith("#endif /* TLCIM_REGS_H */")
    for code in ErrorCode:
        assert f"{code.value} = {code.label}" in markdown


def test_encode_decode():
    ctrl = register_map(Config())["CTRL"]
    word = ctrl.encode(requant=1, clear=1)
    assert word == 0x101
    assert ctrl.decode(word) == {"requant": 1, "relu": 0, "clear": 1}
    with pytest.raises(ValueError, match=r"CTRL.requant must fit in 1 bits, not 2"):
        ctrl.encode(requant=2)
    with pytest.raises(ValueError, match=r"register CTRL has no field 'speed'; fields are "
                                         r"requant, relu, clear"):
        ctrl.encode(speed=1)


def test_description_messages():
    with pytest.raises(ValueError, match=r"field wide must lie within bits 0..31, "
                                         r"not lsb 30 width 4"):
        Field("wide", 30, 4, Access.RW)
    with pytest.raises(ValueError, match=r"field f reset value must fit in 2 bits, not 4"):
        Field("f", 0, 2, Access.RW, reset=4)
    with pytest.raises(ValueError, match=r"register R address must be a multiple of 4 below "
                                         r"0x1000, not 0x6"):
        Register("R", 6, ())
    with pytest.raises(ValueError, match=r"register R: field b overlaps another"):
        Register("R", 0, (Field("a", 0, 4, Access.RW), Field("b", 3, 2, Access.RW)))
    with pytest.raises(ValueError, match=r"register addresses must be unique"):
        RegisterMap([Register("A", 0, ()), Register("B", 0, ())])
    with pytest.raises(ValueError, match=r"no register named 'NOPE'"):
        register_map(Config())["NOPE"]
