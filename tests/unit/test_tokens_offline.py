"""tiktoken's encodings come from the bundled offline file: counting works with no network."""

from __future__ import annotations

import subprocess
import sys

NO_NETWORK = """
import socket

def refuse(*args, **kwargs):
    raise OSError("network disabled for this test")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from zeke_ls.context.tokens import TokenCounter, encode, truncate_to_tokens
counter = TokenCounter()
assert counter.count("def add(a, b):\\n    return a + b\\n") == len(encode("def add(a, b):\\n    return a + b\\n"))
print(len(encode("hello world")), truncate_to_tokens("one two three four", 2))
"""


def test_counting_tokens_needs_no_network(tmp_path):
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "three", "four"]


def test_cache_counts_each_distinct_text_once():
    from zeke_ls.context.tokens import TokenCounter

    counter = TokenCounter()
    lines = [f"line {i} = {i * 7}\n" for i in range(100)]
    total = counter.count_many(lines)
    encoded = counter.encoded_chars
    old = lines[50]
    lines[50] = "changed = True\n"
    expected = total - counter.count(old) + counter.count(lines[50])
    assert counter.count_many(lines) == expected
    assert counter.encoded_chars - encoded == len("changed = True\n")
