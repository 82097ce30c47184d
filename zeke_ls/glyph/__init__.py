"""Glyph: the MCP file-tool server (embedded `zeke-ls glyph`) and the daemon's MCP client."""
