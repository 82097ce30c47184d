"""protocol.md and the typed models tell the same story, and the server serves exactly them."""

from __future__ import annotations

import re
from pathlib import Path

from zeke_ls.core.server import create_server
from zeke_ls.core.surface import SERVER_NOTIFICATIONS, experimental_capability
from zeke_ls.protocol import METHODS, tables

DOC = Path(__file__).resolve().parents[2] / "protocol.md"


def test_generated_field_tables_are_current(capsys):
    assert tables.main(["--check", str(DOC)]) == 0, capsys.readouterr().err


def sections() -> dict[str, str]:
    """Each `### `zeke/x`` section's text, by method name."""
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for match in re.finditer(r"^#{2,3} `(zeke/\w+)`.*?(?=^#{1,3} )", text, re.S | re.M):
        found[match.group(1)] = match.group(0)
    return found


def test_hand_written_params_tables_match_the_models():
    by_name = {method.name: method for method in METHODS}
    checked = 0
    for name, text in sections().items():
        table = re.search(
            r"^\| field \| type \| default \| meaning \|\n\|.*\n((?:\|.*\n)+)", text, re.M
        )
        if table is None or name not in by_name:
            continue
        documented = re.findall(r"^\| `(\w+)` \|", table.group(1), re.M)
        model = by_name[name].params
        assert documented == [f.alias or n for n, f in model.model_fields.items()], name
        checked += 1
    assert checked >= 1


def test_the_server_registers_and_advertises_exactly_the_documented_methods():
    server = create_server()
    registered = {name for name in server.protocol.fm.features if name.startswith("zeke/")}
    client_bound = {m.name for m in METHODS if m.kind == "server notification"}
    assert registered == {m.name for m in METHODS} - client_bound
    assert set(SERVER_NOTIFICATIONS) == client_bound
    advertised = experimental_capability("x", server.protocol.fm.features)["methods"]
    assert advertised == sorted(m.name for m in METHODS)
