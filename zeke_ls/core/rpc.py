"""JSON-RPC plumbing shared by every `zeke/*` method: params as dicts, typed errors.

pygls turns the params of methods it does not know into namedtuples; zeke_ls keeps them as
plain dicts instead and validates them with pydantic, so that a bad field becomes a precise
`InvalidParams` error naming the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import cattrs
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, default_converter

if TYPE_CHECKING:
    from pydantic import BaseModel

    from zeke_ls.core.params import Params as Params

M = TypeVar("M", bound="BaseModel")


def __getattr__(name: str) -> Any:
    """`Params` loads pydantic: import it on first use, not with the LSP core."""
    if name == "Params":
        from zeke_ls.core.params import Params

        return Params
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ZekeError(JsonRpcException):
    """Base of zeke_ls's own error codes (the JSON-RPC server-error range)."""

    CODE = -32000

    def __init__(self, message: str, data: Any = None):
        super().__init__(code=self.CODE, message=message, data=data)


class ProviderFailed(ZekeError):
    """The model provider failed (connect, HTTP status, timeout, broken stream)."""

    CODE = -32001


class ConfigInvalid(ZekeError):
    """The config in effect cannot serve the request (e.g. a missing env var)."""

    CODE = -32002


class NotFound(ZekeError):
    """Unknown document, chat id, edit id or alias."""

    CODE = -32003


class StaleDocument(ZekeError):
    """The document changed since the proposal or position was computed."""

    CODE = -32004


class Refused(ZekeError):
    """The request is understood but refused: outside the workspace, binary, too big."""

    CODE = -32005


class ToolFailed(ZekeError):
    """The MCP tool server (Glyph) failed or is unreachable."""

    CODE = -32006


def parse_params(model: type[M], params: Any) -> M:
    """Validate raw params into a model, or raise InvalidParams naming each bad field."""
    from pydantic import ValidationError

    if params is None:
        params = {}
    if hasattr(params, "_asdict"):  # a namedtuple from pygls's default converter
        params = _namedtuple_to_dict(params)
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise JsonRpcInvalidParams(message=f"invalid params: {details}") from None


def _namedtuple_to_dict(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _namedtuple_to_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [_namedtuple_to_dict(v) for v in value]
    return value


def _keep_params_raw(obj: dict[str, Any], cls: type) -> Any:
    # JSON-RPC lets a request omit `params`; pygls's message classes require the field.
    return cls(**({"params": None} | obj))


def converter_factory() -> cattrs.Converter:
    """pygls's converter, but params of non-LSP methods stay plain JSON values."""
    converter = default_converter()
    converter.register_structure_hook(JsonRPCRequestMessage, _keep_params_raw)
    converter.register_structure_hook(JsonRPCNotification, _keep_params_raw)
    return converter
