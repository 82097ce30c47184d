from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.provider import FakeProvider


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """A fake OpenAI-compatible provider on a loopback port, fresh for each test."""
    provider = FakeProvider().start()
    try:
        yield provider
    finally:
        provider.stop()
