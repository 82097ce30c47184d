"""The context packer: positions, budgets, token-count caching, CRLF and UTF-16."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from zeke_ls.context.packer import (
    ContextPacker,
    CursorResolver,
    Snippet,
    clean_surrogates,
    line_bounds,
    relative_path,
    resolve_cursor,
)
from zeke_ls.context.positions import index_to_units, units_to_index
from zeke_ls.context.tokens import TokenCounter


def utf16_to_index(line: str, character: int) -> int:
    return units_to_index(line, character, "utf-16")


def index_to_utf16(line: str, index: int) -> int:
    return index_to_units(line, index, "utf-16")


def big_file(lines: int) -> str:
    return "".join(f"def function_{i}(value):\n    return value * {i}\n" for i in range(lines // 2))


def test_utf16_columns_skip_astral_pairs():
    line = 'x = "😀" + y'
    assert utf16_to_index(line, 5) == 5
    assert utf16_to_index(line, 7) == 6  # after the emoji (two units)
    assert utf16_to_index(line, 6) == 5  # inside the pair: snapped before it
    assert utf16_to_index(line, 999) == len(line)
    assert index_to_utf16(line, 6) == 7


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_utf16_round_trip(line):
    for index in range(len(line) + 1):
        assert utf16_to_index(line, index_to_utf16(line, index)) == index


def test_lsp_line_breaks():
    text = "a\r\nbb\rccc\nd"
    assert [line_bounds(text, n) for n in range(4)] == [(0, 1), (3, 5), (6, 9), (10, 11)]
    assert line_bounds(text, 4) is None
    assert line_bounds("a\nb\n", 2) == (4, 4)


def test_cursor_clamps_character_and_rejects_missing_lines():
    cursor = resolve_cursor("ab\r\ncd\r\n", 1, 50)
    assert cursor is not None
    assert (cursor.offset, cursor.line, cursor.character) == (6, 1, 2)
    assert resolve_cursor("ab\n", 5, 0) is None
    assert resolve_cursor("ab\n", -1, 0) is None


def test_crlf_prefix_and_suffix_and_line_parts():
    text = "one\r\ntwo = \r\nthree\r\n"
    cursor = resolve_cursor(text, 1, 6)
    assert cursor is not None
    ctx = ContextPacker().pack(text, cursor, path="x.py", language="python", budget=500)
    assert ctx.prefix == "one\r\ntwo = "
    assert ctx.suffix == "\r\nthree\r\n"
    assert (ctx.line_prefix, ctx.line_suffix) == ("two = ", "")


def test_budget_is_prefix_heavy_and_unused_suffix_goes_to_prefix():
    text = big_file(2000)
    cursor = resolve_cursor(text, 1000, 4)
    assert cursor is not None
    packer = ContextPacker()
    ctx = packer.pack(text, cursor, path="x.py", language="python", budget=400, prefix_ratio=0.75)
    before = packer.counter.count(ctx.prefix)
    after = packer.counter.count(ctx.suffix)
    assert before + after <= 400 + 4  # line-wise counts may differ from the joined text a little
    assert before >= 250 and after <= 100
    assert ctx.suffix.startswith("function_500(value):\n") and not text.endswith(ctx.suffix)
    assert ctx.prefix.endswith("return value * 499\ndef ")
    end_cursor = resolve_cursor(text, 1999, 0)
    assert end_cursor is not None
    at_end = packer.pack(text, end_cursor, path="x.py", language="python", budget=400)
    assert packer.counter.count(at_end.prefix) > 330  # no suffix left to spend on


def test_repack_after_one_keystroke_encodes_only_the_edited_line():
    text = big_file(5000)
    counter = TokenCounter()
    packer = ContextPacker(counter)
    cursor = resolve_cursor(text, 2500, 4)
    assert cursor is not None
    packer.pack(text, cursor, path="x.py", language="python", budget=1536)
    first = counter.encoded_chars
    edited = text[: cursor.offset] + "r" + text[cursor.offset :]
    moved = resolve_cursor(edited, 2500, 5)
    assert moved is not None
    packer.pack(edited, moved, path="x.py", language="python", budget=1536)
    assert first > 3000
    assert counter.encoded_chars - first < 100


def test_snippets_from_other_documents_use_remaining_budget():
    others = [
        Snippet("lib/util.py", "def helper():\n    return 42\n"),
        Snippet("big.log", "line\n" * 100_000),
    ]
    cursor = resolve_cursor("x = \n", 0, 4)
    assert cursor is not None
    ctx = ContextPacker().pack(
        "x = \n", cursor, path="m.py", language="python", budget=100, others=others
    )
    assert ctx.snippets[0] == others[0]
    assert ctx.tokens <= 100
    tight = ContextPacker().pack(
        "x = \n", cursor, path="m.py", language="python", budget=5, others=others
    )
    assert tight.snippets == []


def test_lone_surrogates_are_replaced():
    assert clean_surrogates('s = "\ud83d') == 's = "\ufffd'
    assert clean_surrogates("😀") == "😀"


def test_relative_path_inside_and_outside_roots(tmp_path):
    root = tmp_path / "ws"
    assert relative_path(str(root / "src" / "a.py"), [root]) == "src/a.py"
    assert relative_path("/elsewhere/b.py", [root]) == Path("/elsewhere/b.py").as_posix()


def test_cursor_resolver_agrees_after_edits_before_and_after_the_cursor_line():
    text = big_file(400)
    resolver = CursorResolver()
    edits = [(300, "    x = 1\n"), (10, "# new line above\n"), (350, ""), (0, "\n\n")]
    for line, inserted in edits:
        start, _ = line_bounds(text, line) or (0, 0)
        text = text[:start] + inserted + text[start:]
        for probe in (line, line + 1, 5, 399):
            assert resolver.resolve("doc", text, probe, 3) == resolve_cursor(text, probe, 3)
    assert resolver.resolve("doc", "a\r\nb", 1, 1) == resolve_cursor("a\r\nb", 1, 1)
    assert resolver.resolve("doc", "a\n", 7, 0) is None


def test_lone_carriage_returns_end_lines_too():
    text = "one\rtwo = \rthree"
    cursor = resolve_cursor(text, 1, 6)
    assert cursor is not None
    ctx = ContextPacker().pack(text, cursor, path="x.py", language="python", budget=500)
    assert (ctx.prefix, ctx.suffix, ctx.line_prefix) == ("one\rtwo = ", "\rthree", "two = ")


def test_utf8_and_utf32_columns():
    line = 'é = "😀" + y'
    assert units_to_index(line, len('é = "'.encode()), "utf-8") == 5
    assert units_to_index(line, len('é = "😀'.encode()), "utf-8") == 6
    assert units_to_index(line, len('é = "'.encode()) + 2, "utf-8") == 5  # inside: before it
    assert index_to_units(line, 6, "utf-8") == len('é = "😀'.encode())
    assert units_to_index(line, 6, "utf-32") == 6 and index_to_units(line, 6, "utf-32") == 6
    cursor = resolve_cursor(line, 0, 10, "utf-8")
    assert cursor is not None and (cursor.offset, cursor.character) == (6, 10)
