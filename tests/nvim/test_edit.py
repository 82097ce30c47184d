""":ZekeEdit in a real headless Neovim: the daemon's proposal is previewed as a diff; accepting
changes the buffer in one undo step (through workspace/applyEdit), rejecting changes nothing."""

from __future__ import annotations

import pytest

from tests.fakes.provider import Reply

pytestmark = pytest.mark.nvim

FILLER = "".join(f"# note {i}\n" for i in range(8))  # keeps the two diff hunks apart
CODE = (
    "def add(a, b):\n    return a + b\n\n\n" + FILLER + "def sub(a, b):\n    return a - b\n\n\n"
    "def main():\n    print(add(1, 2), sub(3, 1))\n"
)
TWO_BLOCKS = (
    "calc.py\n<<<<<<< SEARCH\n    return a + b\n=======\n    return a + b  # sum\n>>>>>>> REPLACE\n\n"
    "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a - b  # difference\n>>>>>>> REPLACE\n"
)
PREVIEW = "require('zeke.diff').current()"


@pytest.fixture
def calc(workspace):
    path = workspace / "calc.py"
    path.write_text(CODE, encoding="utf-8")
    return path


def open_preview(nvim, fake, calc, instruction="comment the returns"):
    fake.default = Reply(chunks=[TWO_BLOCKS[:40], TWO_BLOCKS[40:]])
    nvim.open(calc)
    nvim.nvim.command(f"ZekeEdit {instruction}")
    nvim.wait_for(f"{PREVIEW} ~= nil", what="the edit preview")
    assert nvim.lua("return vim.bo.filetype") == "diff"
    return "\n".join(nvim.lines())


def source_lines(nvim):
    return nvim.lua("return vim.api.nvim_buf_get_lines(vim.fn.bufnr('calc.py'), 0, -1, false)")


def test_preview_then_accept_all_changes_the_buffer_in_one_undo_step(nvim, fake, calc):
    diff = open_preview(nvim, fake, calc)
    assert "+    return a + b  # sum" in diff and "+    return a - b  # difference" in diff
    assert source_lines(nvim) == CODE.splitlines()  # the preview changes nothing
    nvim.feed("A")
    nvim.wait_for(
        "vim.api.nvim_buf_get_lines(vim.fn.bufnr('calc.py'), 1, 2, false)[1]:find('# sum')",
        what="the edit to be applied",
    )
    nvim.wait_for("require('zeke.lsp').state.inflight == 0")
    assert source_lines(nvim)[1] == "    return a + b  # sum"
    assert source_lines(nvim)[13] == "    return a - b  # difference"
    nvim.nvim.command("buffer calc.py")
    nvim.feed("u")
    assert source_lines(nvim) == CODE.splitlines()  # one undo step restores everything


def test_accept_one_hunk_and_reject_the_other(nvim, fake, calc):
    open_preview(nvim, fake, calc)
    assert nvim.lua(f"return #{PREVIEW}.hunks") == 2
    nvim.feed("a")  # the cursor starts on the first hunk; accept moves to the next
    nvim.feed("r")
    nvim.wait_for(
        "vim.api.nvim_buf_get_lines(vim.fn.bufnr('calc.py'), 1, 2, false)[1]:find('# sum')"
    )
    assert source_lines(nvim)[13] == "    return a - b"


def test_reject_all_leaves_the_buffer_byte_identical(nvim, fake, calc):
    open_preview(nvim, fake, calc)
    before = nvim.lua("return vim.b[vim.fn.bufnr('calc.py')].changedtick")
    nvim.feed("R")
    nvim.wait_for("vim.fn.execute('messages'):find('edit rejected') ~= nil")
    assert nvim.lua("return vim.b[vim.fn.bufnr('calc.py')].changedtick") == before
    assert source_lines(nvim) == CODE.splitlines()
    assert calc.read_text(encoding="utf-8") == CODE
    assert nvim.lua(f"return {PREVIEW}") is None


def test_zeke_fix_answers_in_chat_and_previews_an_edit(nvim, fake, calc):
    def reply(request):
        if "SEARCH" in str(request.json.get("messages")):
            return Reply(chunks=[TWO_BLOCKS.split("\n\n")[0] + "\n"])
        return Reply(chunks=["The sum has", " no comment."])

    fake.responder = reply
    nvim.open(calc)
    nvim.feed("jV:ZekeFix<CR>")
    nvim.wait_for(f"{PREVIEW} ~= nil", what="the edit preview after /fix", timeout=15)
    transcript = nvim.lua(
        "return table.concat(vim.api.nvim_buf_get_lines("
        "require('zeke.chat').transcript(), 0, -1, false), '\\n')"
    )
    assert "The sum has no comment." in transcript and "edit proposed" in transcript
    nvim.feed("A")
    nvim.wait_for(
        "vim.api.nvim_buf_get_lines(vim.fn.bufnr('calc.py'), 1, 2, false)[1]:find('# sum')"
    )
    assert nvim.lua("return vim.fn.bufname()").endswith("calc.py")  # focus back in the code
    assert nvim.lua("return vim.api.nvim_get_mode().mode") == "n"


def test_preview_key_help_is_visible_and_names_q(nvim, fake, calc):
    """Bug 8: the key help was a virtual line above line 1 (seen only after <C-y>), without q."""
    open_preview(nvim, fake, calc)
    winbar = nvim.lua("return vim.wo.winbar")
    for key in ["a", "r", "A", "R", "]h", "[h", "q"]:
        assert f"{key} " in winbar, (key, winbar)
    above = nvim.lua("""local n = 0
        for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, require('zeke.diff').ns, 0, -1,
            { details = true })) do
          if m[4].virt_lines_above then n = n + 1 end
        end return n""")
    assert above == 0
