"""The layering rules of README's architecture section, checked on the imports themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "zeke_ls"
LSP = ("pygls", "lsprotocol", "zeke_ls.core", "zeke_ls.features", "zeke_ls.services")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def offending(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in modules(folder):
        hits = [m for m in imports(path) if m.startswith(forbidden)]
        if hits:
            bad[str(path.relative_to(PACKAGE))] = sorted(hits)
    return bad


def test_no_feature_imports_another_feature():
    bad = {}
    for path in modules("features"):
        others = [
            m
            for m in imports(path)
            if m.startswith("zeke_ls.features") and m != f"zeke_ls.features.{path.stem}"
        ]
        if others:
            bad[path.name] = others
    assert bad == {}


@pytest.mark.parametrize("folder", ["providers", "glyph", "config"])
def test_wire_formats_glyph_and_config_know_no_lsp(folder):
    assert offending(folder, LSP) == {}


def test_config_knows_no_feature():
    assert (
        offending(
            "config",
            (
                "zeke_ls.features",
                "zeke_ls.chat",
                "zeke_ls.completion",
                "zeke_ls.patch",
                "zeke_ls.context",
            ),
        )
        == {}
    )


def test_patch_and_packing_are_pure():
    forbidden = ("pygls", "zeke_ls.core", "zeke_ls.features", "zeke_ls.services", "httpx")
    assert offending("patch", forbidden) == {}
    for name in ("packer.py", "budget.py", "positions.py", "tokens.py"):
        hits = [m for m in imports(PACKAGE / "context" / name) if m.startswith(forbidden)]
        assert hits == [], name


@pytest.mark.parametrize(
    "folder",
    [
        "completion",
        "chat",
        "context",
        "patch",
        "prompts",
        "nes",
        "index",
        "workspace",
        "services",
        "protocol",
    ],
)
def test_engines_and_services_never_import_features(folder):
    assert offending(folder, ("zeke_ls.features",)) == {}
