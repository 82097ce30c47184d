"""LSP base-protocol framing (`Content-Length: N\\r\\n\\r\\n` + body) that survives any input.

An editor, a wrapper script or a fuzzer may write anything on stdin. The framer never raises
and never waits forever on bad input:

- Header lines are bounded (`MAX_HEADER_LINE`, `MAX_HEADER_BLOCK`); an oversized or malformed
  header block is dropped and reading resynchronises at the next `Content-Length:`.
- A body is bounded (`MAX_BODY`). A `Content-Length` that is too large is noticed as soon as the
  next message's header shows up inside the body (a raw `Content-Length: N` line can never
  occur inside valid JSON, whose strings cannot hold raw newlines), or, when nothing follows,
  once the client goes idle and the bytes so far already form a complete JSON value.
- A `Content-Length` that is too small yields a truncated body (the caller answers -32700) and
  the rest is resynchronised like any junk.

Every recovery is reported as a `problem` string for the log. `Framer` is a pure state machine
(bytes in, frames out); `serve` drives it from an asyncio stream.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_HEADER_LINE = 8 * 1024
MAX_HEADER_BLOCK = 32 * 1024
MAX_BODY = 256 * 1024 * 1024
READ_CHUNK = 64 * 1024
IDLE_FLUSH_S = 1.0
"""How long a client may pause mid-body before a too-large Content-Length is suspected."""

_HEADER_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*:[^\r\n]*")
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\S*)[ \t]*", re.IGNORECASE)
_NEXT_HEADER = re.compile(rb"Content-Length[ \t]*:", re.IGNORECASE)
_HEADER_IN_BODY = re.compile(rb"Content-Length[ \t]*:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_BLOCK_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Frame:
    """A body to handle, or a problem to log (exactly one is set)."""

    body: bytes | None = None
    problem: str | None = None


class Framer:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None
        """The declared length of the body being read; None while reading headers."""
        self._scanned = 0
        """How much of the body part has been checked for a following message's header."""
        self._skipping = False
        """Dropping junk since the last problem reported (one report per run of junk)."""

    @property
    def mid_body(self) -> bool:
        return self._length is not None and bool(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            before = (len(self._buffer), self._length)
            if self._length is None:
                frames += self._headers()
            else:
                frames += self._body()
            if (len(self._buffer), self._length) == before:
                return frames

    def flush_idle(self) -> list[Frame]:
        """The client went quiet mid-body: if the bytes so far are a whole JSON value, the
        declared length was too large; take them as the message."""
        if self._length is None or not self._buffer:
            return []
        try:
            json.loads(self._buffer)
        except (ValueError, RecursionError):
            return []
        body, declared = bytes(self._buffer), self._length
        self._reset(len(self._buffer))
        return [
            Frame(
                problem=f"Content-Length {declared} was larger than the {len(body)}-byte "
                "message; took the message after the client went idle"
            ),
            Frame(body=body),
        ]

    # --- headers ------------------------------------------------------------------------------

    def _headers(self) -> list[Frame]:
        if self._buffer[:1] in (b"\r", b"\n", b" ", b"\t"):  # blank lines between messages
            stripped = self._buffer.lstrip(b"\r\n \t")
            del self._buffer[: len(self._buffer) - len(stripped)]
        if not self._buffer:
            return []
        end = _BLOCK_END.search(self._buffer, 0, MAX_HEADER_BLOCK + 4)
        if end is None:
            if len(self._buffer) <= MAX_HEADER_BLOCK and self._plausible_start():
                return []  # wait for the rest of the header block
            return self._resync("a header block without an end, or not a header")
        block = bytes(self._buffer[: end.start()])
        problem, length = parse_block(block)
        if problem is not None:
            return self._resync(problem, end.end())
        del self._buffer[: end.end()]
        self._length, self._scanned, self._skipping = length, 0, False
        return []

    def _plausible_start(self) -> bool:
        """Whether the buffered bytes could still become a valid header block."""
        first = bytes(self._buffer.split(b"\n", 1)[0]).rstrip(b"\r")
        if len(first) > MAX_HEADER_LINE:
            return False
        complete_line = b"\n" in self._buffer
        return not complete_line or _HEADER_LINE.fullmatch(first) is not None

    def _resync(self, problem: str, block_end: int | None = None) -> list[Frame]:
        """Drop bytes up to the next `Content-Length:`; without one, the bad block, or all
        but what could be the start of a header split across reads."""
        found = _NEXT_HEADER.search(self._buffer, 1)
        if found is not None:
            dropped = found.start()
        elif block_end is not None:
            dropped = block_end
        else:
            dropped = max(len(self._buffer) - len("Content-Length:"), 1)
        del self._buffer[:dropped]
        if self._skipping:
            return []
        self._skipping = found is None
        return [
            Frame(
                problem=f"dropped {dropped} bytes of bad framing ({problem}); "
                "reading on from the next Content-Length header"
            )
        ]

    # --- body ---------------------------------------------------------------------------------

    def _body(self) -> list[Frame]:
        assert self._length is not None
        window = min(len(self._buffer), self._length)
        start = max(self._scanned - 64, 0)  # a header may straddle two reads
        intruder = None
        if any(self._buffer.find(word, start, window + 64) >= 0 for word in (b"ength", b"ENGTH")):
            intruder = _HEADER_IN_BODY.search(self._buffer, start, window + 64)  # rarely runs
        if intruder is not None and intruder.start() < self._length:
            body, declared = bytes(self._buffer[: intruder.start()]), self._length
            self._reset(intruder.start())
            return [
                Frame(
                    problem=f"Content-Length {declared} was wrong: the next message "
                    f"began after {len(body)} bytes"
                ),
                Frame(body=body),
            ]
        self._scanned = window
        if len(self._buffer) < self._length:
            return []
        body = bytes(self._buffer[: self._length])
        self._reset(self._length)
        return [Frame(body=body)]

    def _reset(self, consumed: int) -> None:
        del self._buffer[:consumed]
        self._length, self._scanned = None, 0


def parse_block(block: bytes) -> tuple[str | None, int]:
    """(problem, Content-Length) of a header block; other headers are ignored."""
    length: int | None = None
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if len(line) > MAX_HEADER_LINE:
            return f"a header line of {len(line)} bytes (limit {MAX_HEADER_LINE})", 0
        if not _HEADER_LINE.fullmatch(line):
            return f"not a header line: {line[:40]!r}", 0
        found = _CONTENT_LENGTH.fullmatch(line)
        if found is not None:
            value = found.group(1)
            if not value.isdigit():
                return f"Content-Length is not a number: {value[:20]!r}", 0
            length = int(value)
    if length is None:
        return "a header block without Content-Length", 0
    if length > MAX_BODY:
        return f"Content-Length {length} is over the limit of {MAX_BODY} bytes", 0
    return None, length


async def serve(
    reader: asyncio.StreamReader,
    on_body: Callable[[bytes], None],
    on_problem: Callable[[str], None],
) -> None:
    """Feed `reader` to a Framer until EOF, handing out bodies and problems in order."""
    framer = Framer()
    while True:
        if framer.mid_body:
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), IDLE_FLUSH_S)
            except TimeoutError:
                dispatch(framer.flush_idle(), on_body, on_problem)
                continue
        else:
            data = await reader.read(READ_CHUNK)
        if not data:
            return
        dispatch(framer.feed(data), on_body, on_problem)


def dispatch(
    frames: list[Frame], on_body: Callable[[bytes], None], on_problem: Callable[[str], None]
) -> None:
    for frame in frames:
        if frame.problem is not None:
            on_problem(frame.problem)
        if frame.body is not None:
            on_body(frame.body)
