"""The token budgeter: pack context pieces into a model's window, most important first.

Pieces come in priority order: the selection (and the lines around it), pinned ranges,
pinned files, then other open documents. When they do not all fit, whole lower-priority pieces
are dropped first; only the piece at the boundary (everything below it already dropped) is
trimmed, and the cut is marked in the text so the model knows it is looking at part of a file.
Counting goes through `TokenCounter`, so a repack after one file changes encodes only that file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zeke_ls.context.tokens import TokenCounter, truncate_to_tokens

PRIORITY = {"selection": 0, "surrounding": 0, "range": 1, "file": 2, "index": 3, "document": 3}
"""Lower packs first. The surrounding lines share the selection's tier but follow it."""

MIN_TRIMMED_TOKENS = 32
"""A trimmed piece smaller than this is not worth its header: it is dropped instead."""


@dataclass
class Piece:
    """One candidate for the prompt: a label the model sees, and the text under it."""

    key: str
    kind: str
    label: str
    text: str

    @property
    def priority(self) -> int:
        return PRIORITY.get(self.kind, max(PRIORITY.values()) + 1)


@dataclass
class Packed:
    key: str
    kind: str
    label: str
    text: str
    tokens: int
    """Tokens of the text as packed (after trimming), header included."""
    original_tokens: int
    trimmed: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "tokens": self.tokens,
            "originalTokens": self.original_tokens,
            "trimmed": self.trimmed,
        }


@dataclass
class Dropped:
    key: str
    kind: str
    label: str
    tokens: int
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "tokens": self.tokens,
            "reason": self.reason,
        }


@dataclass
class Pack:
    budget: int
    included: list[Packed] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    @property
    def used(self) -> int:
        return sum(p.tokens for p in self.included)

    @property
    def trimmed(self) -> list[Packed]:
        return [p for p in self.included if p.trimmed]

    def render(self) -> str:
        """The packed pieces as one block of text for the prompt."""
        return "".join(p.text for p in self.included)

    def report(self) -> dict[str, object]:
        return {
            "budget": self.budget,
            "used": self.used,
            "included": [p.to_json() for p in self.included],
            "trimmed": [p.key for p in self.trimmed],
            "dropped": [d.to_json() for d in self.dropped],
        }


def header(label: str) -> str:
    return f"### {label}\n```\n"


FOOTER = "\n```\n\n"


def trim_marker(kept: int, total: int) -> str:
    """Visible to the model: it must not assume the code ends where the text stops."""
    return f"\n[... zeke: trimmed here, {total - kept} of {total} tokens not shown ...]"


def piece_cost(counter: TokenCounter, piece: Piece) -> tuple[int, int]:
    """(frame tokens, text tokens): the frame is counted apart so that it is cached once."""
    frame = counter.count(header(piece.label)) + counter.count(FOOTER)
    return frame, counter.count(piece.text)


def pack(pieces: list[Piece], budget: int, counter: TokenCounter) -> Pack:
    """Pack in priority order; drop whole pieces below the boundary, trim the boundary piece."""
    result = Pack(budget=max(budget, 0))
    boundary: str | None = None
    for piece in sorted(pieces, key=lambda p: p.priority):  # stable: keeps order within a tier
        frame, tokens = piece_cost(counter, piece)
        room = result.budget - result.used
        if boundary is None and frame + tokens <= room:
            text = header(piece.label) + piece.text + FOOTER
            result.included.append(
                Packed(piece.key, piece.kind, piece.label, text, frame + tokens, tokens)
            )
            continue
        if boundary is None:
            boundary = piece.label
            packed = trim_piece(piece, frame, tokens, room, counter)
            if packed is not None:
                result.included.append(packed)
                continue
            result.dropped.append(
                Dropped(
                    piece.key,
                    piece.kind,
                    piece.label,
                    tokens,
                    f"over budget: {frame + tokens} tokens, {room} left",
                )
            )
            continue
        result.dropped.append(
            Dropped(
                piece.key,
                piece.kind,
                piece.label,
                tokens,
                f"over budget: lower priority than {boundary}",
            )
        )
    return result


def trim_piece(
    piece: Piece, frame: int, tokens: int, room: int, counter: TokenCounter
) -> Packed | None:
    """Keep the start of the piece within `room`, with a visible marker; None if too small."""
    marker_cost = counter.count(trim_marker(0, tokens)) + 2
    keep = room - frame - marker_cost
    if keep < MIN_TRIMMED_TOKENS:
        return None
    kept_text = truncate_to_tokens(piece.text, keep, keep="start")
    text = header(piece.label) + kept_text + trim_marker(keep, tokens) + FOOTER
    return Packed(
        piece.key, piece.kind, piece.label, text, frame + keep + marker_cost, tokens, trimmed=True
    )
