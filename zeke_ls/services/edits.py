"""The Edits service: the proposal store, and an all-or-nothing multi-file apply.

Store rules:
- `take()` removes a proposal *before* anything is awaited, so two concurrent
  `zeke/editAccept` calls for one proposal cannot both apply it: the second is NotFound;
- a failed accept that changed nothing puts the proposal back (the user may retry);
- proposals expire by age and by count (`[edit] proposal_ttl_s`, `max_proposals`); an expired
  id is NotFound saying so.

Apply: every target is checked first (versions through rebasing, Glyph reachable, files and
directories writable); closed files are written through Glyph, keeping their old text, then
open documents change through one `workspace/applyEdit`. Any failure after the first write
restores what was written, so a multi-file accept lands whole or not at all.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeke_ls.core.rpc import NotFound, Refused, ToolFailed

if TYPE_CHECKING:
    from zeke_ls.config.schema import EditConfig
    from zeke_ls.patch.proposal import FileProposal
    from zeke_ls.patch.workspace_edit import FileChange

RECENTLY_EXPIRED = 256


@dataclass
class Proposal:
    id: str
    files: list[FileProposal]
    created: float = field(default_factory=time.monotonic)


class EditStore:
    def __init__(self, limits: Callable[[], EditConfig]):
        self._limits = limits
        self._proposals: OrderedDict[str, Proposal] = OrderedDict()
        self._expired: OrderedDict[str, str] = OrderedDict()
        self._accepting: set[str] = set()

    def new_id(self) -> str:
        return f"edit-{uuid.uuid4().hex[:12]}"

    def add(self, edit_id: str, files: list[FileProposal]) -> None:
        self._expire()
        self._proposals[edit_id] = Proposal(edit_id, files)
        limit = self._limits().max_proposals
        while len(self._proposals) > limit:
            oldest, _ = self._proposals.popitem(last=False)
            self._forget(oldest, f"more than {limit} proposals were pending ([edit] max_proposals)")

    def take(self, edit_id: str) -> Proposal:
        """Remove and return a proposal; synchronous, so no other accept can interleave."""
        self._expire()
        proposal = self._proposals.pop(edit_id, None)
        if proposal is None:
            raise self._missing(edit_id)
        self._accepting.add(edit_id)
        return proposal

    def put_back(self, proposal: Proposal) -> None:
        """An accept failed before changing anything: the proposal stays available."""
        self._accepting.discard(proposal.id)
        self._proposals[proposal.id] = proposal

    def settle(self, proposal: Proposal) -> None:
        self._accepting.discard(proposal.id)

    def reject(self, edit_id: str) -> None:
        self.take(edit_id)
        self._accepting.discard(edit_id)

    def __len__(self) -> int:
        return len(self._proposals)

    def _missing(self, edit_id: str) -> NotFound:
        if edit_id in self._accepting:
            return NotFound(f"edit {edit_id} is being accepted by another request")
        if edit_id in self._expired:
            return NotFound(f"edit {edit_id} expired: {self._expired[edit_id]}; ask for it again")
        return NotFound(f"unknown or already settled edit id: {edit_id}")

    def _expire(self) -> None:
        ttl = self._limits().proposal_ttl_s
        now = time.monotonic()
        for edit_id in [i for i, p in self._proposals.items() if now - p.created > ttl]:
            del self._proposals[edit_id]
            self._forget(edit_id, f"older than {ttl} s ([edit] proposal_ttl_s)")

    def _forget(self, edit_id: str, why: str) -> None:
        self._expired[edit_id] = why
        while len(self._expired) > RECENTLY_EXPIRED:
            self._expired.popitem(last=False)


@dataclass
class ClosedWrite:
    """One closed file's change, with what it takes to undo it."""

    path: Path
    target: Path
    before: str | None
    after: str | None


def preflight(writes: list[ClosedWrite]) -> None:
    """Refuse before the first change when a file or its directory cannot be written."""
    for write in writes:
        for path in {write.path, write.target}:
            if path.exists() and not os.access(path, os.W_OK):
                raise Refused(f"{path} is not writable; nothing was changed")
            parent = next(
                (p for p in itertools.chain([path.parent], path.parents) if p.exists()), None
            )
            if parent is None or not os.access(parent, os.W_OK):
                raise Refused(f"{path.parent} is not writable; nothing was changed")


async def write_all(
    writer: Any, writes: list[ClosedWrite], apply_open: Callable[[], Awaitable[None]]
) -> None:
    """Write closed files, then apply open documents; on any failure, restore what was
    written and re-raise. `writer` is the Glyph client."""
    await writer.ready()
    done: list[ClosedWrite] = []
    try:
        for write in writes:
            await _write(writer, write)
            done.append(write)
        await apply_open()
    except BaseException:
        await _restore(writer, done)
        raise


async def _write(writer: Any, write: ClosedWrite) -> None:
    if write.after is None:
        await writer.delete_file(write.path)
        return
    await writer.write_file(write.target, write.after)
    if write.target != write.path:
        await writer.delete_file(write.path)


async def _restore(writer: Any, done: list[ClosedWrite]) -> None:
    problems = []
    for write in reversed(done):
        try:
            if write.after is not None and write.target != write.path:  # a rename
                await writer.delete_file(write.target)
            if write.before is None:  # it was created
                await writer.delete_file(write.path)
            else:
                await writer.write_file(write.path, write.before)
        except Exception as exc:
            problems.append(f"{write.path}: {exc}")
    if problems:
        raise ToolFailed("an accept failed and could not be fully undone: " + "; ".join(problems))


def closed_write(change: FileChange, path: Path, target: Path) -> ClosedWrite:
    return ClosedWrite(path, target, change.before, change.after)
