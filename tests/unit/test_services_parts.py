"""The pure parts under the services: Uri normalisation, the position codec, the walker."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeke_ls.context.positions import PositionCodec
from zeke_ls.context.sets import ContextSet
from zeke_ls.core.rpc import Refused
from zeke_ls.services.uri import Uri
from zeke_ls.workspace.files import glob_files, glob_pattern, walk


def test_uri_spellings_of_one_file_are_one_key():
    spellings = [
        "file:///tmp/my%20proj/%C3%A9.py",
        "file:///tmp/my proj/é.py",
        "file://localhost/tmp/my%20proj/%c3%a9.py",
        "file:///tmp/my%20proj/./%C3%A9.py",
    ]
    keys = {Uri.parse(s).key for s in spellings}
    assert len(keys) == 1
    assert Uri.parse(spellings[0]).path == Path("/tmp/my proj/é.py")


def test_other_schemes_are_kept_and_junk_is_invalid():
    assert Uri.parse("untitled:Untitled-1").path is None
    for junk in [17, None, "", "no-scheme-here"]:
        with pytest.raises(Exception, match="invalid params"):
            Uri.parse(junk)


@pytest.mark.parametrize(("encoding", "column"), [("utf-8", 12), ("utf-16", 9), ("utf-32", 8)])
def test_the_codec_finds_xyz_after_non_ascii_in_each_encoding(encoding, column):
    text = "é😀 = 1; xyz\nnext\n"
    codec = PositionCodec.of(encoding)
    assert codec.slice(text, (0, column), (0, column + 3)) == "xyz"
    assert codec.position(text, text.index("xyz")) == (0, column)


def test_the_codec_clamps_past_the_end_and_handles_every_line_break():
    text = "ab\r\ncd\ref\n"
    codec = PositionCodec()
    assert codec.offset(text, 0, 99) == 2
    assert codec.offset(text, 1, 1) == text.index("d")
    assert codec.offset(text, 2, 0) == text.index("e")
    assert codec.offset(text, 9, 0) == len(text)
    assert codec.line_end_units(text, 9) is None


@given(st.text(max_size=40), st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_offset_and_position_round_trip(text, encoding):
    codec = PositionCodec.of(encoding)
    for offset in range(len(text) + 1):
        if text[offset - 1 : offset + 1] == "\r\n":
            continue  # inside a line break: not a position
        assert codec.offset(text, *codec.position(text, offset)) == offset


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src" / "deep").mkdir(parents=True)
    (root / "src" / "a.py").write_text("a = 1\n")
    (root / "src" / "deep" / "b.py").write_text("b = 1\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "i.py").write_text("")
    (root / "gen").mkdir()
    (root / "gen" / "g.py").write_text("")
    (root / ".gitignore").write_text("gen/\n")
    (root / "src" / "loop").symlink_to(root)
    return root


def test_the_walker_prunes_ignored_trees_and_never_enters_symlinked_directories(tmp_path):
    root = tree(tmp_path)
    names = sorted(p.relative_to(root).as_posix() for p in walk([root]))
    assert names == [".gitignore", "src/a.py", "src/deep/b.py"]


def test_globs_are_capped_and_confined(tmp_path):
    root = tree(tmp_path)
    found = glob_files("**/*.py", [root], cap=1)
    assert len(found.files) == 1 and found.truncated
    assert glob_pattern(str(root / "src" / "*.py"), [root]) == "src/*.py"
    for bad in ["../*.py", "/etc/*", "src/../../x"]:
        with pytest.raises(Refused):
            glob_pattern(bad, [root])
    stop = threading.Event()
    stop.set()
    assert glob_files("**/*.py", [root], cap=10, stop=stop).files == []


def test_a_file_that_vanishes_between_walk_and_read_is_skipped_with_a_reason(tmp_path):
    root = tree(tmp_path)
    context = ContextSet(lambda: [root], lambda: 1000)
    accepted, skipped = context.read_many([root / "src" / "a.py", root / "src" / "gone.py"])
    assert [p.name for p, _ in accepted] == ["a.py"]
    assert skipped[0]["path"] == "src/gone.py" and "disappeared" in skipped[0]["reason"]
    items = context.adopt(accepted * 2, "**/*.py")
    assert len({i.id for i in items}) == 1 and len(context.items) == 1
