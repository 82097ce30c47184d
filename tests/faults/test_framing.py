"""Malformed framing and JSON-RPC on stdin: every bad message gets the JSON-RPC error the spec
gives (or, for framing that names no message, a log line), and the daemon keeps serving."""

from __future__ import annotations

import json

import pytest

from tests.faults.raw import RawDaemon, frame, request

BIG = 70 * 1024


@pytest.fixture
async def daemon(tmp_path):
    raw = await RawDaemon(tmp_path).start()
    try:
        await raw.initialize()
        yield raw
    finally:
        await raw.stop()


async def test_oversized_header_line_is_skipped_and_the_next_message_answered(daemon, tally):
    await daemon.send(b"X-Junk: " + b"j" * BIG + b"\r\n" + frame(request(1, "zeke/status", {})))
    answer = await daemon.answer(1)
    tally.check("70 KB header line", "result" in answer, answer)
    tally.check("70 KB header line: still alive", await daemon.alive())
    tally.check(
        "oversized header is logged", "header" in daemon.stderr().lower(), daemon.stderr()[-500:]
    )


async def test_70_kb_without_a_newline_then_a_valid_message(daemon, tally):
    await daemon.send(b"j" * BIG)
    await daemon.send(frame(request(2, "zeke/status", {})))
    answer = await daemon.answer(2)
    tally.check("70 KB with no newline", "result" in answer, answer)
    tally.check("70 KB with no newline: still alive", await daemon.alive())


async def test_content_length_too_small_answers_parse_error_then_recovers(daemon, tally):
    body = json.dumps(request(3, "zeke/status", {})).encode()
    await daemon.send(b"Content-Length: %d\r\n\r\n%s" % (len(body) - 5, body))
    await daemon.send(frame(request(4, "zeke/status", {})))
    error = await daemon.answer(None)
    tally.check("short Content-Length: -32700", error.get("error", {}).get("code") == -32700, error)
    answer = await daemon.answer(4)
    tally.check("short Content-Length: next message answered", "result" in answer, answer)


async def test_content_length_too_large_recovers_at_the_next_header(daemon, tally):
    body = json.dumps(request(5, "zeke/status", {})).encode()
    await daemon.send(b"Content-Length: %d\r\n\r\n%s" % (len(body) + 400, body))
    await daemon.send(frame(request(6, "zeke/status", {})))
    answer = await daemon.answer(6)
    tally.check("long Content-Length: next message answered", "result" in answer, answer)
    first = await daemon.answer(5)
    tally.check("long Content-Length: its own message answered too", "result" in first, first)
    tally.check(
        "wrong Content-Length is logged",
        "content-length" in daemon.stderr().lower(),
        daemon.stderr()[-500:],
    )


BROKEN_HEADERS = [
    b"Content-Length: abc\r\n\r\n",
    b"Content-Length: 99999999999999999999\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"Content-Type: application/json\r\n\r\n{}",
    b"Content-Length: -5\r\n\r\n",
    b"Content-Length: 10\r\nContent-Length\r\n\r\n",
    b"\x00\x01\x02\r\n\r\n",
]


async def test_broken_headers_never_stop_the_daemon(daemon, tally):
    for number, junk in enumerate(BROKEN_HEADERS):
        await daemon.send(junk)
        answer = await daemon.call(f"h{number}", "zeke/status", {})
        tally.check(f"header junk {junk[:30]!r}", "result" in answer, answer)


BAD_BODIES = {
    "invalid UTF-8 request": (
        b'{"jsonrpc": "2.0", "id": 8, "method": "zeke/status", "x": "\xff\xfe"}',
        -32700,
    ),
    "invalid UTF-8 garbage": (b"\xff\xfe\xfd\x80\x81 garbage \xc3\x28", -32700),
    "ASCII garbage": (b"this is not json", -32700),
    "100k nested arrays": (b"[" * 100_000 + b"]" * 100_000, -32700),
    "50k nested objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, -32700),
    "an array (batch)": (b"[]", -32600),
    "a number": (b"42", -32600),
    "an object as id": (
        json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "zeke/status"}).encode(),
        -32600,
    ),
    "a list as id": (
        json.dumps({"jsonrpc": "2.0", "id": [1], "method": "zeke/status"}).encode(),
        -32600,
    ),
    "method not a string": (json.dumps({"jsonrpc": "2.0", "id": 9, "method": 5}).encode(), -32600),
}


async def test_bad_bodies_get_the_json_rpc_error_the_spec_gives(daemon, tally):
    for name, (body, code) in BAD_BODIES.items():
        mark = len(daemon.messages)
        await daemon.send(frame(body))
        error = await daemon.answer(9 if name == "method not a string" else None, since=mark)
        tally.check(name, error.get("error", {}).get("code") == code, error)
        tally.check(f"{name}: still alive", await daemon.alive())


async def test_jsonrpc_1_0_is_an_invalid_request_with_its_id(daemon, tally):
    await daemon.send(frame({"jsonrpc": "1.0", "id": 10, "method": "zeke/status"}))
    error = await daemon.answer(10)
    tally.check('"jsonrpc": "1.0"', error.get("error", {}).get("code") == -32600, error)
    await daemon.send(frame({"id": 11, "method": "zeke/status"}))
    error = await daemon.answer(11)
    tally.check("no jsonrpc member", error.get("error", {}).get("code") == -32600, error)


async def test_a_burst_of_mixed_garbage_in_one_write_answers_the_good_requests(daemon, tally):
    """Bounded: 30 rounds of junk interleaved with real requests, all in a single write."""
    junk = [b"\xff" * 100, b"X: y\r\n\r\n", frame(b"{"), frame(b"[" * 5000), b"j" * 5000]
    data = b"".join(
        junk[i % len(junk)] + frame(request(100 + i, "zeke/status", {})) for i in range(30)
    )
    await daemon.send(data)
    answered = 0
    for i in range(30):
        answer = await daemon.answer(100 + i)
        answered += "result" in answer
    tally.check("30 requests between junk", answered == 30, f"{answered} of 30 answered")
