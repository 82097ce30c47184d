"""The pinned context as prompt pieces, shared by chat (which packs it) and the context
methods (which list it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pygls.uris import from_fs_path

if TYPE_CHECKING:
    from zeke_ls.context.budget import Piece
    from zeke_ls.core.session import Session


def pinned_pieces(session: Session) -> tuple[list[Piece], list[dict[str, Any]]]:
    """The set's items as budget pieces, open buffers winning over the disk (blocking: it
    re-reads files that changed); items whose file vanished leave the set and are listed."""
    texts = session.documents.open_texts()
    pieces, vanished = session.context_set.pieces(texts.get)
    return pieces, [
        {"id": v["id"], "uri": from_fs_path(v["path"]), "reason": v["reason"]} for v in vanished
    ]
