"""Ghost text in a real headless Neovim: shown at the cursor, accepted whole, by word and by
line, cycled, dismissed, and stale requests cancelled while typing."""

from __future__ import annotations

import time

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


def counter(nvim):
    """The `i/n` hint drawn after the ghost text, or None."""
    return nvim.lua("""
        for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, require('zeke.inline').ns, 0, -1,
            { details = true })) do
          local chunks = #(m[4].virt_lines or {}) > 0 and m[4].virt_lines[#m[4].virt_lines]
            or m[4].virt_text
          local last = chunks[#chunks]
          if last[2] == 'ZekeGhostCounter' then return vim.trim(last[1]) end
        end""")


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
    items = nvim.lua(
        "return vim.tbl_map(function(e) return e.text end, require('zeke.inline')._items())"
    )
    assert len(items) >= 2 and shown == items[1]
    assert counter(nvim) == f"2/{len(items)}"  # which of several is shown
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
        assert fake.wait_for(
            lambda ending=f"return {typed}": any(
                r.json["prompt"].endswith(ending) for r in fake.calls("/completions")
            )
        )
    assert nvim.wait_for(SHOWN, timeout=10) == "fast"
    assert nvim.lua("return _G.zeke_test.cancels") >= 2
    stale = [
        r for r in fake.calls("/completions") if not r.json["prompt"].endswith(("return ", "abc"))
    ]
    assert len(stale) == 2  # "a" and "ab" reached the provider ...
    assert fake.wait_for(
        lambda: all(r.disconnected_at for r in stale), timeout=5
    )  # ... and were closed
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


# --- issue 11: bugs found using the plugin as a daily driver --------------------------------

BOX = (
    "class Box:\n    def __init__(self):\n        self.items = []\n        self.items_count = 0\n\n"
    "    def reset(self):\n        \n"
)


def test_completion_menu_hides_the_ghost_and_tab_never_inserts_a_stale_one(nvim, fake, workspace):
    """Bug 1: `self.it` shows `ems.clear()`; <C-n> opens the menu; <Tab> must not append it."""
    path = workspace / "box.py"
    path.write_text(BOX, encoding="utf-8")
    fake.default = Reply(chunks=["ems.clear()"])
    nvim.open(path)
    nvim.feed("7GA")
    nvim.feed("self.it")
    assert nvim.wait_for(SHOWN) == "ems.clear()"
    nvim.feed("<C-n>")
    assert nvim.lua("return vim.fn.pumvisible()") == 1
    assert ghost_marks(nvim) == []  # hidden while the menu is open
    assert nvim.lua(f"return {SHOWN}") is None
    nvim.feed("<Tab>")
    line = nvim.lines()[6]
    assert "ems.clear()" not in line, line
    assert line.strip().startswith("self.items"), line


def test_tab_falls_back_to_a_snippet_jump(nvim, fake, code_file):
    """Bug 2: with a snippet active, <Tab> jumps as it did before (no ghost text while a
    snippet's placeholders are being filled: typing there fills a template)."""
    fake.default = Reply(chunks=["zzz"])
    nvim.open(code_file)
    nvim.feed("5GO")
    nvim.lua("vim.snippet.expand('foo(${1:a}, ${2:b})') return 1")
    nvim.feed("X")
    asked = len(fake.calls("/completions"))
    nvim.lua("require('zeke.inline').request(vim.api.nvim_get_current_buf()) return 1")
    assert fake.wait_for(lambda: len(fake.calls("/completions")) > asked, timeout=5)
    nvim.wait_for("require('zeke.lsp').state.inflight == 0")
    assert ghost_marks(nvim) == []  # an answer arrived, but no ghost inside the snippet
    nvim.feed("<Tab>")
    assert nvim.lines()[4] == "foo(X, b)"
    assert nvim.lua("return vim.api.nvim_get_mode().mode") == "s"  # `b` is selected


def test_tab_falls_back_to_the_users_own_mapping_and_keys_are_buffer_local(nvim, fake, code_file):
    """Bug 2: the accept keys are buffer-local (LspAttach) and fall back to the user's map."""
    fake.default = Reply(chunks=[""])
    nvim.lua(
        "vim.keymap.set('i', '<Tab>', function() _G.user_tab = (_G.user_tab or 0) + 1 end) return 1"
    )
    nvim.open(code_file)
    assert nvim.lua("return vim.fn.maparg('<Tab>', 'i', false, true).buffer") == 1
    nvim.feed("5GI")
    nvim.feed("<Tab>")
    assert nvim.lua("return _G.user_tab") == 1
    assert nvim.lines()[4] == "print(add(1, 2))"
    nvim.feed("<Esc>")
    nvim.nvim.command("enew")  # a buffer the daemon does not see keeps the global map
    assert nvim.lua("return vim.fn.maparg('<Tab>', 'i', false, true).buffer") == 0
    for action in ["accept", "accept-word", "accept-line", "next", "prev", "dismiss"]:
        assert nvim.lua(f"return vim.fn.maparg('<Plug>(zeke-{action})', 'i')") != "", action


def test_cancelled_requests_do_not_leave_the_statusline_busy(nvim, fake, code_file):
    """Bug 3: Neovim drops the callback of a cancelled request; the counter must still drop."""
    fake.default = Reply(chunks=["slow"], first_delay_s=0.3)
    nvim.open(code_file)
    nvim.feed("2GA")
    for key in "abcd":
        nvim.feed(key)
        time.sleep(0.1)  # pacing like a typist (not synchronisation): each key supersedes one
    nvim.wait_for(
        "require('zeke.lsp').state.inflight == 0",
        timeout=5,
        what="the in-flight counter to come back to 0",
    )
    assert nvim.lua("return require('zeke.lsp').state.status") == "ready"


NOTES = """_G.zeke_notes = {}
vim.notify = function(msg, level) table.insert(_G.zeke_notes, { msg, level }) end
return 1"""
STATUSLINE = "require('zeke.statusline').get()"


def test_ghost_text_failures_are_shown_once_and_cleared_on_success(nvim, fake, code_file):
    """Bug 4: a 401 shows in the statusline with the reason and in one notification."""
    fake.default = Reply(status=401, body={"error": {"message": "invalid api key"}})
    nvim.lua(NOTES)
    nvim.open(code_file)
    nvim.feed("2GA")
    status = nvim.wait_for(f"{STATUSLINE}:find('✗') and {STATUSLINE}", what="the failure")
    assert "401" in status or "invalid api key" in status, status
    nvim.feed("x")
    fake.wait_for(lambda: len(fake.calls("/completions")) >= 2, timeout=5)
    nvim.feed("y")
    fake.wait_for(lambda: len(fake.calls("/completions")) >= 3, timeout=5)
    nvim.wait_for("require('zeke.lsp').state.inflight == 0")
    notes = nvim.lua("return _G.zeke_notes")
    failures = [n for n in notes if "401" in n[0] or "invalid api key" in n[0]]
    assert len(failures) == 1, notes
    assert "sk-test-secret" not in str(notes)
    fake.default = Reply(chunks=["a + b"])
    nvim.feed("<BS><BS>")
    nvim.wait_for(SHOWN)
    assert "✗" not in nvim.lua(f"return {STATUSLINE}")
    assert nvim.lua("return require('zeke.lsp').state.failure") is None
