"""The command line: serve, doctor, models, ask, glyph."""
