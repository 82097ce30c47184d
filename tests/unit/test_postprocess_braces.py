"""Braces languages: a block the suggestion opens keeps its closing `}` (issue 11).

The file's next line is often the enclosing block's `}`; post-processing used to take the
suggestion's own closer for a copy of that line and cut it, leaving a function without `}`.
"""

from __future__ import annotations

import pytest

from zeke_ls.completion.postprocess import postprocess
from zeke_ls.context.packer import ContextPacker, resolve_cursor

CASES = {
    "javascript": (
        "class Cart {\n  total() { return 0; }\n  \n}\n",
        (2, 2),
        "add(item) {\n    this.items.push(item);\n  }",
    ),
    "typescript": (
        "export class Cart {\n  items: number[] = [];\n  \n}\n",
        (2, 2),
        "add(item: number): void {\n    this.items.push(item);\n  }",
    ),
    "go": (
        "package main\n\nfunc main() {\n\t\n}\n",
        (3, 1),
        "for i := 0; i < 3; i++ {\n\t\tfmt.Println(i)\n\t}",
    ),
    "rust": (
        "impl Cart {\n    \n}\n",
        (1, 4),
        "fn total(&self) -> u32 {\n        self.items.iter().sum()\n    }",
    ),
    "c": (
        "int main(void) {\n    \n}\n",
        (1, 4),
        'for (int i = 0; i < 3; i++) {\n        printf("%d\\n", i);\n    }',
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_new_block_keeps_its_closing_brace(language: str) -> None:
    text, (line, character), answer = CASES[language]
    cursor = resolve_cursor(text, line, character)
    assert cursor is not None
    ctx = ContextPacker().pack(text, cursor, path=f"f.{language}", language=language, budget=800)
    assert postprocess(answer, ctx) == answer


def test_a_copy_of_the_enclosing_closer_is_still_cut() -> None:
    text = "function f() {\n  \n}\n"
    cursor = resolve_cursor(text, 1, 2)
    assert cursor is not None
    ctx = ContextPacker().pack(text, cursor, path="f.js", language="javascript", budget=800)
    assert postprocess("return 1;\n}", ctx) == "return 1;"
