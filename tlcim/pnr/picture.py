"""A picture of the routed layout (PNG), drawn by KLayout's Python package off-screen.

KLayout reads the routed DEF with the LEF files; since the Debian library has no cell GDS, the
cells and macros are drawn from their LEF abstracts (``macro_resolution_mode`` 1): outlines,
pins and obstructions. Each routing layer gets its own colour; cell outlines are drawn grey,
the macros' obstructions shaded.
"""

import os

__all__ = ["COLOURS", "render"]

#: Routing layer -> colour (RGB), bottom up.
COLOURS = {"metal1": 0x3f6fff, "metal2": 0xff3f3f, "metal3": 0x2fa02f, "metal4": 0xffb000,
           "metal5": 0xb03fff, "metal6": 0x00b0b0}


def render(def_path, lef_paths, png_path, *, width=1600):
    """Draw ``def_path`` (with ``lef_paths``) into ``png_path``, ``width`` pixels wide.

    Raises
    ------
    ValueError
        If the PyPI package ``klayout`` is not installed.
    """
    try:
        import klayout.db as db
        import klayout.lay as lay
    except ImportError:
        raise ValueError("the layout picture needs the PyPI package klayout "
                         "(pip install klayout)") from None
    config = db.LEFDEFReaderConfiguration()
    config.lef_files = [os.path.abspath(path) for path in lef_paths]
    config.dbu = 0.01
    config.read_lef_with_def = False
    config.produce_cell_outlines = True
    config.cell_outline_layer = "OUTLINE"
    config.macro_resolution_mode = 1  # no GDS: every cell from its LEF abstract
    options = db.LoadLayoutOptions()
    options.lefdef_config = config
    view = lay.LayoutView()
    for key, value in (("background-color", "#ffffff"), ("grid-visible", "false"),
                       ("text-visible", "false")):
        view.set_config(key, value)
    index = view.load_layout(os.path.abspath(def_path), options, True)
    layout = view.cellview(index).layout()
    view.max_hier()
    iterator = view.begin_layers()
    while not iterator.at_end():
        properties = iterator.current().dup()
        name = (properties.source_name or "").upper()
        base = name.split(".")[0].lower()
        colour = COLOURS.get(base)
        if "OUTLINE" in name:
            properties.fill_color = properties.frame_color = 0xc8c8c8
            properties.dither_pattern = 1  # hollow
        elif colour is not None and "LABEL" not in name:
            properties.fill_color = properties.frame_color = colour
            # Wires solid; obstructions and pins of the abstracts lightly dotted.
            properties.dither_pattern = 0 if name.endswith(("NET", "VIA", "SPNET")) or \
                "." not in name else 2
        else:
            properties.visible = False
        view.set_layer_properties(iterator, properties)
        iterator.next()
    view.zoom_fit()
    box = layout.top_cell().dbbox()
    height = max(200, int(width * box.height() / box.width())) if box.width() else width
    view.save_image(os.path.abspath(png_path), width, height)
