"""Which inline-completion prompt a model gets, and the prompt transforms that go with it.

Styles, measured on real small models (bench/bench_quality.py):
- `fim`: the family's own FIM tokens around prefix and suffix (code models: Qwen2.5-Coder,
  DeepSeek-Coder, StarCoder, ...). Best wherever the vocabulary has the tokens.
- `raw`: the code before the cursor as a plain text prompt, continued. Models without FIM
  tokens (SmolLM2, Gemma base) do far better with it than with a chat prompt, which makes
  them copy arbitrary lines of the shown file.
- `suffix`: the server's own FIM (`suffix` on `/completions`, Ollama generate).
- `chat`: the cursor-marker prompt of `inline_chat`, for chat-only cloud models.

`auto` picks by family: a local GGUF file's own metadata (FIM tokens in its vocabulary), else
the model id, else what the route supports. Healing (on for `fim` and `raw`) cuts the cursor
line's trailing blanks from the prompt, since tokenizers fold a space into the next word's
token and a prompt ending in a bare space is one the model rarely saw; the blanks the model
then re-types are stripped from its answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeke_ls.context.packer import PackedContext
from zeke_ls.prompts.fim import FimTemplate, choose_template
from zeke_ls.providers.gguf import GGUFInfo

LOCAL_SUFFIX_LINES = 6
LOCAL_SUFFIX_CHARS = 300
"""A local server re-evaluates everything after the prefix on each keystroke (2.6 s with a
300-token suffix, 0.6 s with ~60 on 2 threads), so a local FIM prompt gets a short suffix."""
PREFIX_GRID = 16
"""A local prompt starts on a document line that is a multiple of this: the window start
then stays put while the user types, and the server's KV cache of the prefix survives."""


@dataclass(frozen=True)
class Style:
    name: str
    """`fim`, `raw`, `suffix` or `chat`."""
    template: FimTemplate | None = None
    heal: bool = True


def choose_style(
    requested: str,
    model: str,
    fim_override: str | None,
    supports_suffix: bool,
    gguf: GGUFInfo | None = None,
) -> Style:
    """The style for one alias. Raises ValueError for an unknown `fim_template` override, or
    `fim` asked of a model with no known FIM family."""
    name, _, variant = requested.partition("-")
    heal = variant != "noheal"
    template = choose_template(model, fim_override)
    if template is None and fim_override is None and gguf is not None and gguf.fim_family:
        template = choose_template(model, gguf.fim_family)
    if name == "auto":
        if template is not None:
            return Style("fim", template, heal)
        if gguf is not None:
            return Style("raw", None, heal)
        if supports_suffix and fim_override is None:
            return Style("suffix", None, False)
        return Style("chat", None, False)
    if name == "fim":
        if template is None:
            raise ValueError(f"completion_style fim: no FIM template known for {model}")
        return Style("fim", template, heal)
    if name == "raw":
        return Style("raw", None, heal)
    return Style(name, None, False)


@dataclass(frozen=True)
class Healed:
    prefix: str
    cut: str
    """The blanks removed from the end of the prompt."""


def heal_prefix(prefix: str) -> Healed:
    """Cut the cursor line's trailing spaces and tabs off the prompt, after code only: a
    prompt cut back to a bare line break made small models answer nothing (measured: half
    the cases at an indented empty line came back empty)."""
    line_start = prefix.rfind("\n") + 1
    kept = prefix[line_start:].rstrip(" \t")
    if not kept:
        return Healed(prefix, "")
    return Healed(prefix[:line_start] + kept, prefix[line_start + len(kept) :])


def heal_answer(answer: str, cut: str) -> str:
    """Remove the blanks the model typed again where the prompt was cut (some or all)."""
    if not cut:
        return answer
    if answer.startswith(cut):
        return answer[len(cut) :]
    blanks = len(answer) - len(answer.lstrip(" \t"))
    return answer[min(blanks, len(cut)) :]


def local_window(ctx: PackedContext) -> tuple[str, str]:
    """(prefix, suffix) for a local server: the prefix starting on a grid line, the suffix
    capped to a few lines."""
    lines = ctx.prefix.split("\n")
    drop = (-ctx.first_line) % PREFIX_GRID if ctx.first_line > 0 else 0
    if 0 < drop < len(lines) - 1:
        lines = lines[drop:]
    suffix = "".join(ctx.suffix.splitlines(keepends=True)[:LOCAL_SUFFIX_LINES])
    return "\n".join(lines), suffix[:LOCAL_SUFFIX_CHARS]
