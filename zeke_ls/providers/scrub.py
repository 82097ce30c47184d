"""Secrets never leave the daemon: the one place that knows every key in effect and removes
them from text.

A provider may echo a key anywhere: an error body, an in-stream error event, a proxy's HTML
page. So every `ProviderError` message is scrubbed when it is built, streamed text is
scrubbed as it leaves the router, and every log record is scrubbed as it is formatted (the
file, stderr and `window/logMessage` share the formatter). Keys are learnt from the config in
effect (every `api_key`, resolved) before any request is sent, so a key echoed by another
provider's error is caught too. The book is process-wide because logging is.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
MIN_SECRET_CHARS = 8
"""Shorter values are not treated as secrets: replacing them would mangle ordinary text."""

KEY_PATTERN = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|(?<=key[=: ])[A-Za-z0-9_\-]{16,})")
"""Things shaped like keys, even unknown ones (`sk-...`, `key=...`)."""


class SecretBook:
    """The secret values seen in effect; thread-safe (log records come from any thread)."""

    def __init__(self) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def remember(self, *values: str | None) -> None:
        fresh = {v for v in values if v and len(v) >= MIN_SECRET_CHARS} - self._secrets
        if fresh:
            with self._lock:
                self._secrets = self._secrets | fresh

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):  # longest first
            if secret in text:
                text = text.replace(secret, MASK)
        return KEY_PATTERN.sub(MASK, text)


SECRETS = SecretBook()


def remember(*values: str | None) -> None:
    SECRETS.remember(*values)


def scrub(text: str) -> str:
    return SECRETS.scrub(text)


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual (message, arguments, traceback), then removes every known secret."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
