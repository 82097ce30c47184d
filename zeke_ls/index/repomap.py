"""The repo map: files ranked by the reference graph, shown as an outline of signatures.

Like aider's: file A references file B when A uses a name that B defines (names defined in
many files are too ambiguous to count). PageRank over that graph, personalised towards the
files the user is looking at, orders the files; each file is shown as its top-level
signatures (methods indented under their class) until the token budget is spent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from zeke_ls.context.tokens import TokenCounter
from zeke_ls.index.store import Store

MAX_DEFINERS = 5
DAMPING = 0.85
ITERATIONS = 20
MAX_LINE = 160


@dataclass
class Graph:
    paths: dict[int, str] = field(default_factory=dict)
    edges: dict[int, dict[int, float]] = field(default_factory=dict)
    """From file id -> {to file id: weight}."""
    outlines: dict[int, list[str]] = field(default_factory=dict)


def load_graph(store: Store) -> Graph:
    graph = Graph()
    definers: dict[str, set[int]] = defaultdict(set)
    for file_id, path, name, kind, top_level, signature in store.outline_rows():
        graph.paths[file_id] = path
        definers[name].add(file_id)
        if (kind == "variable" and not name.isupper()) or (
            name.startswith("__") and name != "__init__"
        ):
            continue  # locals-like variables and dunder methods are noise in a map
        if top_level or kind == "method":
            line = " ".join(signature.split())[:MAX_LINE] if signature else name
            graph.outlines.setdefault(file_id, []).append(("" if top_level else "    ") + line)
    for file_id, path, refs in store.file_refs():
        graph.paths.setdefault(file_id, path)
        out: dict[int, float] = {}
        for name in refs.split():
            targets = definers.get(name)
            if not targets or len(targets) > MAX_DEFINERS:
                continue
            for target in targets:
                if target != file_id:
                    out[target] = out.get(target, 0.0) + 1.0 / len(targets)
        if out:
            graph.edges[file_id] = out
    return graph


def pagerank(graph: Graph, focus: set[int] | None = None) -> dict[int, float]:
    nodes = list(graph.paths)
    if not nodes:
        return {}
    teleport = {n: (1.0 if not focus or n in focus else 0.0) for n in nodes}
    total = sum(teleport.values()) or 1.0
    teleport = {n: v / total for n, v in teleport.items()}
    rank = dict(teleport)
    sums = {n: sum(out.values()) for n, out in graph.edges.items()}
    for _ in range(ITERATIONS):
        following = {n: (1 - DAMPING) * teleport[n] for n in nodes}
        dangling = sum(rank[n] for n in nodes if n not in graph.edges)
        for n in nodes:
            following[n] += DAMPING * dangling * teleport[n]
        for source, out in graph.edges.items():
            share = DAMPING * rank[source] / sums[source]
            for target, weight in out.items():
                following[target] += share * weight
        rank = following
    return rank


def render(
    graph: Graph, counter: TokenCounter, budget: int, focus_paths: set[str] | None = None
) -> tuple[str, list[str]]:
    """The map within `budget` tokens, and the files it shows (best first)."""
    focus = {fid for fid, path in graph.paths.items() if path in (focus_paths or set())}
    rank = pagerank(graph, focus)
    blocks: list[str] = []
    shown: list[str] = []
    used = 0
    for file_id in sorted(rank, key=lambda f: -rank[f]):
        lines = graph.outlines.get(file_id)
        if not lines or file_id in focus:
            continue
        block = graph.paths[file_id] + ":\n" + "".join(f"│{line}\n" for line in lines[:40])
        cost = counter.count(block)
        if used + cost > budget:
            if used + 20 > budget:
                break
            continue
        blocks.append(block)
        shown.append(graph.paths[file_id])
        used += cost
    return "".join(blocks), shown
