"""Next-edit suggestions in a real headless Neovim: shown at the target (struck-through old
text, new text as virtual text), jump, accept and chain, dismiss, automatic mode."""

from __future__ import annotations

import re

import pytest

from tests.fakes.provider import Recorded, Reply

pytestmark = pytest.mark.nvim

CODE = "def area(w):\n    return w * w\n\n\nprint(area(2))\nprint(area(3))\n"
STEPS = [("w * w", "w * h"), ("area(2)", "area(2, 2)"), ("area(3)", "area(3, 3)")]
EXCERPT = re.compile(r"lines \d+-\d+:\n```[^\n]*\n(.*?)\n```\n\nReply", re.S)
SHOWN = "require('zeke.nextedit').shown() ~= nil"


def model(request: Recorded) -> Reply:
    """A scripted edit model: the first change of STEPS that still applies, else no change."""
    if not request.path.endswith("/chat/completions"):
        return Reply(chunks=[""])  # ghost-text requests: nothing
    excerpt = EXCERPT.search(request.json["messages"][-1]["content"]).group(1)
    excerpt = excerpt.replace("<|user_cursor|>", "")
    for old, new in STEPS:
        if old in excerpt:
            excerpt = excerpt.replace(old, new, 1)
            break
    return Reply(chunks=["```python\n", excerpt, "\n```"])


@pytest.fixture
def code_file(workspace, fake):
    fake.responder = model
    path = workspace / "geo.py"
    path.write_text(CODE, encoding="utf-8")
    return path


def marks(nvim):
    """[(row, col, end_row, end_col, hl_group, virt_text, sign)] of the next-edit extmarks."""
    return nvim.lua("""
        local out = {}
        local ns = require('zeke.nextedit').ns
        for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
          local d = m[4]
          table.insert(out, { m[2], m[3], d.end_row or vim.NIL, d.end_col or vim.NIL,
                              d.hl_group or vim.NIL,
                              d.virt_text and d.virt_text[1][1] or vim.NIL,
                              d.sign_text and vim.trim(d.sign_text) or vim.NIL })
        end
        return out""")


def status(nvim):
    return nvim.lua(
        "local err, s = require('zeke.lsp').request_sync('zeke/status', {}, 3000) return s.nextEdit"
    )


def test_edit_is_drawn_at_its_target_and_accept_chains(nvim, fake, code_file):
    nvim.open(code_file)
    nvim.nvim.command("ZekeNextEdit")
    nvim.wait_for(SHOWN, what="the first prediction")
    assert sorted(marks(nvim), key=str) == sorted(
        [
            [1, 15, 1, 16, "ZekeNextEditDelete", None, None],
            [1, 16, None, None, None, "h", "»"],
        ],
        key=str,
    )
    assert nvim.lua("return vim.api.nvim_get_hl(0, {name='ZekeNextEditDelete'}).strikethrough")
    nvim.feed("<M-n>")
    assert nvim.lua("return vim.api.nvim_win_get_cursor(0)") == [2, 15]
    nvim.feed("<M-y>")
    assert nvim.lines()[1] == "    return w * h"
    # chained: the next prediction comes without asking
    nvim.wait_for(
        "(function() local e = require('zeke.nextedit').shown() "
        "return e and e.newText == ', 2' end)()",
        what="the chained prediction",
    )
    assert [m[:2] for m in marks(nvim)] == [[4, 12]]
    nvim.feed("<M-y>")
    assert nvim.lines()[4] == "print(area(2, 2))"
    assert nvim.lua("return vim.api.nvim_win_get_cursor(0)") == [5, 15]
    nvim.wait_for(SHOWN, what="the third prediction")
    nvim.feed("<M-e>")
    assert marks(nvim) == [] and not nvim.lua(f"return {SHOWN}")
    counts = nvim.wait_for(
        "(function() local _, s = require('zeke.lsp').request_sync("
        "'zeke/status', {}, 3000) return s.nextEdit.dismissed == 1 "
        "and s.nextEdit end)()",
        what="the dismiss count",
    )
    assert (counts["shown"], counts["accepted"], counts["dismissed"]) == (3, 2, 1)
    assert nvim.lines()[5] == "print(area(3))"  # dismissed: unchanged


def test_keys_do_their_normal_thing_without_a_prediction(nvim, fake, code_file):
    nvim.open(code_file)
    nvim.feed("<M-e>")  # nothing shown: no error, no change
    assert nvim.lines() == CODE.rstrip("\n").split("\n")
    assert "E5108" not in nvim.messages()


def test_nothing_to_suggest_shows_nothing(nvim, fake, code_file):
    fake.responder = lambda request: (
        Reply(chunks=["```python\n", "x = 1", "\n```"])
        if request.path.endswith("/chat/completions")
        else Reply(chunks=[""])
    )
    nvim.open(code_file)
    nvim.nvim.command("ZekeNextEdit")
    nvim.wait_for(
        "(function() local _, s = require('zeke.lsp').request_sync('zeke/status', "
        "{}, 3000) return s.nextEdit.requests == 1 end)()",
        what="the request",
    )
    assert marks(nvim) == []


def test_automatic_mode_asks_after_a_pause_and_typing_clears(
    tmp_path, fake, config_path, code_file
):
    from tests.nvim.driver import NvimDriver

    home = tmp_path / "home2"
    home.mkdir()
    driver = NvimDriver(
        config_path,
        home,
        env={"ZEKE_TEST_KEY": "sk-test-secret-value-123"},
        setup={"next_edit": {"auto": True, "debounce_ms": 50}},
    )
    try:
        driver.nvim.command(f"cd {code_file.parent}")
        driver.open(code_file)
        driver.feed("1Gf)i, h<Esc>")  # def area(w, h):
        driver.wait_for(SHOWN, what="an automatic prediction")
        driver.lua("require('zeke.nextedit').auto(false) return 1")  # no new request now
        driver.feed("Gox<Esc>")  # typing: the shown prediction is stale and goes
        assert (
            driver.lua(
                "return #vim.api.nvim_buf_get_extmarks(0, require('zeke.nextedit').ns, 0, -1, {})"
            )
            == 0
        )
        assert not driver.lua(f"return {SHOWN}")
    finally:
        driver.close()
