"""`zeke/models` and `zeke/setModel` end to end, asserted on what the fake provider received."""

from __future__ import annotations

import pytest

from tests.fakes.provider import Reply
from tests.harness import loopback_config, rpc, zeke_session

WINDOWS = """
[aliases.big]
route = "openai:fake-big"
context_window = 100000
"""


async def test_models_lists_aliases_windows_and_feature_choices(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url, WINDOWS)) as client:
        before = await rpc(client, "zeke/models")
        fake.queue(Reply(chunks=["hi"]))
        await rpc(client, "zeke/chat", {"message": "hello"})
        after = await rpc(client, "zeke/models")
    aliases = {a["name"]: a for a in before["aliases"]}
    assert set(aliases) == {"code-fast", "code-smart", "local", "big"}
    assert aliases["big"]["contextWindow"] == 100000
    assert aliases["code-fast"]["route"] == "openai:fake-fast"
    assert aliases["code-smart"]["reachable"] is None  # never tried yet
    assert before["features"] == {
        "completion": "code-fast",
        "chat": "code-smart",
        "edit": "code-smart",
    }
    assert {a["name"]: a for a in after["aliases"]}["code-smart"]["reachable"] is True


async def test_set_model_changes_the_model_the_next_request_uses(tmp_path, fake):
    fake.default = Reply(chunks=["ok"])
    async with zeke_session(tmp_path, loopback_config(fake.url, WINDOWS)) as client:
        await rpc(client, "zeke/chat", {"message": "one"})
        switched = await rpc(client, "zeke/setModel", {"alias": "big", "feature": "chat"})
        await rpc(client, "zeke/chat", {"message": "two"})
        all_switched = await rpc(client, "zeke/setModel", {"alias": "local"})
        result = await rpc(client, "zeke/chat", {"message": "three"})
        explicit = await rpc(client, "zeke/chat", {"message": "four", "model": "code-fast"})
        models = await rpc(client, "zeke/models")
    sent = [call.json["model"] for call in fake.calls("/chat/completions")]
    assert sent == ["fake-smart", "fake-big", "fake-local", "fake-fast"]
    assert switched["features"] == {"completion": "code-fast", "chat": "big", "edit": "code-smart"}
    assert all_switched["features"] == {"completion": "local", "chat": "local", "edit": "local"}
    assert result["alias"] == "local" and explicit["alias"] == "code-fast"
    assert models["overrides"] == {"completion": "local", "chat": "local", "edit": "local"}


async def test_set_model_rejects_unknown_alias_and_feature(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        with pytest.raises(Exception, match='unknown alias "gpt-nope"') as unknown:
            await rpc(client, "zeke/setModel", {"alias": "gpt-nope"})
        with pytest.raises(Exception, match="feature"):
            await rpc(client, "zeke/setModel", {"alias": "local", "feature": "dreaming"})
        models = await rpc(client, "zeke/models")
    assert getattr(unknown.value, "code", None) == -32003
    assert models["features"]["chat"] == "code-smart" and models["overrides"] == {}
