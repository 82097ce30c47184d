"""Ghost text in a real headless Neovim: shown at the cursor, accepted whole, by word and by
line, cycled, dismissed, and stale requests cancelled while typing."""

from __future__ import annotations

import pytest

from tests.fakes.provider import Reply

pytestmark = pytest.mark.nvim

CODE = "def add(a, b):\n    return \n\n\nprint(add(1, 2))\n"
SHOWN = "require('zeke.inline').shown()"


@pytest.fixture
def code_file(workspace):
    path = workspace / "calc.py"
    path.write_text(CODE, encoding="utf-8")
    return path


def ghost_marks(nvim):
    """[(row, col, first line, virtual lines)] of the ghost-text extmarks in the buffer."""
    return nvim.lua("""
        local out = {}
        local ns = require('zeke.inline').ns
        for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
          local lines = {}
          for _, vl in ipairs(m[4].virt_lines or {}) do table.insert(lines, vl[1][1]) end
          table.insert(out, { m[2], m[3], m[4].virt_text[1][1], lines, m[4].virt_text_pos,
                              m[4].virt_text[1][2] })
        end
        return out""")


def start_typing_at_line_end(nvim, path, line=2):
    nvim.open(path)
    nvim.feed(f"{line}GA")


def test_ghost_text_appears_at_cursor_and_tab_accepts(nvim, fake, code_file):
    fake.default = Reply(chunks=["a ", "+ b"])
    start_typing_at_line_end(nvim, code_file)
    assert nvim.wait_for(SHOWN) == "a + b"
    assert ghost_marks(nvim) == [[1, 11, "a + b", [], "inline", "ZekeGhostText"]]
    assert nvim.lua("return vim.api.nvim_get_hl(0, {name='ZekeGhostText'}).link") == "Comment"
    nvim.feed("<Tab>")
    assert nvim.lines()[1] == "    return a + b"
    assert nvim.lua("return vim.api.nvim_win_get_cursor(0)") == [2, 16]
    assert ghost_marks(nvim) == []


def count_inline_answers(nvim):
    """Count answered inline requests in `_G.zeke_test.answered` (an LspRequest autocmd)."""
    nvim.lua("""_G.zeke_test = { answered = 0 }
        vim.api.nvim_create_autocmd('LspRequest', { callback = function(ev)
          local request = ev.data.request
          if request.type == 'complete' and request.method == 'textDocument/inlineCompletion' then
            _G.zeke_test.answered = _G.zeke_test.answered + 1
          end
        end })""")


def test_tab_without_suggestion_inserts_a_tab(nvim, fake, code_file):
    fake.default = Reply(chunks=[""])
    nvim.open(code_file)
    count_inline_answers(nvim)
    nvim.feed("5GI")
    nvim.wait_for("_G.zeke_test.answered > 0", what="the (empty) inline answer")
    nvim.feed("<Tab>")
    assert nvim.lines()[4] == "    print(add(1, 2))"  # the python ftplugin expands tabs
    assert ghost_marks(nvim) == []


def test_accept_word_then_line_keeps_the_rest_shown(nvim, fake, code_file):
    fake.default = Reply(chunks=["total_sum + other", "(a, b)"])
    start_typing_at_line_end(nvim, code_file)
    assert nvim.wait_for(SHOWN) == "total_sum + other(a, b)"
    nvim.feed("<C-Right>")
    assert nvim.lines()[1] == "    return total_sum"
    assert nvim.lua(f"return {SHOWN}") == " + other(a, b)"
    nvim.feed("<C-Right>")
    assert nvim.lines()[1] == "    return total_sum +"
    nvim.feed("<C-Down>")
    assert nvim.lines()[1] == "    return total_sum + other(a, b)"
    assert nvim.lua(f"return {SHOWN}") is None
    accepted = [r for r in fake.calls("/completions")]
    assert len(accepted) == 1  # typing through the suggestion asked for nothing new


def test_accept_line_of_a_multiline_suggestion(nvim, fake, workspace):
    path = workspace / "multi.py"
    path.write_text("def main():\n    \n", encoding="utf-8")
    fake.default = Reply(chunks=["x = 1\n", "    y = 2"])
    start_typing_at_line_end(nvim, path)
    ghost = nvim.wait_for(SHOWN)
    assert ghost == "x = 1\n    y = 2"
    assert ghost_marks(nvim) == [[1, 4, "x = 1", ["    y = 2"], "inline", "ZekeGhostText"]]
    nvim.feed("<C-Down>")
    assert nvim.lines()[:2] == ["def main():", "    x = 1"]
    nvim.feed("<C-Down>")
    assert nvim.lines()[:3] == ["def main():", "    x = 1", "    y = 2"]


def test_next_and_previous_cycle_through_suggestions(nvim, fake, code_file):
    fake.default = Reply(chunks=["first"])
    start_typing_at_line_end(nvim, code_file)
    assert nvim.wait_for(SHOWN) == "first"
    answers = iter(["second", "third", "fourth", "fifth"])
    fake.responder = lambda request: Reply(chunks=[next(answers, "more")])
    nvim.feed("<M-]>")
    shown = nvim.wait_for(f"{SHOWN} ~= 'first' and {SHOWN}")
    items = nvim.lua("return vim.tbl_map(function(e) return e.text end, "
                     "require('zeke.inline')._items())")
    assert len(items) >= 2 and shown == items[1]
    nvim.feed("<M-]>")
    assert nvim.lua(f"return {SHOWN}") == items[2 % len(items)]
    nvim.feed("<M-[>")
    assert nvim.lua(f"return {SHOWN}") == items[1]
    nvim.feed("<M-[>")
    assert nvim.lua(f"return {SHOWN}") == items[0]


def test_dismiss_clears_the_ghost_text(nvim, fake, code_file):
    fake.default = Reply(chunks=["a + b"])
    start_typing_at_line_end(nvim, code_file)
    nvim.wait_for(SHOWN)
    nvim.feed("<C-]>")
    assert ghost_marks(nvim) == []
    assert nvim.lua(f"return {SHOWN}") is None
    assert nvim.lines()[1] == "    return "


def test_typing_fast_cancels_stale_requests(nvim, fake, code_file):
    def reply(request):
        prompt = request.json.get("prompt", "")
        if prompt.endswith("return "):
            return Reply(chunks=["warm"])  # the first request also warms the daemon up
        if prompt.endswith("return abc"):
            return Reply(chunks=["fast"])
        return Reply(chunks=["slow"], first_delay_s=0.6)

    fake.responder = reply
    nvim.open(code_file)
    nvim.lua("""_G.zeke_test = { cancels = 0 }
        vim.api.nvim_create_autocmd('LspRequest', { callback = function(ev)
          if ev.data.request.type == 'cancel' then _G.zeke_test.cancels = _G.zeke_test.cancels + 1 end
        end })""")
    nvim.feed("2GA")
    assert nvim.wait_for(SHOWN) == "warm"
    for typed in ["a", "ab", "abc"]:
        nvim.feed(typed[-1])
        # each key has its request in flight before the next key cancels it
        assert fake.wait_for(lambda ending=f"return {typed}": any(
            r.json["prompt"].endswith(ending) for r in fake.calls("/completions")))
    assert nvim.wait_for(SHOWN, timeout=10) == "fast"
    assert nvim.lua("return _G.zeke_test.cancels") >= 2
    stale = [r for r in fake.calls("/completions") if not r.json["prompt"].endswith(("return ", "abc"))]
    assert len(stale) == 2  # "a" and "ab" reached the provider ...
    assert fake.wait_for(lambda: all(r.disconnected_at for r in stale), timeout=5)  # ... and were closed
    assert nvim.lines()[1] == "    return abc"


def test_no_requests_from_buffers_the_daemon_does_not_see(nvim, fake, code_file):
    nvim.open(code_file)
    nvim.lua("""_G.zeke_test = { inline = 0 }
        vim.api.nvim_create_autocmd('LspRequest', { callback = function(ev)
          if ev.data.request.method == 'textDocument/inlineCompletion' then
            _G.zeke_test.inline = _G.zeke_test.inline + 1
          end
        end })""")
    nvim.nvim.command("ZekeChat")  # the chat input line is a prompt buffer, not a file
    nvim.feed("hello")
    # A timer as long as the debounce, started after the typing, fires after any debounce
    # timer the typing started (libuv runs equal timeouts in start order).
    nvim.lua("""_G.zeke_test.debounced = false
        vim.defer_fn(function() _G.zeke_test.debounced = true end,
                     require('zeke.config').current.inline.debounce_ms)""")
    nvim.wait_for("_G.zeke_test.debounced", what="the debounce delay to pass")
    assert nvim.lua("return _G.zeke_test.inline") == 0
    assert fake.calls("/completions") == []
    assert nvim.lua(f"return {SHOWN}") is None
