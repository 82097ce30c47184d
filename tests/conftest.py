from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.provider import FakeProvider

# Tests that start Neovim or third-party software (a LiteLLM proxy, llama.cpp loading a model)
# get longer than pyproject's default timeout.
MARKER_TIMEOUTS = {"nvim": 120, "interop": 600}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        limits = [limit for name, limit in MARKER_TIMEOUTS.items() if item.get_closest_marker(name)]
        if limits:
            item.add_marker(pytest.mark.timeout(max(limits)))


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """A fake OpenAI-compatible provider on a loopback port, fresh for each test."""
    provider = FakeProvider().start()
    try:
        yield provider
    finally:
        provider.stop()
