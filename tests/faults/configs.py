"""Configs and wire-format details the fault tests share.

Every feature uses the alias `main` (provider `prim`, model `fake-primary`), which falls back
to `backup` (provider `back`, model `fake-backup`), both of the wire format under test and
both on the loopback fake unless `primary_url` sends `prim` elsewhere (a refused port).
"""

from __future__ import annotations

import json

KEY = "Zq9vT3xLm2Pw8Rk4Yt7uWb"
"""The primary's key: shaped like no known key format, so only knowing it scrubs it."""
BACKUP_KEY = "Hn5cV8dKs2Lq7Xe4Ga9rJt"

FORMATS = ["openai", "anthropic", "ollama"]


def base_url(kind: str, url: str) -> str:
    return f"{url}/v1" if kind == "openai" else url


def fault_config(kind: str, fake_url: str, primary_url: str | None = None, extra: str = "") -> str:
    return f"""
[aliases.main]
route = "prim:fake-primary"
fallbacks = ["backup"]
[aliases.backup]
route = "back:fake-backup"

[providers.prim]
kind = "{kind}"
base_url = "{base_url(kind, primary_url or fake_url)}"
api_key = "env:ZEKE_FAULT_KEY"
[providers.back]
kind = "{kind}"
base_url = "{base_url(kind, fake_url)}"
api_key = "env:ZEKE_BACKUP_KEY"

[chat]
model = "main"
[completion]
model = "main"
[edit]
model = "main"

[routing]
first_token_timeout_ms = 600
idle_timeout_ms = 600
connect_timeout_ms = 1000
health_interval_ms = 600000

[index]
enabled = false  # these daemons test provider faults; the index has its own tests
{extra}
"""


FAULT_ENV = {"ZEKE_FAULT_KEY": KEY, "ZEKE_BACKUP_KEY": BACKUP_KEY}


def error_event(kind: str, message: str) -> bytes:
    """An in-stream error as each wire format sends it."""
    if kind == "anthropic":
        data = {"type": "error", "error": {"type": "authentication_error", "message": message}}
        return f"event: error\ndata: {json.dumps(data)}\n\n".encode()
    if kind == "ollama":
        return (json.dumps({"error": message}) + "\n").encode()
    return f"data: {json.dumps({'error': {'message': message}})}\n\n".encode()


def first_text_index(kind: str) -> int:
    """The index of the first text event in the fake's stream for this format."""
    return 3 if kind == "anthropic" else 0


def model_of(body: dict) -> str:
    return str(body.get("model", ""))


def script(fake, *replies) -> None:
    """The next model calls (POSTs) get these replies in order; health probes never do."""
    pending = list(replies)
    fake.responder = lambda r: pending.pop(0) if r.method == "POST" and pending else None
