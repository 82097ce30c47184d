"""Render protocol.md's field tables from the typed models, and rewrite them in place.

Each method has a generated block in protocol.md:

    <!-- fields:zeke/chat -->
    | params field | type | default | meaning |
    ...
    <!-- /fields -->

`python -m zeke_ls.protocol.tables --write protocol.md` regenerates every block;
`--check` exits 1 when one is stale or missing (tests/unit/test_protocol_doc.py runs it).
"""

from __future__ import annotations

import re
import sys
import types as pytypes
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from zeke_ls.protocol import METHODS, Method

BLOCK = re.compile(r"<!-- fields:(?P<name>[\w/]+) -->\n.*?<!-- /fields -->", re.S)


def type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, pytypes.UnionType):
        return " \\| ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in typing.get_args(annotation))
    if origin in (list, tuple):
        return f"{type_name(args[0]) if args else 'any'}[]"
    if origin is dict:
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "{" + ", ".join(_alias(n, f) for n, f in annotation.model_fields.items()) + "}"
    names = {str: "string", int: "integer", float: "number", bool: "bool"}
    return names.get(annotation, "any")


def _alias(name: str, info: FieldInfo) -> str:
    return info.alias or name


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        factory = typing.cast("typing.Callable[[], Any]", info.default_factory)
        return f"`{factory()!r}`".replace("'", '"')
    if info.default is PydanticUndefined or info.default is None:
        return "none"
    value = info.default
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _rows(model: type[BaseModel], with_default: bool) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        cells = [f"`{_alias(name, info)}`", type_name(info.annotation)]
        if with_default:
            cells.append(_default(info))
        else:
            cells.append("always" if info.is_required() else "when set")
        cells.append(info.description or "")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def render(method: Method) -> str:
    lines = [f"<!-- fields:{method.name} -->", f"*{method.kind}*, generated from the models."]
    label = "params" if method.kind != "server notification" else "params (server -> client)"
    if method.params.model_fields:
        lines += ["", f"| {label} field | type | default | meaning |", "|---|---|---|---|"]
        lines += _rows(method.params, with_default=True)
    else:
        lines += ["", "No params (`{}`)."]
    if method.result is not None:
        lines += ["", "| result field | type | present | meaning |", "|---|---|---|---|"]
        lines += _rows(method.result, with_default=False)
    return "\n".join([*lines, "<!-- /fields -->"])


def rewrite(text: str) -> tuple[str, list[str]]:
    """The document with every block regenerated, and the methods that have no block."""
    by_name = {method.name: method for method in METHODS}
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        seen.add(name)
        return render(by_name[name]) if name in by_name else match.group(0)

    return BLOCK.sub(replace, text), [m.name for m in METHODS if m.name not in seen]


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    new, missing = rewrite(text)
    if mode == "--write":
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(new)
    stale = new != text
    for name in missing:
        print(f"{path}: no <!-- fields:{name} --> block", file=sys.stderr)
    if mode == "--check" and stale:
        print(
            f"{path}: field tables are stale; run python -m zeke_ls.protocol.tables --write {path}",
            file=sys.stderr,
        )
    return 1 if missing or (mode == "--check" and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
