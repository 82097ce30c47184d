"""The edit parser: every format models produce, with the damage models do to them."""

from __future__ import annotations

import pytest

from zeke_ls.patch.parse import ParseError, parse_edit


def test_fenced_udiff_with_stale_numbers_and_counts():
    text = """Sure, here is the change:

```diff
--- a/app/x.py
+++ b/app/x.py
@@ -99,2 +99,9 @@ def f():
 def f():
-    return 1
+    return 2
```
That should do it."""
    [patch] = parse_edit(text)
    assert patch.path == "app/x.py" and patch.kind == "modify"
    [hunk] = patch.hunks
    assert hunk.ops == [(" ", "def f():"), ("-", "    return 1"), ("+", "    return 2")]
    assert hunk.start == 99


def test_udiff_without_headers_or_numbers_and_blank_context():
    text = "@@ @@\n a\n\n-b\n+c\n"
    [patch] = parse_edit(text)
    assert patch.path is None
    assert patch.hunks[0].ops == [(" ", "a"), (" ", ""), ("-", "b"), ("+", "c")]


def test_elision_splits_hunk_and_later_piece_follows():
    text = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n a\n-b\n+B\n...\n y\n-z\n+Z\n"
    [patch] = parse_edit(text)
    first, second = patch.hunks
    assert first.old == ["a", "b"] and second.old == ["y", "z"]
    assert second.follows and not first.follows


def test_indented_ellipsis_is_code_not_elision():
    text = "@@ @@\n class P:\n-    ...\n+    pass\n"
    [patch] = parse_edit(text)
    assert len(patch.hunks) == 1 and patch.hunks[0].old == ["class P:", "    ..."]


def test_new_file_deletion_and_rename():
    text = (
        "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n"
        "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n"
        "--- a/a.py\n+++ b/b.py\n@@ -1 +1 @@\n-p\n+q\n"
    )
    created, deleted, renamed = parse_edit(text)
    assert (created.kind, created.path, created.content) == ("create", "new.py", "x = 1\ny = 2\n")
    assert (deleted.kind, deleted.path) == ("delete", "old.py")
    assert (renamed.path, renamed.new_path) == ("a.py", "b.py")


def test_search_replace_blocks_merge_per_file():
    text = """src/m.py
```python
<<<<<<< SEARCH
def f():
    return 1
=======
def f():
    return 2
>>>>>>> REPLACE
```

src/m.py
<<<<<<< SEARCH
x = 1
=======
x = 3
>>>>>>> REPLACE
"""
    [patch] = parse_edit(text)
    assert patch.path == "src/m.py" and len(patch.hunks) == 2
    assert patch.hunks[0].ops[0] == (" ", "def f():")  # unchanged lines become context


def test_search_replace_with_empty_search_creates_file():
    [patch] = parse_edit("new.txt\n<<<<<<< SEARCH\n=======\nhello\n>>>>>>> REPLACE\n")
    assert (patch.kind, patch.path, patch.content) == ("create", "new.txt", "hello\n")


def test_unclosed_search_replace_is_a_parse_error():
    with pytest.raises(ParseError, match="not closed"):
        parse_edit("x.py\n<<<<<<< SEARCH\nfoo\n=======\nbar\n")


def test_whole_file_block_with_and_without_path():
    [one] = parse_edit("```python\nprint(1)\n```")
    assert (one.kind, one.path, one.content) == ("rewrite", None, "print(1)\n")
    a, b = parse_edit("```python a.py\nA\n```\nand\nb/c.py\n```\nB\n```\n")
    assert (a.path, a.content, b.path, b.content) == ("a.py", "A\n", "b/c.py", "B\n")


def test_prose_only_is_a_parse_error():
    with pytest.raises(ParseError, match="no unified diff"):
        parse_edit("I could not find anything to change.")
