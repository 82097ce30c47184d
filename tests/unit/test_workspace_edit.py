"""Before/after texts to WorkspaceEdits: minimal, UTF-16 positions, CRLF intact, file ops."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from zeke_ls.patch.workspace_edit import (
    FileChange,
    apply_text_edits,
    build_workspace_edit,
    minimal_edits,
)


def test_edit_is_trimmed_to_the_changed_characters_in_utf16_units():
    before = "x = '🎉🎉'\ny = 1\n"
    after = "x = '🎉🎉'\ny = 2\n"
    [edit] = minimal_edits(before, after)
    assert (edit.range.start.line, edit.range.start.character, edit.new_text) == (1, 4, "2")
    [same_line] = minimal_edits("a🎉b\n", "a🎉c\n")
    assert same_line.range.start.character == 3  # the emoji is two UTF-16 code units
    [utf8] = minimal_edits("a🎉b\n", "a🎉c\n", encoding="utf-8")
    assert utf8.range.start.character == 5


def test_crlf_lines_are_not_rewritten():
    before = "a\r\nb\r\nc\r\n"
    edits = minimal_edits(before, "a\r\nB\r\nc\r\n")
    assert [(e.range.start.line, e.range.end.line, e.new_text) for e in edits] == [(1, 1, "B")]
    assert apply_text_edits(before, edits) == "a\r\nB\r\nc\r\n"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\r🎉é ", max_size=40), st.text(alphabet="ab\n\r🎉é ", max_size=40))
def test_edits_reproduce_the_new_text(before, after):
    before, after = before.replace("\r", "\r\n"), after.replace("\r", "\r\n")
    assert apply_text_edits(before, minimal_edits(before, after)) == after


def test_file_operations_and_annotations():
    edit = build_workspace_edit(
        [
            FileChange("file:///w/new.py", None, "x = 1\n"),
            FileChange("file:///w/old.py", "gone\n", None),
            FileChange("file:///w/a.py", "p\n", "q\n", version=3, new_uri="file:///w/b.py"),
        ],
        "do it",
    )
    ops = edit.document_changes or []
    kinds = [type(op).__name__ for op in ops]
    assert kinds == [
        "CreateFile",
        "TextDocumentEdit",
        "DeleteFile",
        "TextDocumentEdit",
        "RenameFile",
    ]
    create_text = ops[1]
    assert (
        isinstance(create_text, types.TextDocumentEdit)
        and create_text.text_document.version is None
    )
    versioned = ops[3]
    assert isinstance(versioned, types.TextDocumentEdit) and versioned.text_document.version == 3
    annotation = (edit.change_annotations or {})["zekeEdit"]
    assert annotation.needs_confirmation is True and annotation.description == "do it"
