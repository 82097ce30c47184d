from __future__ import annotations

from lsprotocol import types

from tests.harness import loopback_config, rpc, zeke_session


async def test_status_reports_config_and_aliases(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        status = await rpc(client, "zeke/status")
    assert status["version"]
    assert any(src.endswith("zeke.toml") for src in status["configSources"])
    assert {a["alias"] for a in status["aliases"]} == {"code-fast", "code-smart", "local"}
    assert status["features"]["completion"] == "code-fast"
