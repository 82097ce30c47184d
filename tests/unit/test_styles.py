"""Completion prompt styles: family from GGUF metadata, healing, local windows."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from zeke_ls.context.packer import ContextPacker, resolve_cursor
from zeke_ls.prompts.styles import (
    PREFIX_GRID,
    choose_style,
    heal_answer,
    heal_prefix,
    local_window,
)
from zeke_ls.providers.gguf import GGUFError, read_gguf
from zeke_ls.providers.llamacpp import chat_format_args, local_gguf_info


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def write_gguf(path: Path, tokens: list[str], template: str | None, arch: str = "llama") -> Path:
    """A GGUF header with the keys the reader looks at, plus others it must skip."""
    entries = [
        _string("general.architecture") + struct.pack("<I", 8) + _string(arch),
        _string("general.name") + struct.pack("<I", 8) + _string("Tiny Test"),
        _string("llama.context_length") + struct.pack("<IQ", 10, 2048),
        _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 2) + struct.pack("<ff", 0, 1),
        _string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, len(tokens))
        + b"".join(_string(t) for t in tokens),
    ]
    if template is not None:
        entries.append(
            _string("tokenizer.chat_template") + struct.pack("<I", 8) + _string(template)
        )
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries)) + b"".join(entries))
    return path


def test_gguf_metadata_names_the_fim_family(tmp_path):
    qwen = write_gguf(
        tmp_path / "anything.gguf",
        ["a", "<|fim_prefix|>", "<|fim_suffix|>"],
        "{{ messages }}",
        "qwen2",
    )
    info = read_gguf(str(qwen))
    assert (info.name, info.architecture, info.fim_family) == ("Tiny Test", "qwen2", "qwen")
    assert info.chat_template == "{{ messages }}"
    plain = read_gguf(str(write_gguf(tmp_path / "plain.gguf", ["a", "<|im_end|>"], None)))
    assert plain.fim_family is None and plain.chat_template is None
    (tmp_path / "bad.gguf").write_bytes(b"nope")
    with pytest.raises(GGUFError):
        read_gguf(str(tmp_path / "bad.gguf"))


def test_style_comes_from_the_file_not_the_alias_name(tmp_path):
    path = write_gguf(tmp_path / "my-model.gguf", ["<fim_prefix>", "<fim_middle>"], None)
    info = local_gguf_info(str(path))
    style = choose_style("auto", "local", None, False, info)
    assert (style.name, style.template and style.template.name) == ("fim", "starcoder")
    no_fim = local_gguf_info(str(write_gguf(tmp_path / "s.gguf", ["<|im_end|>"], "t")))
    assert choose_style("auto", "local", None, False, no_fim).name == "raw"
    assert choose_style("auto", "gpt-4o", None, False, None).name == "chat"
    assert choose_style("auto", "qwen2.5-coder:7b", None, True, None).name == "fim"
    assert choose_style("chat", "local", None, False, no_fim).name == "chat"
    assert not choose_style("raw-noheal", "local", None, False, no_fim).heal
    with pytest.raises(ValueError):
        choose_style("fim", "local", None, False, no_fim)


def test_a_gguf_without_chat_template_gets_a_plain_format(tmp_path):
    assert chat_format_args(write_gguf(tmp_path / "t.gguf", ["a"], "{{ x }}")) == []
    base = write_gguf(tmp_path / "g.gguf", ["a"], None, "gemma3")
    assert chat_format_args(base) == ["--chat_format", "gemma"]
    other = write_gguf(tmp_path / "o.gguf", ["a"], None, "llama")
    assert chat_format_args(other) == ["--chat_format", "chatml"]


def test_healing_cuts_trailing_blanks_and_strips_retyped_ones():
    healed = heal_prefix("def f():\n    return ")
    assert (healed.prefix, healed.cut) == ("def f():\n    return", " ")
    assert heal_answer(" x", healed.cut) == "x"
    assert heal_answer("x", healed.cut) == "x"
    indent = heal_prefix("def f():\n    ")  # indentation only: kept (the model needs it)
    assert (indent.prefix, indent.cut) == ("def f():\n    ", "")
    assert heal_answer("  ", "    ") == "" and heal_answer("      x", "    ") == "  x"
    assert heal_prefix("x = 1").cut == ""


def test_local_window_starts_on_the_grid_and_caps_the_suffix():
    lines = [f"line_{n} = {n}" for n in range(100)]
    text = "\n".join(lines) + "\n"
    cursor = resolve_cursor(text, 60, 0)
    assert cursor is not None
    packer = ContextPacker()
    ctx = packer.pack(text, cursor, path="m.py", language="python", budget=300)
    assert ctx.first_line > 0 and ctx.first_line % PREFIX_GRID != 0
    prefix, suffix = local_window(ctx)
    first = int(prefix.split("\n", 1)[0].split("_")[1].split(" ")[0])
    assert first % PREFIX_GRID == 0 and prefix.endswith("\n")
    assert suffix.count("\n") <= 6
    # one more character typed on the cursor line: the window start does not move
    typed = text.replace("line_60 = 60", "xline_60 = 60")
    again = packer.pack(
        typed, resolve_cursor(typed, 60, 1), path="m.py", language="python", budget=300
    )
    assert local_window(again)[0].split("\n", 1)[0] == prefix.split("\n", 1)[0]


def test_a_truncated_gguf_is_a_clear_error_not_a_crash(tmp_path):
    from zeke_ls.providers.gguf import GGUFError, read_gguf
    from zeke_ls.providers.llamacpp import local_gguf_info

    stub = tmp_path / "stub.gguf"
    stub.write_bytes(b"GGUF stand-in")
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf(str(stub))
    assert local_gguf_info(str(stub)) is None
