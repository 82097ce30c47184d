"""zeke/didShowCompletion and zeke/didAcceptCompletion are counted and reported by zeke/status."""

from __future__ import annotations

import asyncio

from tests.harness import loopback_config, rpc, zeke_session


async def test_shown_and_partially_accepted_suggestions_are_counted(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        for _ in range(2):
            client.protocol.notify("zeke/didShowCompletion", {"text": "return a + b"})
        client.protocol.notify("zeke/didAcceptCompletion",
                               {"text": "return a + b", "acceptedLength": 6, "kind": "word"})
        stats: dict = {}
        for _ in range(50):
            stats = (await rpc(client, "zeke/status"))["completion"]
            if stats.get("accepted"):
                break
            await asyncio.sleep(0.05)
    assert stats == {"shown": 2, "accepted": 1, "acceptedChars": 6}
