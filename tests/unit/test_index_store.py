"""The index database on real code: this repository and an installed package's sources."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from zeke_ls.context.tokens import TokenCounter
from zeke_ls.index import repomap, retrieve
from zeke_ls.index.build import Limits, sync, update_paths
from zeke_ls.index.store import SCHEMA_VERSION, IndexUnavailable, Store

REPO = Path(__file__).resolve().parents[2]
SERIAL = Limits(workers=0)


def test_build_this_repository_limited_and_find_a_definition(tmp_path):
    store = Store.open(REPO, tmp_path / "repo.sqlite")
    report = sync(store, Limits(max_files=60, workers=0))
    assert report.seen == 60 and "max_files = 60" in report.truncated
    assert store.counts()["files"] + store.counts()["skipped"] == 60
    again = sync(store, Limits(max_files=60, workers=0))
    assert again.parsed == 0 and again.seen == 60


@pytest.fixture
def httpx_copy(tmp_path) -> Path:
    """httpx's installed sources, copied so that the test can edit them."""
    root = tmp_path / "httpx"
    shutil.copytree(Path(httpx.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_httpx_sources_incremental_update(httpx_copy, tmp_path):
    store = Store.open(httpx_copy, tmp_path / "httpx.sqlite")
    first = sync(store, SERIAL)
    assert first.parsed == first.seen > 20
    [client] = [d for d in store.definitions(["AsyncClient"]) if d["kind"] == "class"]
    assert client["path"] == "_client.py"
    target = httpx_copy / "_status_codes.py"
    target.write_text(target.read_text() + "\n\ndef teapot_brewing_time(cups):\n    return 4\n")
    second = sync(store, SERIAL)
    assert second.parsed == 1 and second.removed == 0
    [hit] = retrieve.search(store, "teapot brewing time", 1)
    assert hit.path == "_status_codes.py" and hit.name == "teapot_brewing_time"
    (httpx_copy / "_urls.py").unlink()
    assert update_paths(store, ["_urls.py"], SERIAL).removed == 1
    assert store.definitions(["URL"]) == [] or all(
        d["path"] != "_urls.py" for d in store.definitions(["URL"])
    )


def test_completion_context_finds_the_callee_defined_elsewhere(httpx_copy, tmp_path):
    store = Store.open(httpx_copy, tmp_path / "httpx.sqlite")
    sync(store, SERIAL)
    text = "from httpx._urls import URL\n\n\ndef main(raw):\n    parsed = URL(\n"
    found = retrieve.completion_context(store, text, len(text), "main.py")
    assert found[0].reason == "symbol URL" and found[0].path == "_urls.py"
    assert found[0].text.startswith("class URL")


def test_repo_map_ranks_referenced_files_first(httpx_copy, tmp_path):
    store = Store.open(httpx_copy, tmp_path / "httpx.sqlite")
    sync(store, SERIAL)
    text, files = repomap.render(repomap.load_graph(store), TokenCounter(), 800)
    assert TokenCounter().count(text) <= 800
    assert files[0] in {"_models.py", "_urls.py", "_types.py", "_exceptions.py", "_client.py"}
    assert "│class " in text


def test_older_schema_is_rebuilt_with_a_message(tmp_path):
    (tmp_path / "ws").mkdir()
    path = tmp_path / "db.sqlite"
    store = Store.open(tmp_path / "ws", path)
    store.set_meta("schema_version", str(SCHEMA_VERSION - 1 or 99))
    store.release()
    reopened = Store.open(tmp_path / "ws", path)
    assert any("schema version" in m and "rebuilt" in m for m in reopened.messages)
    assert reopened.meta("schema_version") == str(SCHEMA_VERSION)


def test_truncated_database_file_is_rebuilt(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "a.py").write_text("def alpha():\n    pass\n")
    path = tmp_path / "db.sqlite"
    store = Store.open(tmp_path / "ws", path)
    sync(store, SERIAL)
    store.release()
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * 2000 + data[2100:])
    reopened = Store.open(tmp_path / "ws", path)
    assert reopened.messages and "rebuilt" in reopened.messages[0]
    assert sync(reopened, SERIAL).parsed == 1


def test_second_owner_is_read_only_and_cannot_write(tmp_path):
    (tmp_path / "ws").mkdir()
    path = tmp_path / "db.sqlite"
    owner = Store.open(tmp_path / "ws", path)
    other = Store.open(tmp_path / "ws", path)
    assert other.read_only and not owner.read_only
    with pytest.raises(sqlite3.OperationalError):
        other.set_meta("x", "y")
    owner.release()
    other.release()
    Store.open(tmp_path / "ws", tmp_path / "fresh.sqlite").release()
    holder = Store.open(tmp_path / "ws", tmp_path / "fresh2.sqlite")
    (tmp_path / "fresh2.sqlite").unlink()
    with pytest.raises(IndexUnavailable, match="not built an index yet"):
        Store.open(tmp_path / "ws", tmp_path / "fresh2.sqlite")
    holder.release()
