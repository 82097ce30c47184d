"""Secrets never leave the daemon: the one place that knows every key in effect and removes
them from text.

A provider may echo a key anywhere: an error body, an in-stream error event, a proxy's HTML
page. So every `ProviderError` message is scrubbed when it is built, streamed text is
scrubbed of known keys as it leaves the router (per delta: a key split across two deltas
is not caught there), and every log record is scrubbed as it is formatted (the
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
        """Known secrets and anything shaped like a key: for errors and logs."""
        return KEY_PATTERN.sub(MASK, self.scrub_known(text))

    def scrub_known(self, text: str) -> str:
        """Known secrets only: for model output, where key-shaped words are ordinary code
        (`task-runner` would match `sk-...`)."""
        for secret in sorted(self._secrets, key=len, reverse=True):  # longest first
            if secret in text:
                text = text.replace(secret, MASK)
        return text


SECRETS = SecretBook()


def remember(*values: str | None) -> None:
    SECRETS.remember(*values)


def scrub(text: str) -> str:
    return SECRETS.scrub(text)


def scrub_known(text: str) -> str:
    return SECRETS.scrub_known(text)


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual (message, arguments, traceback), then removes every known secret."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
