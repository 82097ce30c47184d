"""Next-edit suggestions: edit history, prompts, and turning a model's rewrite into one edit.

Pure (no LSP, no HTTP): `history` records what the user changed, `prompt` asks a model for
the rewritten excerpt around the cursor, `extract` diffs the answer into at most one minimal
edit and applies the rules that keep it quiet.
"""
