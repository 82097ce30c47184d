"""The incremental SSE/NDJSON decoders and the wire-format parsers on recorded streams,
fed in every possible split so that chunk boundaries can never change the result."""

from __future__ import annotations

import json

import pytest

from zeke_ls.providers.anthropic import EventParser
from zeke_ls.providers.base import ProviderError
from zeke_ls.providers.ollama import LineParser
from zeke_ls.providers.openai import ChatParser
from zeke_ls.providers.sse import NDJSONDecoder, ServerSentEvent, SSEDecoder

# Recorded from an OpenAI-compatible server (llama.cpp / OpenAI style), CRLF line ends,
# a keep-alive comment, a multi-byte character, a tool call in two fragments, usage, [DONE].
OPENAI_STREAM = (
    b": keep-alive\r\n\r\n"
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant",'
    b'"content":"caf\xc3\xa9"}}]}\r\n\r\n'
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
    b'"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\\"pa"}}]}}]}'
    b"\r\n\r\n"
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
    b'"function":{"arguments":"th\\": \\"a.py\\"}"}}]}}]}\r\n\r\n'
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{},'
    b'"finish_reason":"tool_calls"}]}\r\n\r\n'
    b'data: {"id":"c1","model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":4}}'
    b"\r\n\r\n"
    b"data: [DONE]\r\n\r\n"
)

ANTHROPIC_STREAM = (
    b"event: message_start\n"
    b'data: {"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":21,'
    b'"output_tokens":1}}}\n\n'
    b'event: ping\ndata: {"type":"ping"}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n'
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use",'
    b'"id":"toolu_1","name":"search","input":{}}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    b'"partial_json":"{\\"q\\": "}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    b'"partial_json":"\\"x\\"}"}}\n\n'
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n'
    b"event: message_delta\n"
    b'data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},'
    b'"usage":{"output_tokens":9}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)

OLLAMA_STREAM = (
    b'{"model":"q","message":{"role":"assistant","content":"def"},"done":false}\n'
    b'{"model":"q","message":{"role":"assistant","content":" f():"},"done":false}\n'
    b'{"model":"q","message":{"role":"assistant","content":"","tool_calls":[{"function":'
    b'{"name":"run","arguments":{"cmd":"ls"}}}]},"done":false}\n'
    b'{"model":"q","message":{"role":"assistant","content":""},"done":true,'
    b'"done_reason":"stop","prompt_eval_count":12,"eval_count":3}\n'
)


def sse_split(stream: bytes, cut: int) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])


def all_splits(stream: bytes) -> range:
    return range(len(stream) + 1)


def test_sse_events_do_not_depend_on_chunk_boundaries():
    whole = SSEDecoder().feed(OPENAI_STREAM)
    assert len(whole) == 6 and whole[-1].data == "[DONE]"
    assert "café" in whole[0].data
    for cut in all_splits(OPENAI_STREAM):
        assert sse_split(OPENAI_STREAM, cut) == whole, cut


def test_sse_byte_by_byte_cr_only_multiline_and_names():
    stream = b"event: a\rdata: one\rdata: two\r\r:comment\nid: 7\ndata:x\n\n"
    decoder = SSEDecoder()
    events = [e for byte in stream for e in decoder.feed(bytes([byte]))]
    assert events == [ServerSentEvent("a", "one\ntwo"), ServerSentEvent("message", "x", "7")]
    assert not decoder.pending()


def test_sse_holds_an_unfinished_event():
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}\n') == []
    assert decoder.pending()
    assert decoder.feed(b"\n") == [ServerSentEvent("message", '{"a": 1}')]


def test_ndjson_lines_in_any_split_and_a_last_line_without_newline():
    for cut in all_splits(OLLAMA_STREAM):
        decoder = NDJSONDecoder()
        lines = decoder.feed(OLLAMA_STREAM[:cut]) + decoder.feed(OLLAMA_STREAM[cut:])
        assert len(lines) == 4, cut
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a":1}\n{"b"') == ['{"a":1}']
    assert decoder.flush() == ['{"b"']


def test_openai_parser_text_tool_calls_usage_done():
    parser = ChatParser()
    deltas = [d for e in SSEDecoder().feed(OPENAI_STREAM) for d in parser.feed(e.data)]
    assert parser.done
    assert "".join(d.text for d in deltas) == "café"
    fragments = [c for d in deltas for c in d.tool_calls]
    assert fragments[0].id == "call_1" and fragments[0].name == "read_file"
    assert json.loads("".join(c.arguments for c in fragments)) == {"path": "a.py"}
    assert [d.finish_reason for d in deltas if d.finish_reason] == ["tool_calls"]
    assert deltas[-1].usage is not None and deltas[-1].usage.completion_tokens == 4


def test_openai_parser_in_stream_error_and_malformed_chunk():
    with pytest.raises(ProviderError, match="overloaded"):
        ChatParser().feed('{"error": {"message": "overloaded"}}')
    with pytest.raises(ProviderError, match="malformed"):
        ChatParser().feed("{not json")


def test_anthropic_parser_text_tool_input_json_and_usage():
    parser = EventParser()
    deltas = [d for e in SSEDecoder().feed(ANTHROPIC_STREAM) for d in parser.feed(e.data, e.event)]
    assert parser.done
    assert "".join(d.text for d in deltas) == "Hi"
    calls = [c for d in deltas for c in d.tool_calls]
    assert calls[0].index == 0 and calls[0].id == "toolu_1" and calls[0].name == "search"
    assert json.loads("".join(c.arguments for c in calls)) == {"q": "x"}
    last = deltas[-1]
    assert last.finish_reason == "tool_calls"
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (21, 9)


def test_anthropic_error_event_is_an_error():
    with pytest.raises(ProviderError, match="Overloaded"):
        EventParser().feed('{"type":"error","error":{"type":"overloaded","message":"Overloaded"}}')


def test_ollama_parser_text_whole_tool_calls_and_counts():
    parser = LineParser()
    deltas = [d for line in NDJSONDecoder().feed(OLLAMA_STREAM) for d in parser.feed(line)]
    assert parser.done
    assert "".join(d.text for d in deltas) == "def f():"
    (call,) = [c for d in deltas for c in d.tool_calls]
    assert call.name == "run" and json.loads(call.arguments) == {"cmd": "ls"}
    assert deltas[-1].finish_reason == "tool_calls"
    assert deltas[-1].usage is not None and deltas[-1].usage.prompt_tokens == 12
    with pytest.raises(ProviderError, match="model not found"):
        LineParser().feed('{"error": "model not found"}')
