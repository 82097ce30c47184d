"""A proposal: parsed file patches applied to the texts they were proposed against.

Pure (texts in, texts out), so `features/edits.py` only does I/O. The proposal keeps the
patches and the base texts; accepting re-applies the chosen hunks, either to the same base
(nothing changed) or, when the document moved on, to the current text (re-anchoring), and
refuses with the precise hunk and reason when that cannot be done with confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zeke_ls.patch.apply import HunkOutcome, apply_hunks
from zeke_ls.patch.parse import FilePatch, Hunk
from zeke_ls.patch.workspace_edit import FileChange, unified_diff


@dataclass
class Source:
    """A file as it is now: open in the editor (with version) or on disk (via Glyph)."""

    uri: str
    display: str
    text: str | None
    version: int | None = None
    is_open: bool = False


@dataclass
class FileProposal:
    source: Source
    patch: FilePatch
    hunk_ids: list[str]
    after: str | None
    outcomes: list[HunkOutcome] = field(default_factory=list)
    new_uri: str | None = None

    @property
    def whole(self) -> bool:
        """Create, delete and rewrite are one unit: no hunks to pick or re-anchor."""
        return self.patch.kind != "modify"


class StaleError(Exception):
    """The current text no longer takes the chosen hunks; `details` name each one."""

    def __init__(self, message: str, details: list[dict[str, object]]):
        super().__init__(message)
        self.details = details


def propose_file(
    source: Source, patch: FilePatch, first_id: int, threshold: float, new_uri: str | None = None
) -> FileProposal:
    """Apply what can be applied now; hunk ids are `h1`, `h2`, ... across the proposal."""
    if patch.kind == "delete":
        return _whole(source, patch, f"h{first_id}", None, new_uri)
    if patch.kind in ("create", "rewrite"):
        if patch.kind == "create" and source.text:
            outcome = HunkOutcome(
                f"h{first_id}", "refused", reason=f"{source.display} already exists"
            )
            return FileProposal(source, patch, [outcome.id], source.text, [outcome])
        return _whole(source, patch, f"h{first_id}", patch.content or "", new_uri)
    ids = [f"h{first_id + i}" for i in range(len(patch.hunks))]
    result = apply_hunks(source.text or "", list(zip(ids, patch.hunks, strict=True)), threshold)
    return FileProposal(source, patch, ids, result.text, result.outcomes, new_uri)


def _whole(
    source: Source, patch: FilePatch, hunk_id: str, after: str | None, new_uri: str | None
) -> FileProposal:
    if patch.kind == "delete" and source.text is None:
        outcome = HunkOutcome(hunk_id, "refused", reason=f"{source.display} does not exist")
        return FileProposal(source, patch, [hunk_id], None, [outcome])
    outcome = HunkOutcome(hunk_id, "applied", level=patch.kind)
    return FileProposal(source, patch, [hunk_id], after, [outcome], new_uri)


def display_diff(files: list[FileProposal]) -> str:
    return "".join(
        unified_diff(f.source.display, f.source.text if f.patch.kind != "create" else None, f.after)
        for f in files
        if f.after != f.source.text or f.whole
    )


def rebase(
    proposal: FileProposal, current: Source, chosen: set[str], threshold: float
) -> FileChange | None:
    """The change to make now for the chosen hunks of one file, against `current`.

    Unchanged base: re-apply to it. Changed base: re-anchor against the current text, or raise
    StaleError naming every hunk that no longer fits. None when nothing is chosen here.
    """
    hunks: list[Hunk | None] = list(proposal.patch.hunks) or [None]
    picked = [(i, h) for i, h in zip(proposal.hunk_ids, hunks, strict=False) if i in chosen]
    if not picked and not (proposal.whole and proposal.hunk_ids[0] in chosen):
        return None
    if proposal.whole:
        if current.text != proposal.source.text:
            raise StaleError(
                f"{current.display} changed since the proposal; a whole-file "
                "change cannot be re-anchored",
                [{"id": proposal.hunk_ids[0]}],
            )
        before = None if proposal.patch.kind == "create" else current.text
        return FileChange(current.uri, before, proposal.after, current.version, proposal.new_uri)
    chosen_hunks = [(i, h) for i, h in picked if h is not None]
    result = apply_hunks(current.text or "", chosen_hunks, threshold)
    failed = [o.to_json() for o in result.outcomes if o.status != "applied"]
    if failed:
        raise StaleError(
            f"{current.display} changed since the proposal and "
            f"{len(failed)} hunk(s) no longer apply",
            failed,
        )
    return FileChange(current.uri, current.text, result.text, current.version, proposal.new_uri)
