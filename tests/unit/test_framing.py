"""The stdin framer and the JSON-RPC envelope checks, byte by byte (pure parts of core/)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from zeke_ls.core.envelope import parse_body
from zeke_ls.core.framing import MAX_HEADER_BLOCK, Framer
from zeke_ls.providers.scrub import SecretBook


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def bodies(framer: Framer, *chunks: bytes) -> list[bytes]:
    found = []
    for chunk in chunks:
        found += [f.body for f in framer.feed(chunk) if f.body is not None]
    return found


def test_messages_split_anywhere_come_out_whole():
    data = frame(b'{"a": 1}') + frame(b'{"b": 2}')
    for cut in range(len(data)):
        assert bodies(Framer(), data[:cut], data[cut:]) == [b'{"a": 1}', b'{"b": 2}']


def test_other_headers_and_lowercase_names_are_accepted():
    data = b"content-length: 2\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n{}"
    assert bodies(Framer(), data) == [b"{}"]


def test_an_endless_header_line_is_dropped_in_bounded_memory():
    framer = Framer()
    for _ in range(20):
        framer.feed(b"j" * 64 * 1024)
        assert len(framer._buffer) <= MAX_HEADER_BLOCK
    assert bodies(framer, frame(b"{}")) == [b"{}"]


def test_a_too_large_content_length_recovers_at_the_next_header():
    first = b'{"id": 1}'
    data = b"Content-Length: 500\r\n\r\n" + first + frame(b'{"id": 2}')
    framer = Framer()
    frames = framer.feed(data)
    assert [f.body for f in frames if f.body] == [first, b'{"id": 2}']
    assert any("Content-Length 500 was wrong" in (f.problem or "") for f in frames)


def test_a_too_large_content_length_with_nothing_after_is_taken_when_idle():
    framer = Framer()
    assert bodies(framer, b'Content-Length: 500\r\n\r\n{"id": 1}') == []
    flushed = framer.flush_idle()
    assert [f.body for f in flushed if f.body] == [b'{"id": 1}']
    assert framer.flush_idle() == []


def test_an_incomplete_body_is_not_taken_when_idle():
    framer = Framer()
    framer.feed(b'Content-Length: 50\r\n\r\n{"id": 1, "method"')
    assert framer.flush_idle() == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_junk_before_a_message_never_loses_the_message(junk):
    framer = Framer()
    framer.feed(junk)
    framer.flush_idle()  # a too-large length from the junk ends once the client pauses
    got = bodies(framer, b"\r\n\r\n" + frame(b'{"id": "x"}'))
    if not got:  # junk ending inside a body that swallowed the frame: still answered next
        got = bodies(framer, frame(b'{"id": "x"}'))
    assert got and got[-1] == b'{"id": "x"}'


def test_envelope_errors_follow_the_spec():
    def code(body: bytes) -> tuple[int, object]:
        message, error = parse_body(body)
        assert message is None and error is not None
        return error["error"]["code"], error["id"]

    assert code(b"\xff") == (-32700, None)
    assert code(b"[" * 100_000) == (-32700, None)
    assert code(b"[]") == (-32600, None)
    assert code(json.dumps({"jsonrpc": "2.0", "id": {"x": 1}, "method": "m"}).encode()) == (
        -32600,
        None,
    )
    assert code(json.dumps({"jsonrpc": "2.0", "id": True, "method": "m"}).encode()) == (
        -32600,
        None,
    )
    assert code(json.dumps({"jsonrpc": "1.0", "id": 3, "method": "m"}).encode()) == (-32600, 3)
    assert code(json.dumps({"jsonrpc": "2.0", "id": 4}).encode()) == (-32600, 4)
    message, error = parse_body(b'{"jsonrpc": "2.0", "id": 5, "method": "m"}')
    assert error is None and message == {"jsonrpc": "2.0", "id": 5, "method": "m"}


def test_secret_book_scrubs_known_values_and_key_shapes():
    book = SecretBook()
    book.remember("plain-looking-value-42", "short", None)
    text = book.scrub("x plain-looking-value-42 y short sk-abcdefgh1234")
    assert text == "x *** y short ***"


def test_model_output_keeps_key_shaped_words():
    book = SecretBook()
    book.remember("plain-looking-value-42")
    assert book.scrub_known("task-runner_v2 plain-looking-value-42") == "task-runner_v2 ***"
