"""Secrets in every outbound text: a provider that echoes a key (its own, or another one in
effect) in an in-stream error, an error body or a stream line must never get that key into a
JSON-RPC error, a notification, the chat history, window/logMessage, stderr or --log-file."""

from __future__ import annotations

import json

import pytest
from pygls.uris import from_fs_path

from tests.fakes.provider import Reply
from tests.faults.configs import (
    BACKUP_KEY,
    FAULT_ENV,
    FORMATS,
    KEY,
    error_event,
    fault_config,
    first_text_index,
    script,
)
from tests.faults.raw import RawDaemon, frame

ECHO = f"key {KEY} was revoked (your other key {BACKUP_KEY} too)"


def clean(text: str) -> bool:
    return KEY not in text and BACKUP_KEY not in text


@pytest.mark.parametrize("kind", FORMATS)
async def test_keys_echoed_by_the_provider_never_leave_the_daemon(tmp_path, fake, tally, kind):
    log_file = tmp_path / "daemon.log"
    daemon = RawDaemon(
        tmp_path,
        fault_config(kind, fake.url),
        env=FAULT_ENV,
        args=["--log-file", str(log_file), "-v"],
    )
    await daemon.start()
    try:
        await daemon.initialize()
        source = daemon.root / "calc.py"
        source.write_text("def add(a, b):\n    return a - b\n")
        uri = from_fs_path(str(source))
        await daemon.send(
            frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "python",
                            "version": 1,
                            "text": source.read_text(),
                        }
                    },
                }
            )
        )
        mid = Reply(
            fault="event", fault_after=first_text_index(kind) + 1, event=error_event(kind, ECHO)
        )
        first = Reply(
            fault="event", fault_after=first_text_index(kind), event=error_event(kind, ECHO)
        )
        body_echo = Reply(status=500, body={"error": {"message": ECHO}})

        script(fake, mid)
        chat = await daemon.call("chat", "zeke/chat", {"message": "hi", "tools": False})
        tally.check(f"{kind} chat error after a token", "error" in chat, chat)
        script(fake, first, body_echo)
        await daemon.call("chat2", "zeke/chat", {"message": "again", "tools": False})
        history = await daemon.call("history", "zeke/chatHistory", {"chatId": "chat-1"})
        tally.check(f"{kind} history kept the failed turn", "result" in history, history)
        script(fake, mid)
        await daemon.call(
            "edit", "zeke/edit", {"textDocument": {"uri": uri}, "instruction": "fix the bug"}
        )
        script(fake, first, body_echo, mid)
        await daemon.call(
            "complete",
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": 1, "character": 4},
                "context": {"triggerKind": 1},
            },
        )
        script(fake, Reply(chunks=["your key is ", KEY, " and all"]))
        echoed = await daemon.call("echo", "zeke/chat", {"message": "my key?", "tools": False})
        tally.check(f"{kind} a key in streamed text is masked", "***" in json.dumps(echoed), echoed)
        tally.check(f"{kind}: daemon alive", await daemon.alive())
    finally:
        await daemon.stop()
    for message in daemon.messages:
        tally.check(
            f"{kind} outbound {message.get('method') or message.get('id')}",
            clean(json.dumps(message)),
            json.dumps(message)[:300],
        )
    tally.check(f"{kind} stderr", clean(daemon.stderr()), daemon.stderr()[-300:])
    log_text = log_file.read_text("utf-8", "replace")
    tally.check(
        f"{kind} --log-file",
        clean(log_text),
        [line for line in log_text.splitlines() if not clean(line)][:2],
    )
    tally.check(f"{kind} the echo reached the daemon", "was revoked" in log_text)
