"""Matching and applying: exact to fuzzy, refusals with reasons, bytes kept, and properties.

The hypothesis properties are the promise users care about: a correct diff applies to give
exactly the new text, and a damaged one either applies correctly or is refused, never lands
somewhere else.
"""

from __future__ import annotations

import difflib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from zeke_ls.patch.apply import apply_hunks
from zeke_ls.patch.parse import parse_edit

CODE = """import os


def load(path):
    with open(path) as handle:
        data = handle.read()
    return data


def save(path, data):
    with open(path, "w") as handle:
        handle.write(data)
    return len(data)
"""


def run(text: str, edit: str, threshold: float = 0.9):
    [patch] = parse_edit(edit)
    return apply_hunks(text, [(f"h{i + 1}", h) for i, h in enumerate(patch.hunks)], threshold)


def udiff(a: str, b: str, n: int = 3) -> str:
    lines = difflib.unified_diff(
        a.splitlines(keepends=True), b.splitlines(keepends=True), "a/f", "b/f", n=n
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def test_exact_udiff_applies():
    new = CODE.replace("data = handle.read()", "data = handle.read().strip()")
    result = run(CODE, udiff(CODE, new))
    assert result.text == new
    assert result.outcomes[0].level == "exact" and result.outcomes[0].line == 3


def test_whitespace_damage_keeps_file_whitespace():
    edit = '@@ @@\n def save(path,   data):\n-    with open(path, "w") as handle:\t\n+    with open(path, "x") as handle:\n'
    result = run(CODE, edit)
    assert result.outcomes[0].level == "whitespace"
    assert result.text == CODE.replace('"w"', '"x"')


def test_indentation_relative_reindents_added_lines():
    edit = "@@ @@\n with open(path) as handle:\n-    data = handle.read()\n+    data = handle.read()\n+    print(data)\n"
    result = run(CODE, edit)
    assert result.outcomes[0].level == "indent"
    assert "        data = handle.read()\n        print(data)\n    return data" in result.text


def test_fuzzy_with_missing_context_line_keeps_it():
    edit = "@@ @@\n def load(path):\n     with open(path) as handle:\n-    return data\n+    return data or ''\n"
    result = run(CODE, edit, threshold=0.8)
    assert result.outcomes[0].status == "applied" and result.outcomes[0].level == "fuzzy"
    assert "        data = handle.read()\n    return data or ''\n" in result.text


def test_ambiguous_hunk_is_refused_with_candidates():
    edit = "@@ @@\n-    return data\n+    return None\n"
    text = CODE + "\n\ndef other(data):\n    return data\n"
    result = run(text, edit)
    outcome = result.outcomes[0]
    assert outcome.status == "refused" and "ambiguous" in (outcome.reason or "")
    assert outcome.candidates == [7, 17]
    assert result.text == text


def test_hunk_matching_nowhere_is_refused_and_text_untouched():
    result = run(CODE, "@@ @@\n def missing():\n-    pass\n+    return 1\n")
    assert result.outcomes[0].status == "refused"
    assert result.text == CODE


def test_low_similarity_is_refused():
    edit = "@@ @@\n def load(path):\n-    with open(path, 'rb') as f:\n-        blob = f.read(1024)\n+    x = 1\n"
    result = run(CODE, edit)
    assert result.outcomes[0].status == "refused"
    assert result.text == CODE


def test_crlf_final_newline_and_bom_are_kept():
    text = "\ufeffa\r\nb\r\nc"
    result = run(text, "@@ @@\n a\n-b\n+B\n+B2\n c\n")
    assert result.text == "\ufeffa\r\nB\r\nB2\r\nc"


def test_one_good_one_bad_hunk_applies_only_the_good_one():
    edit = "@@ @@\n import os\n+import sys\n@@ @@\n-nothing like this\n+x\n"
    result = run(CODE, edit)
    assert [o.status for o in result.outcomes] == ["applied", "refused"]
    assert result.text.startswith("import os\nimport sys\n")


def test_elided_hunk_pieces_apply_in_order():
    edit = "@@ @@\n def load(path):\n-    with open(path) as handle:\n+    with open(path, encoding='utf-8') as handle:\n...\n-    return len(data)\n+    return len(data or '')\n"
    result = run(CODE, edit)
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    assert "encoding='utf-8'" in result.text and "len(data or '')" in result.text


# --- properties -----------------------------------------------------------------------------

WORDS = ["x = 1", "y = 2", "return x", "pass", "", "    if x:", "        y += 1", "}", "# note"]


@st.composite
def versions(draw, alphabet: list[str] | None = None):
    if alphabet is None:
        a = [f"line {i} {draw(st.sampled_from(WORDS))}" for i in range(draw(st.integers(1, 40)))]
    else:
        a = draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=40))
    b = list(a)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(b)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        new_line = f"new {draw(st.integers(0, 999))} {draw(st.sampled_from(WORDS))}"
        if action == "insert" or not b or pos >= len(b):
            b.insert(pos, new_line)
        elif action == "delete":
            del b[pos]
        else:
            b[pos] = new_line
    return "".join(x + "\n" for x in a), "".join(x + "\n" for x in b)


@settings(max_examples=150, deadline=None)
@given(versions())
def test_roundtrip_unique_lines(pair):
    a, b = pair
    if a == b:
        return
    result = run(a, udiff(a, b))
    assert result.text == b


def _damage(diff: str, how: str) -> str:
    if how == "no_numbers":
        return re.sub(r"^@@ .* @@$", "@@ @@", diff, flags=re.M)
    if how == "shifted":
        return re.sub(r"^@@ -(\d+)", lambda m: f"@@ -{int(m.group(1)) + 7}", diff, flags=re.M)
    if how == "trailing_ws":
        return "\n".join(line + "  " if line.startswith(" ") else line for line in diff.split("\n"))
    return diff


@settings(max_examples=200, deadline=None)
@given(
    versions(WORDS),
    st.sampled_from(["none", "no_numbers", "shifted", "trailing_ws"]),
    st.integers(0, 3),
)
def test_damaged_diffs_apply_correctly_or_are_refused(pair, how, context):
    a, b = pair
    if a == b:
        return
    true_diff = udiff(a, b, n=context)
    [patch] = parse_edit(true_diff)
    truth = [h.start for h in patch.hunks]
    result = run(a, _damage(true_diff, how))
    for outcome, start, hunk in zip(result.outcomes, truth, patch.hunks, strict=True):
        if outcome.status == "applied" and hunk.old:
            assert outcome.line == start, f"hunk {outcome.id} misplaced"
    if all(o.status == "applied" for o in result.outcomes):
        assert result.text == b
    else:
        assert result.text != b or a == b


@settings(max_examples=200, deadline=None)
@given(versions(WORDS), st.integers(0, 3), st.sampled_from(["", " ", "\t"]))
def test_search_replace_blocks_apply_correctly_or_are_refused(pair, context, indent):
    """Each hunk as its own SEARCH/REPLACE block (no line numbers), optionally re-indented:
    every block lands where it belongs or the file is left exactly as it was."""
    a, b = pair
    if a == b:
        return
    [patch] = parse_edit(udiff(a, b, n=context))
    for hunk in [h for h in patch.hunks if any(line.strip() for line in h.old)]:
        old = "".join(indent + line + "\n" for line in hunk.old)
        new = "".join(indent + line + "\n" for line in hunk.new)
        block = f"f.py\n<<<<<<< SEARCH\n{old}=======\n{new}>>>>>>> REPLACE\n"
        [sr] = parse_edit(block)
        result = apply_hunks(a, [("h1", sr.hunks[0])]).text
        lines = a.splitlines(keepends=True)
        start = (hunk.start or 1) - 1
        truth = lines[:start] + [x + "\n" for x in hunk.new] + lines[start + len(hunk.old) :]
        assert result in (a, "".join(truth))
