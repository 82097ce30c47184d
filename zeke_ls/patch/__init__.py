"""Model edits to document changes: parse (any format), match and apply, to WorkspaceEdit.

Everything here is pure (no I/O, no LSP session), so it is unit-tested and benchmarked
directly; `features/edits.py` wires it to documents and Glyph.
"""
