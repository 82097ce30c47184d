"""Hunks whose context drops or adds blank lines: placed when certain, refused when not."""

from __future__ import annotations

from zeke_ls.patch.apply import apply_hunks
from zeke_ls.patch.parse import Hunk

FILE = "def a():\n    x = 1\n\n    return x\n\n\ndef b():\n    pass\n"


def apply(ops: list[tuple[str, str]]) -> tuple[str, str]:
    result = apply_hunks(FILE, [("h1", Hunk(ops))])  # type: ignore[arg-type]
    return result.outcomes[0].status, result.text


def test_replacement_with_blank_context_dropped_lands_where_the_removed_line_was():
    status, text = apply(
        [(" ", "    x = 1"), ("-", "    return x"), ("+", "    return x + 1"), (" ", "def b():")]
    )
    assert status == "applied"
    assert text == FILE.replace("return x\n", "return x + 1\n")


def test_pure_insertion_across_dropped_blank_lines_is_refused():
    status, text = apply(
        [(" ", "    return x"), ("+", "def c():"), ("+", "    pass"), (" ", "def b():")]
    )
    assert status == "refused" and text == FILE


def test_an_extra_blank_context_line_is_tolerated():
    status, text = apply(
        [(" ", "    x = 1"), (" ", ""), (" ", ""), ("-", "    return x"), ("+", "    return 2 * x")]
    )
    assert status == "applied"
    assert text == FILE.replace("return x\n", "return 2 * x\n")
