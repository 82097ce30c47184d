"""Incremental stream framing: Server-Sent Events and newline-delimited JSON.

Network chunks split events anywhere (mid-line, between CR and LF, inside a UTF-8 sequence),
so both decoders keep a buffer and hand out only complete events. The SSE decoder follows the
WHATWG rules that matter for model APIs: CRLF, LF or CR line ends, `:` comments, multi-line
`data`, and `event` names. `[DONE]` is left to the wire format to interpret.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


class SSEDecoder:
    """Feed raw bytes, get complete events; `pending()` tells whether a partial event is held."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        self._buffer += self._text.decode(chunk)
        events: list[ServerSentEvent] = []
        for line in self._complete_lines():
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def pending(self) -> bool:
        return bool(self._buffer.strip() or self._data)

    def _complete_lines(self) -> list[str]:
        """Split off every finished line; a trailing CR may still be the first half of CRLF."""
        text = self._buffer
        lines: list[str] = []
        start = 0
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\n" or char == "\r":
                if char == "\r" and i + 1 == len(text):
                    break  # wait: the LF of this CRLF may be in the next chunk
                lines.append(text[start:i])
                if char == "\r" and text[i + 1] == "\n":
                    i += 1
                start = i + 1
            i += 1
        self._buffer = text[start:]
        return lines

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment / keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._id)
        self._event, self._data = "", []
        return event


class NDJSONDecoder:
    """Feed raw bytes, get complete non-empty lines (Ollama's native streaming)."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def feed(self, chunk: bytes) -> list[str]:
        self._buffer += self._text.decode(chunk)
        *lines, self._buffer = self._buffer.split("\n")
        return [line.strip() for line in lines if line.strip()]

    def pending(self) -> bool:
        return bool(self._buffer.strip())

    def flush(self) -> list[str]:
        """A final line without a newline still counts (some servers omit the last one)."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []
