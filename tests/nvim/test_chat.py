"""The chat panel in a real headless Neovim: the answer streams into the transcript in several
steps, quick actions send the selection, cancel stops the answer."""

from __future__ import annotations

import time

import pytest

from tests.fakes.provider import Reply

pytestmark = pytest.mark.nvim

TRANSCRIPT = "table.concat(vim.api.nvim_buf_get_lines(require('zeke.chat').transcript(), 0, -1, false), '\\n')"
BUSY = "require('zeke.chat').busy()"


def watch_answer(nvim, timeout=10.0):
    """Transcript states seen while the answer streams, then the final transcript."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while nvim.lua(f"return {BUSY}") and time.monotonic() < deadline:
        text = nvim.lua(f"return {TRANSCRIPT}")
        if not seen or seen[-1] != text:
            seen.append(text)
        time.sleep(0.02)
    assert not nvim.lua(f"return {BUSY}"), "the answer did not finish in time"
    return seen, nvim.lua(f"return {TRANSCRIPT}")


def test_chat_answer_grows_in_steps_before_the_final_answer(nvim, fake, workspace):
    fake.default = Reply(chunks=["Streaming", " is", " working", " fine."], chunk_delay_s=0.2)
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat say something")
    seen, final = watch_answer(nvim)
    answers = [s.split("## Zeke", 1)[1].strip() for s in seen if "## Zeke" in s]
    partial = [a for a in answers if a and a != "Streaming is working fine."]
    assert len(set(partial)) >= 3, answers  # several visible steps before the end
    assert final.startswith(
        "## You\n\nsay something\n\n## Zeke · code-smart (fake-smart)\n\nStreaming is working fine."
    )  # the heading names the model that answered
    assert nvim.lua("return vim.bo[require('zeke.chat').transcript()].filetype") == "markdown"
    assert nvim.lua(
        "return vim.treesitter.highlighter.active[require('zeke.chat').transcript()] ~= nil"
    )
    body = fake.calls("/chat/completions")[-1].json
    assert body["messages"][-1]["content"].endswith("say something") or "say something" in str(
        body["messages"]
    )


def test_second_message_continues_the_same_chat(nvim, fake, workspace):
    fake.default = Reply(chunks=["one"])
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat first")
    watch_answer(nvim)
    fake.default = Reply(chunks=["two"])
    nvim.nvim.command("ZekeChat second")
    _, final = watch_answer(nvim)
    assert final.count("## You") == 2 and final.rstrip().endswith("two")
    history = str(fake.calls("/chat/completions")[-1].json["messages"])
    assert "first" in history and "one" in history  # the daemon kept the conversation


def test_explain_sends_the_visual_selection(nvim, fake, workspace):
    fake.default = Reply(chunks=["It adds."])
    nvim.open(workspace / "sample.py")
    nvim.feed("Vj:ZekeExplain<CR>")
    _, final = watch_answer(nvim)
    assert "/explain  (`sample.py` lines 1-2)" in final and final.rstrip().endswith("It adds.")
    assert nvim.lua("return vim.fn.bufname()").endswith("sample.py")  # the focus stays in the code
    prompt = fake.calls("/chat/completions")[-1].json["messages"][-1]["content"]
    assert "lines 1-2" in prompt and "return a + b\n```" in prompt
    assert "print(add(1, 2))" not in prompt


def test_cancel_stops_the_answer(nvim, fake, workspace):
    fake.default = Reply(chunks=["never", " ending"] * 50, chunk_delay_s=0.2)
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat go on forever")
    nvim.wait_for(f"{TRANSCRIPT}:find('never') ~= nil")
    nvim.nvim.command("ZekeChatCancel")
    assert not nvim.lua(f"return {BUSY}")
    assert "_(cancelled)_" in nvim.lua(f"return {TRANSCRIPT}")
    call = fake.calls("/chat/completions")[-1]
    assert fake.wait_for(lambda: call.disconnected_at is not None, timeout=5)


def test_code_action_menu_streams_into_the_chat_panel(nvim, fake, workspace):
    fake.default = Reply(chunks=["Adds", " two numbers."])
    nvim.open(workspace / "sample.py")
    nvim.lua(
        "vim.lsp.buf.code_action({ apply = true, range = { start = { 1, 0 }, ['end'] = { 2, 15 } },"
        " filter = function(a) return a.title:find('explain') ~= nil end }) return 1"
    )
    nvim.wait_for(f"{TRANSCRIPT}:find('/explain') ~= nil", what="the chat panel")
    _, final = watch_answer(nvim)
    assert final.rstrip().endswith("Adds two numbers.")
    assert "lines 1-2" in fake.calls("/chat/completions")[-1].json["messages"][-1]["content"]


def test_zeke_chat_with_a_message_leaves_the_input_line_in_insert_mode(nvim, fake, workspace):
    fake.default = Reply(chunks=["hello back"])
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat hello")
    watch_answer(nvim)
    assert nvim.lua("return vim.fn.bufname()") == "zeke://chat-input"
    assert nvim.lua("return vim.api.nvim_get_mode().mode") == "i"
    nvim.feed("and more<CR>")  # typing goes into the input line, not to normal-mode commands
    nvim.wait_for(f"{TRANSCRIPT}:find('and more') ~= nil")


def test_input_line_sends_with_enter(nvim, fake, workspace):
    fake.default = Reply(chunks=["From", " the input line."])
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat")
    assert nvim.lua("return vim.bo.buftype") == "prompt"
    nvim.feed("what is this?<CR>")
    nvim.wait_for(f"{TRANSCRIPT}:find('what is this%?') ~= nil")
    _, final = watch_answer(nvim)
    assert final.rstrip().endswith("From the input line.")
    assert "what is this?" in fake.calls("/chat/completions")[-1].json["messages"][-1]["content"]


def test_float_layout_opens_floating_windows(nvim, fake, workspace):
    fake.default = Reply(chunks=["floating"])
    assert nvim.lua(
        "return require('zeke').setup({ cmd = ..., chat = { layout = 'float' } })", nvim.cmd
    )
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat hi")
    _, final = watch_answer(nvim)
    assert final.rstrip().endswith("floating")
    floats = nvim.lua("""local n = 0
        for _, w in ipairs(vim.api.nvim_list_wins()) do
          if vim.api.nvim_win_get_config(w).relative ~= '' then n = n + 1 end
        end return n""")
    assert floats == 2  # transcript and input line
