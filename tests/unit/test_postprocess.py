"""Post-processing rules, one failure mode each, plus chat-answer extraction."""

from __future__ import annotations

from zeke_ls.completion.postprocess import postprocess
from zeke_ls.context.packer import ContextPacker, PackedContext, resolve_cursor
from zeke_ls.prompts.inline_chat import CURSOR, build_messages, extract


def ctx_at(text: str, line: int, character: int) -> PackedContext:
    cursor = resolve_cursor(text, line, character)
    assert cursor is not None
    return ContextPacker().pack(text, cursor, path="m.py", language="python", budget=1000)


def test_echo_of_the_current_line_is_removed():
    ctx = ctx_at("def f(a):\n    total = \n", 1, 12)
    assert postprocess("    total = a * 2", ctx) == "a * 2"
    assert postprocess("total = a * 2", ctx) == "a * 2"


def test_mid_line_is_single_line_and_stops_before_existing_closer():
    ctx = ctx_at("print(\n", 0, 6)
    assert postprocess('"hi")\nprint("more")', ctx) is not None
    mid = ctx_at("print()\n", 0, 6)
    assert postprocess('"hi")\nprint("more")', mid) == '"hi"'


def test_multiline_stops_where_the_suffix_resumes():
    text = "def f(a):\n    x = \n    return x\n"
    ctx = ctx_at(text, 1, 8)
    assert postprocess("a + 1\n    return x\n", ctx) == "a + 1"


def test_multiline_stops_when_leaving_the_block():
    text = "class A:\n    def f(self):\n        \n"
    ctx = ctx_at(text, 2, 8)
    answer = "x = 1\n        return x\n\ndef unrelated():\n    pass\n"
    assert postprocess(answer, ctx) == "x = 1\n        return x"


def test_opened_block_keeps_body_and_its_closer_only():
    text = "function f() {\n"
    ctx = ctx_at(text, 0, 14)
    answer = "\n  return 1;\n}\nfunction g() {}\n"
    assert postprocess(answer, ctx) == "\n  return 1;\n}"


def test_empty_whitespace_and_already_present_text_are_dropped():
    ctx = ctx_at("x = \nfoo()\n", 0, 4)
    assert postprocess("", ctx) is None
    assert postprocess("   \n\t", ctx) is None
    dup = ctx_at("x = foo()\n", 0, 4)
    assert postprocess("foo()", dup) is None


def test_crlf_documents_get_crlf_suggestions():
    ctx = ctx_at("def f():\r\n    \r\n", 1, 4)
    assert postprocess("a = 1\r\n    return a", ctx) == "a = 1\r\n    return a"
    assert postprocess("a = 1\nreturn a", ctx) == "a = 1"  # dedented: left the function


def test_repeated_indentation_is_removed():
    ctx = ctx_at("def f():\n    \n", 1, 4)
    assert postprocess("    return 1", ctx) == "return 1"


def test_chat_prompt_marks_the_cursor():
    ctx = ctx_at("a = 1\nb = \n", 1, 4)
    user = build_messages(ctx)[-1]["content"]
    assert f"a = 1\nb = {CURSOR}\n" in user and "m.py" in user


def test_chat_extraction_is_strict():
    ctx = ctx_at("a = 1\nb = \n", 1, 4)
    assert extract("Sure:\n```python\na + 1\n```\nExplanation.", ctx) == "a + 1"
    assert extract("```\nb = a + 1\n```", ctx) == "b = a + 1"  # echo is postprocess's job
    assert extract(f"```python\nb = {CURSOR}a + 1\n```", ctx) == "a + 1"
    assert extract("```python\na = 1\nb = a + 2\n", ctx) == "a + 2"  # cut by max_tokens
    assert extract("a + 1", ctx) == "a + 1"
    assert postprocess(extract("```\nb = a + 1\n```", ctx), ctx) == "a + 1"
