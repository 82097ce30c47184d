"""Pure helpers behind provider errors: Retry-After parsing and key scrubbing."""

from __future__ import annotations

import email.utils
import time

from zeke_ls.providers.base import ProviderError
from zeke_ls.providers.router import all_failed
from zeke_ls.providers.wire import retry_after_s, scrub


def test_retry_after_seconds_and_http_date():
    assert retry_after_s("3") == 3.0
    assert retry_after_s("0.5") == 0.5
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < (retry_after_s(later) or 0) <= 30
    assert retry_after_s(None) is None and retry_after_s("soon") is None


def test_scrub_removes_the_key_and_key_like_strings():
    text = "Incorrect API key provided: sk-proj-abcdef1234567890. key=AbCdEfGhIjKlMnOpQrSt"
    cleaned = scrub(text + " my-own-secret", "my-own-secret")
    assert "sk-proj" not in cleaned and "AbCdEf" not in cleaned and "my-own-secret" not in cleaned
    assert cleaned.startswith("Incorrect API key provided: ***")


def test_all_failed_lists_every_attempt_and_keeps_the_last_details():
    first = ProviderError("cannot connect", provider="gateway", endpoint="http://a")
    last = ProviderError("busy", provider="ollama", endpoint="http://b", status=503)
    combined = all_failed("code-fast", [first, last])
    assert "gateway http://a: cannot connect" in str(combined)
    assert "ollama http://b HTTP 503: busy" in str(combined)
    assert combined.data() == {"provider": "ollama", "endpoint": "http://b", "status": 503}
