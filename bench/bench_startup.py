"""Start-up and idle memory: zeke_ls next to a minimal pygls server, interleaved in one run.

For each server: time from process spawn to the `initialize` result on stdout, and resident
memory (VmRSS) after the session has idled for a second. Prints medians and the ratio.

    .venv/bin/python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "capabilities": {}, "rootUri": None},
}


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_message(stream) -> dict:  # type: ignore[no-untyped-def]
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


DID_OPEN = {
    "jsonrpc": "2.0",
    "method": "textDocument/didOpen",
    "params": {
        "textDocument": {
            "uri": "file:///tmp/bench.py",
            "languageId": "python",
            "version": 1,
            "text": "def add(a, b):\n    return a + b\n" * 200,
        }
    },
}


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write(frame(INIT))
    proc.stdin.flush()
    while "id" not in (message := read_message(proc.stdout)) or message.get("id") != 1:
        pass
    elapsed_ms = (time.perf_counter() - started) * 1000
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    proc.stdin.flush()
    time.sleep(1.0)
    idle = rss_kib(proc.pid)
    proc.stdin.write(frame(DID_OPEN))  # zeke_ls loads its tokenizer once a document is open
    proc.stdin.flush()
    time.sleep(1.5)
    with_document = rss_kib(proc.pid)
    proc.kill()
    proc.wait()
    return elapsed_ms, idle, with_document


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home = tempfile.mkdtemp()
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": home}
    servers = {
        "zeke_ls": [sys.executable, "-m", "zeke_ls"],
        "minimal pygls": [sys.executable, str(HERE / "minimal_pygls_server.py")],
    }
    results: dict[str, list[tuple[float, int, int]]] = {name: [] for name in servers}
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        for name, command in servers.items():
            results[name].append(measure(command, env))
    print(f"start-up to initialize result and idle RSS, median of {args.runs} interleaved runs\n")
    print(
        "| server | initialize p50 (ms) | max (ms) | idle RSS (MiB) | RSS with a document (MiB) |"
    )
    print("|---|---|---|---|---|")
    medians = {}
    for name, rows in results.items():
        times = [t for t, _, _ in rows]
        idle = statistics.median(m for _, m, _ in rows) / 1024
        with_document = statistics.median(m for _, _, m in rows) / 1024
        medians[name] = (statistics.median(times), idle, with_document)
        print(
            f"| {name} | {medians[name][0]:.0f} | {max(times):.0f} | {idle:.1f} | {with_document:.1f} |"
        )
    zeke, base = medians["zeke_ls"], medians["minimal pygls"]
    print(
        f"\nratio zeke_ls / minimal pygls: start-up {zeke[0] / base[0]:.2f}x, "
        f"idle memory {zeke[1] / base[1]:.2f}x, with a document {zeke[2] / base[2]:.2f}x"
    )


if __name__ == "__main__":
    main()
