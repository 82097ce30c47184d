"""Ghost-text guards: one class of garbage each, seen from small local models."""

from __future__ import annotations

from zeke_ls.completion.guards import guard
from zeke_ls.completion.postprocess import postprocess
from zeke_ls.context.packer import ContextPacker, PackedContext, resolve_cursor

DESCRIBE = 'def describe(item):\n    name = item["name"]\n    price = item["price"]\n    return \n'


def ctx_at(text: str, line: int, character: int, language: str = "python") -> PackedContext:
    cursor = resolve_cursor(text, line, character)
    assert cursor is not None
    return ContextPacker().pack(text, cursor, path="m.py", language=language, budget=1000)


RETURN = ctx_at(DESCRIBE, 3, 11)


def test_good_suggestions_pass_untouched():
    assert guard('f"{name} costs {price}"', RETURN) == 'f"{name} costs {price}"'
    body = ctx_at("def f(a):\n    \n", 1, 4)
    assert guard("total = a * 2\n    return total", body) == "total = a * 2\n    return total"


def test_template_tokens_cut_the_suggestion():
    assert guard("name<|im_end|>", RETURN) == "name"
    assert guard("<|im_start|>assistant", RETURN) is None
    assert guard("[INST] <<SYS>> you are", RETURN) is None
    assert guard("price\n<fim_middle>x", RETURN) == "price"


def test_cursor_markers_and_fences_are_dropped():
    assert guard("<CURSOR>", RETURN) is None
    assert guard("name <cursor>", RETURN) == "name"
    assert guard("```python", RETURN) is None
    body = ctx_at("def f(a):\n    \n", 1, 4)
    assert guard("x = a\n    return x\n```", body) == "x = a\n    return x"


def test_coding_cookies_and_shebangs_are_dropped():
    assert guard("# -*- coding: utf-8 -*-", RETURN) is None
    top = ctx_at("\nimport os\n", 0, 0)
    assert guard("#!/usr/bin/env python", top) is None
    assert guard("# coding: utf-8", top) is None


def test_comment_only_after_code_is_dropped_but_not_on_an_empty_line():
    assert guard("# return the name", RETURN) is None
    body = ctx_at("def f(a):\n    \n", 1, 4)
    assert guard("# double it", body) == "# double it"


def test_prose_is_dropped():
    assert guard("Here is the completed function:", RETURN) is None


def test_repeats_of_adjacent_lines():
    text = "def f(a):\n    total = a * 2\n    \n"
    assert guard("total = a * 2", ctx_at(text, 2, 4)) is None
    loop = ctx_at("def f(a):\n    \n", 1, 4)
    assert guard("count += 1\n    count += 1\n    count += 1", loop) == "count += 1"


def test_brackets_and_strings_that_break_the_line():
    assert guard('name + "', RETURN) is None
    assert guard("name)", RETURN) is None
    assert guard("(name, price]", RETURN) is None
    call = ctx_at("print(total(\n    items, \n", 1, 11)
    assert guard("tax))", call) == "tax))"  # closes what the lines above opened
    assert guard("tax)))", call) is None


def test_through_postprocess():
    assert postprocess("# -*- coding: utf-8 -*-\n", RETURN) is None
    assert postprocess("name<|endoftext|>", RETURN) == "name"


def test_a_tail_cut_by_max_tokens_is_dropped():
    body = ctx_at("def f(items):\n    \n", 1, 4)
    answer = "total = 0\n    for item in items:\n        total += item\n    if total > (1,"
    assert guard(answer, body) == "total = 0\n    for item in items:\n        total += item"
    assert guard("if x:", ctx_at("def f(x):\n    \n", 1, 4)) == "if x:"  # single line: kept
    assert guard("for item in items:\n        print(", body) is None
