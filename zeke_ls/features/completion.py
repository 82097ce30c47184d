"""Inline (ghost text) completion over LSP, two ways.

`textDocument/inlineCompletion` (LSP 3.18) is the standard method: items with `insertText` and
the exact (empty) range at the cursor. Clients without it (Grim sends empty capabilities, eglot,
older editors) get the same suggestions as `textDocument/completion` items whose `textEdit`
replaces the word being typed, labelled as AI, with `isIncomplete` so the menu asks again as
the user types (answered from the cache while the typing matches). Clients that do support
inline completion get no AI items in the menu, so nothing is fetched twice.

`zeke/didShowCompletion` and `zeke/didAcceptCompletion` tell the server what was used; every
inline item also carries the `zeke.didAccept` command (see completion/feedback.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path

from zeke_ls.completion import feedback as completion_feedback
from zeke_ls.completion.engine import CompletionEngine
from zeke_ls.context.packer import (
    Cursor,
    PackedContext,
    Snippet,
    is_binary,
    relative_path,
)
from zeke_ls.context.positions import index_to_units
from zeke_ls.core.rpc import ConfigInvalid
from zeke_ls.providers.base import ProviderError
from zeke_ls.services.documents import parse_uri
from zeke_ls.services.stale import StaleDocuments, clamp_position

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from zeke_ls.config.schema import ZekeConfig
    from zeke_ls.core.server import ZekeServer

log = logging.getLogger(__name__)

DID_SHOW = "zeke/didShowCompletion"
DID_ACCEPT = "zeke/didAcceptCompletion"
MAX_OTHER_DOCUMENTS = 3
LABEL_CHARS = 72
_WORD = re.compile(r"[\w$]+$")


@dataclass(frozen=True)
class Prepared:
    uri: str
    cursor: Cursor
    ctx: PackedContext
    encoding: str


def find_document(server: ZekeServer, uri: str) -> TextDocument:
    """An open document; never one read from disk behind the client's back."""
    return server.session.documents.require_open(parse_uri(uri))


def prepare(
    server: ZekeServer,
    engine: CompletionEngine,
    uri: str,
    position: types.Position,
    stale: StaleDocuments | None = None,
) -> Prepared | None:
    """Packed context at the position, or None where no suggestion makes sense."""
    if stale is not None:
        stale.refresh(uri)  # a client that never sends didChange (Grim): newer file on disk
    document = find_document(server, uri)
    text = document.source
    config = server.session.config
    if len(text) > config.context.max_file_bytes or is_binary(text):
        log.info("no completion for %s: binary or larger than max_file_bytes", uri)
        return None
    encoding = position_encoding(server)
    line, character = position.line, position.character
    if stale is not None and uri in stale.synced:
        line, character = clamp_position(text, line, character)  # the copy may be older
    cursor = engine.cursors.resolve(uri, text, line, character, encoding)
    if cursor is None:
        return None
    path = relative_path(to_fs_path(uri) or uri, server.session.roots)
    ctx = engine.packer.pack(
        text,
        cursor,
        path=path,
        language=document.language_id or path.rpartition(".")[2],
        budget=config.completion.prompt_tokens,
        prefix_ratio=config.completion.prefix_ratio,
        others=other_documents(server, uri),
        reserved=precomputed(server, uri),
        reserve_tokens=int(config.completion.prompt_tokens * config.index.completion_share),
    )
    return Prepared(uri, cursor, ctx, encoding)


def position_encoding(server: ZekeServer) -> str:
    """The encoding negotiated at initialize: `utf-16` unless the client offered another."""
    return server.session.documents.codec.encoding


def precomputed(server: ZekeServer, uri: str) -> list[Snippet]:
    """Definitions of the symbols near the cursor, found by the index after the last edit
    (so this request does no index work)."""
    index = server.session.index
    return index.completion_snippets(unquote(uri)) if index is not None else []


def other_documents(server: ZekeServer, uri: str) -> list[Snippet]:
    """The most recently opened other documents, as snippet candidates."""
    found = []
    this = parse_uri(uri).key
    for other_uri, document in reversed(server.workspace.text_documents.items()):
        if parse_uri(other_uri).key == this:
            continue
        text = document.source[:8000]
        if not is_binary(text):
            path = relative_path(to_fs_path(other_uri) or other_uri, server.session.roots)
            found.append(Snippet(path, text))
        if len(found) >= MAX_OTHER_DOCUMENTS:
            break
    return found


async def suggestions(
    server: ZekeServer, engine: CompletionEngine, prepared: Prepared, invoked: bool
) -> list[str]:
    """The engine's suggestions. Failures are empty for automatic requests (the user did not
    ask, so no error popups per keystroke) and a clear error when the user invoked it."""
    count = server.session.config.completion.max_suggestions if invoked else 1
    try:
        return await engine.suggest(prepared.uri, prepared.ctx, count)
    except ProviderError as exc:
        log.warning("completion failed: %s", exc)
        if invoked:
            raise server.session.models.error(
                exc, "completion", server.session.model_for("completion")
            ) from None
        server.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Warning, message=f"zeke completion: {exc}"
            )
        )
        return []
    except ValueError as exc:
        raise ConfigInvalid(str(exc)) from None


def inline_items(
    prepared: Prepared, texts: list[str], issued: completion_feedback.IssuedItems
) -> types.InlineCompletionList:
    here = types.Position(prepared.cursor.line, prepared.cursor.character)
    return types.InlineCompletionList(
        items=[
            types.InlineCompletionItem(
                insert_text=text, range=types.Range(here, here), command=issued.command(text)
            )
            for text in texts
        ]
    )


def menu_items(prepared: Prepared, texts: list[str], alias: str) -> list[types.CompletionItem]:
    """Items that replace the word being typed, so that menu filtering keeps them."""
    ctx, cursor = prepared.ctx, prepared.cursor
    word_match = _WORD.search(ctx.line_prefix)
    word = word_match.group(0) if word_match else ""
    start = cursor.character - index_to_units(word, len(word), prepared.encoding)
    edit_range = types.Range(
        types.Position(cursor.line, start), types.Position(cursor.line, cursor.character)
    )
    items: list[types.CompletionItem] = []
    for rank, text in enumerate(texts):
        full = word + text
        label = menu_label(full)
        if label is None or any(item.label == label for item in items):
            continue
        items.append(
            types.CompletionItem(
                label=label,
                label_details=types.CompletionItemLabelDetails(description="zeke AI"),
                kind=types.CompletionItemKind.Text,
                detail=f"zeke AI suggestion ({alias})",
                documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=full),
                sort_text=f"0zeke{rank}",
                filter_text=full,
                insert_text_format=types.InsertTextFormat.PlainText,
                text_edit=types.TextEdit(range=edit_range, new_text=full),
            )
        )
    return items


def menu_label(full: str) -> str | None:
    """A label that reads well alone (Grim shows nothing else): the first line of code,
    trimmed, and how many more lines the suggestion holds; None for a blank suggestion."""
    lines = [line.strip() for line in full.strip().splitlines()]
    if not lines or not lines[0]:
        return None
    first = lines[0] if len(lines[0]) <= LABEL_CHARS else lines[0][: LABEL_CHARS - 1] + "…"
    more = sum(1 for line in lines[1:] if line)
    return first + (f"  (+{more} line{'s' if more > 1 else ''})" if more else "")


def supports_inline(server: ZekeServer) -> bool:
    text_document = server.client_capabilities.text_document
    return text_document is not None and text_document.inline_completion is not None


def _get(params: Any, name: str) -> Any:
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def apply_config(
    engine: CompletionEngine, options: types.CompletionOptions, config: ZekeConfig
) -> None:
    """Follow config reloads. The config is first loaded inside `initialize`, before pygls
    computes the capabilities, so trigger characters from zeke.toml are advertised."""
    options.trigger_characters = config.completion.trigger_chars or None
    engine.cache.size = config.completion.cache_size


def register(server: ZekeServer) -> None:
    engine = CompletionEngine(server.session)
    issued = completion_feedback.IssuedItems()
    completion_feedback.register(server, issued)
    stale = StaleDocuments(server)
    options = types.CompletionOptions()
    server.session.settings.subscribe(lambda config: apply_config(engine, options, config))

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(params: types.InlineCompletionParams) -> types.InlineCompletionList:
        prepared = prepare(server, engine, params.text_document.uri, params.position)
        if prepared is None:
            return types.InlineCompletionList(items=[])
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        texts = await suggestions(server, engine, prepared, invoked)
        return inline_items(prepared, texts, issued)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, options)
    async def completion(params: types.CompletionParams) -> types.CompletionList:
        if supports_inline(server):
            return types.CompletionList(is_incomplete=False, items=[])
        prepared = prepare(server, engine, params.text_document.uri, params.position, stale)
        if prepared is None:
            return types.CompletionList(is_incomplete=True, items=[])
        invoked = (
            params.context is not None
            and params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        )
        texts = await suggestions(server, engine, prepared, invoked)
        alias = server.session.model_for("completion")
        return types.CompletionList(is_incomplete=True, items=menu_items(prepared, texts, alias))

    @server.feature(DID_SHOW)
    def did_show(params: Any) -> None:
        completion_feedback.record(server, "shown", params)

    @server.feature(DID_ACCEPT)
    def did_accept(params: Any) -> None:
        completion_feedback.record(server, "accepted", params)
