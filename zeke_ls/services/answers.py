"""Explain answers kept per document and line span, so hover can show them again (an eglot
user who ran "Zeke: explain" sees the answer when hovering the lines it explained)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

KEEP_ANSWERS = 20


@dataclass(frozen=True)
class Answer:
    uri: str
    first_line: int
    last_line: int
    title: str
    text: str


class AnswerBook:
    """Recent explain answers by document and line span, newest first."""

    def __init__(self) -> None:
        self._answers: deque[Answer] = deque(maxlen=KEEP_ANSWERS)

    def add(self, answer: Answer) -> None:
        self._answers.appendleft(answer)

    def at(self, uri: str, line: int) -> Answer | None:
        return next(
            (a for a in self._answers if a.uri == uri and a.first_line <= line <= a.last_line),
            None,
        )


def answer_book(server: ZekeServer) -> AnswerBook:
    session = server.session
    if session.answers is None:
        session.answers = AnswerBook()
    book: AnswerBook = session.answers
    return book
