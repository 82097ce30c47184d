"""Next-edit pure parts: history coalescing, prompts, and the extraction and quiet rules."""

from __future__ import annotations

from zeke_ls.nes.extract import Quiet, Suggestion, suggest
from zeke_ls.nes.history import EditHistory, split_lines
from zeke_ls.nes.prompt import CURSOR, chat_messages, excerpt_around, raw_prompt, read_answer

DOC = "def area(w):\n    return w * w\n\n\nprint(area(2))\nprint(area(3))\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def typed(history: EditHistory, clock: Clock, steps: list[str], gap: float = 0.2) -> None:
    for text in steps:
        clock.now += gap
        history.changed("file:///m.py", "m.py", text)


def test_keystrokes_coalesce_into_one_edit():
    clock = Clock()
    history = EditHistory(clock=clock)
    history.opened("file:///m.py", DOC)
    steps = [DOC.replace("area(w)", f"area(w{s})") for s in (",", ", ", ", h")]
    typed(history, clock, steps)
    [edit] = history.recent(5)
    assert (edit.start, edit.old, edit.new) == (0, ["def area(w):"], ["def area(w, h):"])
    assert "-def area(w):\n+def area(w, h):" in edit.unified_diff()


def test_distant_or_late_changes_are_separate_and_undone_typing_vanishes():
    clock = Clock()
    history = EditHistory(clock=clock)
    history.opened("file:///m.py", DOC)
    first = DOC.replace("area(w)", "area(w, h)")
    typed(history, clock, [first])
    second = first.replace("print(area(3))", "print(area(3, 1))")
    typed(history, clock, [second])  # five lines below: another edit
    assert len(history.recent(5)) == 2
    clock.now += 5  # a pause: a new edit even on the same line
    typed(history, clock, [second.replace("area(3, 1)", "area(3, 4)")])
    assert len(history.recent(5)) == 3
    typed(history, clock, [second])  # typed back at once: the edit cancels out
    assert len(history.recent(5)) == 2


def test_history_is_bounded_by_age():
    clock = Clock()
    history = EditHistory(clock=clock)
    history.opened("file:///m.py", DOC)
    typed(history, clock, [DOC.replace("w * w", "w * 2")])
    clock.now += 3600
    assert history.recent(5) == []


def test_chat_prompt_has_diffs_and_cursor_marker():
    lines = split_lines(DOC)
    excerpt = excerpt_around(lines, 4, 10, 40, "m.py", "python")
    clock = Clock()
    history = EditHistory(clock=clock)
    history.opened("u", DOC)
    history.changed("u", "m.py", DOC.replace("area(w)", "area(w, h)"))
    user = chat_messages(excerpt, history.recent(5))[1]["content"]
    assert "-def area(w):\n+def area(w, h):" in user
    assert f"print(area{CURSOR}(2))" in user


def test_window_is_centred_and_clamped():
    lines = [f"line {i}" for i in range(100)]
    assert excerpt_around(lines, 50, 0, 40, "p", "py").start == 30
    assert excerpt_around(lines, 2, 0, 40, "p", "py").start == 0
    assert excerpt_around(lines, 99, 0, 40, "p", "py").end == 100


def test_zeta_formats_round_trip():
    lines = split_lines(DOC)
    excerpt = excerpt_around(lines, 0, 3, 40, "m.py", "python")
    zeta, stop = raw_prompt("zeta", excerpt, [])
    assert "<|editable_region_start|>\ndef<|user_cursor_is_here|> area(w):" in zeta
    assert stop == ["\n<|editable_region_end|>"]
    assert read_answer("zeta", "<|editable_region_start|>\nx = 1\n") == "x = 1"
    zeta2, _ = raw_prompt("zeta2", excerpt, [])
    assert "<<<<<<< CURRENT\ndef<|user_cursor|> area" in zeta2
    assert read_answer("zeta2", "x<|user_cursor|> = 1\n>>>>>>> UPDATED") == "x = 1"
    assert read_answer("chat", "Sure:\n```python\nx = 1\n```\nDone.") == "x = 1"
    assert read_answer("chat", "no code here") is None


# --- extraction -------------------------------------------------------------------------


def run(
    answer: str | None,
    current: str = DOC,
    cursor: tuple[int, int] = (4, 10),
    last: tuple[str, str] | None = None,
    window: int = 40,
) -> Suggestion | Quiet:
    clock = Clock()
    history = EditHistory(clock=clock)
    sent = DOC
    if last is not None:
        history.opened("u", sent.replace(last[1], last[0]))
        history.changed("u", "m.py", sent)
    lines = split_lines(sent)
    excerpt = excerpt_around(lines, cursor[0], cursor[1], window, "m.py", "python")
    return suggest(excerpt, answer, lines, current, history.recent(5))


def apply(text: str, s: Suggestion) -> str:
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: s.line]) + s.index
    end = sum(len(x) + 1 for x in lines[: s.end_line]) + s.end_index
    return text[:start] + s.text + text[end:]


def test_exact_rewrite_gives_the_minimal_edit_and_cursor():
    want = DOC.replace("print(area(3))", "print(area(3, 4))")
    result = run(want.rstrip("\n"))
    assert result == Suggestion(5, 12, 5, 12, ", 4", 5, 15)
    assert apply(DOC, result) == want


def test_noise_models_add_is_dropped():
    want = DOC.replace("print(area(3))", "print(area(3, 4))")
    no_blanks = want.replace("\n\n\n", "\n").rstrip("\n")
    assert apply(DOC, run(no_blanks)) == want
    shifted = "\n".join("    " + x if x else x for x in want.rstrip("\n").split("\n"))
    assert apply(DOC, run(shifted)) == want
    earlier = DOC.replace("print(area(2))", "print(area(2, 4))")
    truncated = "\n".join(earlier.split("\n")[:-2])  # the last line not echoed
    assert apply(DOC, run(truncated)) == earlier


def test_quiet_rules():
    assert run(None) == Quiet("empty")
    assert run("") == Quiet("empty")
    assert run(DOC) == Quiet("unchanged")
    assert run(DOC.replace("    return w * w", "  return w*w")) == Quiet("whitespace")
    undo = DOC.replace("w * w", "w ** 2")
    assert run(undo, last=("w ** 2", "w * w")) == Quiet("undo")


def test_stale_echo_of_the_last_edit_is_dropped_but_the_real_edit_stays():
    answer = DOC.replace("w * w", "w ** 2").replace("print(area(3))", "print(area(3) + 1)")
    result = run(answer, last=("w ** 2", "w * w"))
    assert apply(DOC, result) == DOC.replace("print(area(3))", "print(area(3) + 1)")


def test_outside_the_window_is_quiet():
    lines = [f"x{i} = {i}" for i in range(60)]
    text = "\n".join(lines) + "\n"
    sent = split_lines(text)
    excerpt = excerpt_around(sent, 30, 0, 10, "m.py", "python")
    answer = "\n".join(excerpt.lines).replace("x31 = 31", "x31 = 0")
    assert isinstance(suggest(excerpt, answer, sent, text, [], (30, 35)), Suggestion)
    assert suggest(excerpt, answer, sent, text, [], (32, 35)) == Quiet("outside")


def test_text_typed_since_the_request_moves_or_silences_the_edit():
    want_line = "print(area(3, 4))"
    answer = DOC.replace("print(area(3))", want_line)
    moved = "# header\n" + DOC
    result = run(answer, current=moved)
    assert apply(moved, result) == "# header\n" + answer
    typed_inside = DOC.replace("print(area(3))", "print(area(33))")
    assert run(answer, current=typed_inside) == Quiet("conflict")


def test_related_change_wins_over_nearer_unrelated_one():
    doc = "a = old_name\n" + "\n".join(f"pad{i} = {i}" for i in range(10)) + "\nb = old_name\n"
    sent = split_lines(doc)
    clock = Clock()
    history = EditHistory(clock=clock)
    history.opened("u", doc.replace("a = old_name", "a = old_name"))
    history.changed("u", "m.py", doc.replace("a = old_name\n", "a = new_name\n"))
    current = doc.replace("a = old_name\n", "a = new_name\n")
    sent = split_lines(current)
    excerpt = excerpt_around(sent, 1, 0, 40, "m.py", "python")
    answer = current.replace("pad1 = 1", "pad1 = 'one'").replace("b = old_name", "b = new_name")
    result = suggest(excerpt, answer, sent, current, history.recent(5))
    assert isinstance(result, Suggestion) and result.text == "new" and result.line == 11


def test_fixing_an_apparent_typo_is_not_an_undo():
    doc = "from os import path\nimfrom sys import argv\n"
    sent = split_lines(doc)
    history = EditHistory(clock=Clock())
    history.opened("u", doc.replace("imfrom", "from"))
    history.changed("u", "m.py", doc)
    excerpt = excerpt_around(sent, 1, 2, 40, "m.py", "python")
    result = suggest(excerpt, doc.replace("imfrom", "from"), sent, doc, history.recent(5))
    assert isinstance(result, Suggestion) and apply(doc, result) == doc.replace("imfrom", "from")


def test_an_insertion_that_copies_its_neighbour_is_quiet():
    doc = "def f():\n    return compute(value)\n\n\nx = 1\n"
    sent = split_lines(doc)
    excerpt = excerpt_around(sent, 1, 4, 40, "m.py", "python")
    answer = doc.replace("    return", "    return compute(value)\n    return")
    assert suggest(excerpt, answer, sent, doc, []) == Quiet("duplicate")


def test_crlf_documents_keep_their_line_endings():
    doc = DOC.replace("\n", "\r\n")
    sent = split_lines(doc)
    excerpt = excerpt_around(sent, 4, 10, 40, "m.py", "python")
    answer = DOC.replace("print(area(3))", "print(area(3, 4))\nprint(area(5))")
    result = suggest(excerpt, answer, sent, doc, [])
    assert isinstance(result, Suggestion)
    assert apply(doc, result) == doc.replace(
        "print(area(3))", "print(area(3, 4))\r\nprint(area(5))"
    )
