"""Data files shipped with tlcim: the generic Liberty library and the SDC template."""
