"""From a framed body to a JSON-RPC message, or to the error the JSON-RPC 2.0 spec gives.

Checked before pygls sees anything, because pygls answers none of these (it logs and drops
them, and the client waits forever): a body that is not UTF-8 or not JSON, or nested too
deeply to parse (-32700, id null); a batch, a non-object, a wrong `jsonrpc`, an `id` that is
neither string, integer nor null, a `method` that is not a string (-32600, with the request's
id when it is a valid one).
"""

from __future__ import annotations

import json
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


def error_response(code: int, message: str, msg_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def parse_body(body: bytes) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(message, None) for a message to handle, or (None, error response) to send."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, error_response(
            PARSE_ERROR, f"Parse error: the body is not UTF-8 (invalid byte at offset {exc.start})"
        )
    try:
        message = json.loads(text)
    except RecursionError:
        return None, error_response(PARSE_ERROR, "Parse error: JSON nested too deeply")
    except ValueError as exc:
        return None, error_response(PARSE_ERROR, f"Parse error: {exc}")
    return check_envelope(message)


def valid_id(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool))
    )


def check_envelope(message: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if isinstance(message, list):
        return None, error_response(
            INVALID_REQUEST,
            "Invalid Request: batches are not supported; send one message per frame",
        )
    if not isinstance(message, dict):
        return None, error_response(
            INVALID_REQUEST, "Invalid Request: not a JSON-RPC message object"
        )
    msg_id = message.get("id")
    if not valid_id(msg_id):
        return None, error_response(
            INVALID_REQUEST, "Invalid Request: id must be a string, an integer or null"
        )
    if message.get("jsonrpc") != "2.0":
        return None, error_response(
            INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"', msg_id
        )
    method = message.get("method")
    if "method" in message and not isinstance(method, str):
        return None, error_response(
            INVALID_REQUEST, "Invalid Request: method must be a string", msg_id
        )
    if method is None and not ("result" in message or "error" in message):
        return None, error_response(
            INVALID_REQUEST,
            "Invalid Request: neither a request, a notification nor a response",
            msg_id,
        )
    return message, None
