"""Optional embeddings: chunk vectors from an OpenAI-compatible `/v1/embeddings` alias.

Vectors are fetched through the router (`Router.embed`) in batches, stored as float32 blobs
beside their chunks, and searched by cosine similarity over an in-memory matrix (NumPy), which
is rebuilt only when the set of vectors changed. Changing the alias drops the old vectors.
"""

from __future__ import annotations

import array
import math
from dataclasses import dataclass, field
from typing import Any

from zeke_ls.index.store import Store

BATCH = 32
EMBED_CHARS = 2000
"""Only the start of a chunk is embedded (the model's window is small: 512 tokens for e5)."""


def pending(store: Store, model: str, limit: int) -> list[tuple[int, str]]:
    """Chunks without a vector from `model` (vectors of another model are dropped first)."""
    if store.meta("embeddings_model") != model:
        store.db.execute("DELETE FROM vectors")
        store.set_meta("embeddings_model", model)
    rows = store.db.execute(
        "SELECT c.id, f.path, c.name, c.text FROM chunks c JOIN files f ON f.id = c.file_id "
        "LEFT JOIN vectors v ON v.chunk_id = c.id WHERE v.chunk_id IS NULL LIMIT ?",
        (limit,),
    )
    import zlib

    return [
        (cid, embed_text(path, name, zlib.decompress(blob).decode("utf-8", "replace")))
        for cid, path, name, blob in rows
    ]


def embed_text(path: str, name: str, text: str) -> str:
    return f"{path} {name}\n{text[:EMBED_CHARS]}"


def save(store: Store, ids: list[int], vectors: list[list[float]]) -> None:
    store.db.executemany(
        "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
        [(cid, pack(vector)) for cid, vector in zip(ids, vectors, strict=True)],
    )
    store.commit()


def pack(vector: list[float]) -> bytes:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return array.array("f", (x / norm for x in vector)).tobytes()


@dataclass
class VectorTable:
    """All vectors of one store as a matrix, reloaded when their count changes."""

    ids: list[int] = field(default_factory=list)
    matrix: Any = None
    loaded_count: int = -1

    def refresh(self, store: Store) -> None:
        import numpy as np

        count = int(store.db.execute("SELECT count(*) FROM vectors").fetchone()[0])
        if count == self.loaded_count:
            return
        rows = store.db.execute("SELECT chunk_id, vector FROM vectors").fetchall()
        self.ids = [cid for cid, _ in rows]
        self.matrix = (
            np.vstack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows]) if rows else None
        )
        self.loaded_count = count

    def nearest(self, store: Store, query: list[float], limit: int) -> list[tuple[int, float]]:
        import numpy as np

        self.refresh(store)
        if self.matrix is None:
            return []
        q = np.frombuffer(pack(query), dtype=np.float32)
        if q.shape[0] != self.matrix.shape[1]:
            return []
        scores = self.matrix @ q
        top = np.argsort(-scores)[:limit]
        return [(self.ids[i], float(scores[i])) for i in top]
