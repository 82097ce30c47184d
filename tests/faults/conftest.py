"""The fault suite: every test here attacks the real daemon (or a real part of it) and counts
each attack as tried, and as held when the daemon behaved. `pytest_terminal_summary` prints
`faults: N tried, N held` at the end of any run that included this directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.fakes.provider import FakeProvider


@dataclass
class Tally:
    """Attacks tried and held across the session; failures keep their description."""

    tried: int = 0
    held: int = 0
    broken: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: object = "") -> bool:
        self.tried += 1
        if ok:
            self.held += 1
        else:
            self.broken.append(f"{name}: {detail}")
        return ok


TALLY = Tally()


@pytest.fixture
def tally() -> Iterator[Tally]:
    """Record checks; the test fails listing every check of its own that did not hold."""
    before = len(TALLY.broken)
    yield TALLY
    broken = TALLY.broken[before:]
    assert not broken, "did not hold:\n" + "\n".join(broken)


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    provider = FakeProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A test that crashed before finishing its checks counts as one more attack not held."""
    if report.when == "call" and report.failed and "faults" in report.nodeid:
        TALLY.tried += 1
        TALLY.broken.append(f"{report.nodeid}: crashed")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.tried:
        terminalreporter.write_line(f"faults: {TALLY.tried} tried, {TALLY.held} held")
