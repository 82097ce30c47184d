"""Every provider fault, for chat, completion and edit, across the OpenAI, Anthropic and Ollama
wire formats, through the real daemon.

What holds: anything that fails before the first token falls back (the fake answers the
second attempt), a stream that breaks after it ends that request with ProviderFailed without
a second upstream call (retrying would duplicate text), a trickle completes, nothing hangs
past its timeouts, and the daemon answers afterwards. The fake answers in order, so
each case scripts the first model call whichever endpoint the health ranking tries first.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pygls.uris import from_fs_path

from tests.fakes.provider import FakeProvider, Reply, unused_port_url
from tests.faults.configs import (
    FAULT_ENV,
    FORMATS,
    base_url,
    fault_config,
    first_text_index,
    script,
)
from tests.faults.raw import RawDaemon, frame

EDIT_ANSWER = [
    "calc.py\n<<<<<<< SEARCH\n",
    "    return a - b\n=======\n",
    "    return a + b\n>>>>>>> REPLACE\n",
]
SOURCE = "def add(a, b):\n    return a - b\n"


def before_first_token(kind: str) -> dict[str, Reply]:
    first = first_text_index(kind)
    return {
        "500": Reply(status=500),
        "429 Retry-After": Reply(status=429, headers={"Retry-After": "1"}),
        "hang before first byte": Reply(fault="hang"),
        "non-JSON body (HTML 200)": Reply(fault="html"),
        "malformed first chunk": Reply(fault="malformed", fault_after=first),
        "truncated before first token": Reply(fault="truncate", fault_after=first),
        "502 text body": Reply(status=502, body="Bad Gateway"),
    }


def after_first_token(kind: str) -> dict[str, Reply]:
    first = first_text_index(kind) + 1
    return {
        "stall mid-stream": Reply(fault="stall", fault_after=first),
        "truncated stream": Reply(fault="truncate", fault_after=first),
        "malformed chunk mid-stream": Reply(fault="malformed", fault_after=first),
    }


TRICKLE = Reply(
    chunks=[line + "\n" for line in "".join(EDIT_ANSWER).splitlines()], chunk_delay_s=0.12
)
"""Each gap below the 600 ms idle timeout, the whole stream well above it."""


class Cases:
    """Runs one feature call per case on its own fresh document (no completion cache hits)."""

    def __init__(self, daemon: RawDaemon, fake: FakeProvider):
        self.daemon, self.fake = daemon, fake
        self.counter = itertools.count()

    async def open(self) -> str:
        number = next(self.counter)
        path = self.daemon.root / f"calc{number}.py"
        text = f"# case {number}\n{SOURCE}"  # its own text: the completion cache cannot answer
        path.write_text(text)
        uri = from_fs_path(str(path))
        await self.daemon.send(
            frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "python",
                            "version": 1,
                            "text": text,
                        }
                    },
                }
            )
        )
        return uri

    async def run(self, feature: str) -> dict[str, Any]:
        uri = await self.open()
        msg_id = f"{feature}-{next(self.counter)}"
        if feature == "chat":
            return await self.daemon.call(msg_id, "zeke/chat", {"message": "hi", "tools": False})
        if feature == "edit":
            return await self.daemon.call(
                msg_id, "zeke/edit", {"textDocument": {"uri": uri}, "instruction": "fix the bug"}
            )
        return await self.daemon.call(
            msg_id,
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": 2, "character": 4},
                "context": {"triggerKind": 2},
            },
        )  # automatic: one upstream request

    async def one(self, feature: str, reply: Reply) -> tuple[dict[str, Any], int]:
        """The answer, and how many upstream requests the call made."""
        self.fake.reset()
        self.fake.default = Reply(chunks=EDIT_ANSWER)
        pending = [reply]  # the first model call gets the fault; health probes never do
        self.fake.responder = lambda r: pending.pop() if r.method == "POST" and pending else None
        answer = await self.run(feature)
        return answer, len([c for c in self.fake.calls() if c.method == "POST"])


def ok(answer: dict[str, Any]) -> bool:
    """A result, and for completions at least one item."""
    result = answer.get("result")
    return result is not None and (
        not isinstance(result, dict) or "items" not in result or bool(result["items"])
    )


def provider_failed(answer: dict[str, Any]) -> bool:
    return answer.get("error", {}).get("code") == -32001


@pytest.fixture
async def daemon_for(tmp_path, fake):
    started: list[RawDaemon] = []

    async def start(kind: str) -> RawDaemon:
        folder = tmp_path / f"{kind}-{len(started)}"
        folder.mkdir()
        daemon = RawDaemon(folder, fault_config(kind, fake.url), env=FAULT_ENV)
        started.append(daemon)
        await daemon.start()
        await daemon.initialize()
        return daemon

    fake.default = Reply(chunks=EDIT_ANSWER)
    yield start
    for daemon in started:
        await daemon.stop()


FEATURES = ["chat", "completion", "edit"]


@pytest.mark.timeout(300)  # 9 faults x 3 features, several waiting out their timeouts
@pytest.mark.parametrize("kind", FORMATS)
async def test_every_fault_for_every_feature(daemon_for, fake, tally, kind):
    """One daemon per wire format; each case is one feature call with one fault."""
    cases = Cases(await daemon_for(kind), fake)
    for feature in FEATURES:
        for name, reply in before_first_token(kind).items():
            answer, upstream = await cases.one(feature, reply)
            tally.check(
                f"{kind} {feature} {name}: falls back",
                ok(answer) and upstream >= 2,
                f"{upstream} upstream calls, {str(answer)[:300]}",
            )
        for name, reply in after_first_token(kind).items():
            answer, upstream = await cases.one(feature, reply)
            # An automatic completion may show what arrived; the others report the error.
            ended = provider_failed(answer) or (feature == "completion" and "result" in answer)
            tally.check(
                f"{kind} {feature} {name}: ends once",
                ended and upstream == 1,
                f"{upstream} upstream calls, {str(answer)[:300]}",
            )
        answer, upstream = await cases.one(feature, TRICKLE)
        tally.check(
            f"{kind} {feature} trickle completes", ok(answer) and upstream == 1, str(answer)[:300]
        )
    # The primary's port now refuses connections (a config overlay points it elsewhere).
    dead = base_url(kind, unused_port_url())
    await cases.daemon.send(
        frame(
            {
                "jsonrpc": "2.0",
                "method": "workspace/didChangeConfiguration",
                "params": {"settings": {"zeke": {"providers": {"prim": {"base_url": dead}}}}},
            }
        )
    )
    for feature in FEATURES:
        answer, _ = await cases.one(feature, Reply(chunks=EDIT_ANSWER))
        models = {c.json.get("model") for c in fake.calls() if c.method == "POST"}
        tally.check(
            f"{kind} {feature} refused primary: falls back",
            ok(answer) and models == {"fake-backup"},
            f"{models} {str(answer)[:300]}",
        )
    tally.check(f"{kind}: alive", await cases.daemon.alive())


async def test_chat_after_a_mid_stream_failure_keeps_the_partial_text(daemon_for, fake, tally):
    daemon = await daemon_for("openai")
    script(fake, Reply(chunks=["Partial", " answer", " lost"], fault="truncate", fault_after=2))
    answer = await daemon.call("partial", "zeke/chat", {"message": "hi", "tools": False})
    deltas = [
        m["params"]
        for m in daemon.messages
        if m.get("method") == "zeke/chatDelta" and m["params"].get("requestId") == "partial"
    ]
    text = "".join(d.get("text", "") for d in deltas)
    tally.check("partial text streamed", text == "Partial answer", text)
    tally.check("last delta carries the error", "error" in deltas[-1], deltas[-1:])
    tally.check("answer is ProviderFailed", provider_failed(answer), answer)
    history = await daemon.call("h", "zeke/chatHistory", {"chatId": "chat-1"})
    last = history["result"]["messages"][-1]
    tally.check(
        "history keeps the partial answer",
        last["content"] == "Partial answer" and last.get("error"),
        last,
    )
