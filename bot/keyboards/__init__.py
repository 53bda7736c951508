"""Inline keyboards, one module per use case; labels are translated when a keyboard is built."""
