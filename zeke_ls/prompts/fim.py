"""Fill-in-the-middle templates, one per model family, chosen by model name.

Code models trained for FIM expect their own sentinel tokens around prefix and suffix; sending
the wrong family's tokens yields garbage, and sending FIM tokens to a chat model yields chat.
So the template is picked from the model id (`deepseek-coder:6.7b` -> `deepseek`), can be forced
per alias with `fim_template`, and `none` marks a chat-only model.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeke_ls.context.packer import Snippet

NONE = "none"


@dataclass(frozen=True)
class FimTemplate:
    name: str
    layout: str
    """`{prefix}` and `{suffix}` placeholders around the family's sentinel tokens."""
    stop: tuple[str, ...]
    """Sentinels that end the middle: the model may emit them instead of its EOS."""

    def render(self, prefix: str, suffix: str) -> str:
        # str.replace, not str.format: source code is full of braces.
        return self.layout.replace("{prefix}", prefix, 1).replace("{suffix}", suffix, 1)


def _ds(words: str) -> str:
    """DeepSeek's sentinels use FULLWIDTH VERTICAL LINE and LOWER ONE EIGHTH BLOCK for the
    space: `<\\uff5cfim\\u2581begin\\uff5c>`. Spelt with escapes so that no one "fixes" them."""
    return "<\uff5c" + words.replace(" ", "\u2581") + "\uff5c>"


TEMPLATES = {
    "deepseek": FimTemplate(
        "deepseek",
        _ds("fim begin") + "{prefix}" + _ds("fim hole") + "{suffix}" + _ds("fim end"),
        (_ds("fim begin"), _ds("fim hole"), _ds("fim end"), _ds("end of sentence"), "<|EOT|>"),
    ),
    "qwen": FimTemplate(
        "qwen",
        "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
        (
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|fim_pad|>",
            "<|file_sep|>",
            "<|repo_name|>",
            "<|im_end|>",
        ),
    ),
    "starcoder": FimTemplate(
        "starcoder",
        "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
        ("<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"),
    ),
    "codellama": FimTemplate(
        "codellama",
        "<PRE> {prefix} <SUF>{suffix} <MID>",
        ("<EOT>", "<PRE>", "<SUF>", "<MID>", "</s>"),
    ),
    "codestral": FimTemplate(
        "codestral",
        "[SUFFIX]{suffix}[PREFIX]{prefix}",
        ("[INST]", "[/INST]", "[PREFIX]", "[SUFFIX]", "[MIDDLE]", "</s>"),
    ),
}

# Substrings of a lower-cased model id, checked in order (the first match wins).
_FAMILY_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("codestral",), "codestral"),
    (("deepseek-coder", "deepseek_coder", "deepseekcoder"), "deepseek"),
    (("qwen2.5-coder", "qwen2-coder", "qwen-coder", "qwen3-coder", "qwen2.5_coder"), "qwen"),
    (("starcoder",), "starcoder"),
    (("codellama", "code-llama", "code_llama"), "codellama"),
)


def family_for_model(model: str) -> str | None:
    """The FIM family a model id belongs to, or None when it is not a known FIM model."""
    lowered = model.lower()
    for hints, family in _FAMILY_HINTS:
        if any(hint in lowered for hint in hints):
            return family
    return None


def choose_template(model: str, override: str | None) -> FimTemplate | None:
    """The template to use: the alias's override wins; `none` (or no match) means no template.

    Raises ValueError for an override that names no known family, so that a typo in the config
    is reported instead of silently falling back to chat.
    """
    if override is not None:
        name = override.strip().lower()
        if name == NONE:
            return None
        if name not in TEMPLATES:
            known = ", ".join([*TEMPLATES, NONE])
            raise ValueError(f'unknown fim_template "{override}" (known: {known})')
        return TEMPLATES[name]
    family = family_for_model(model)
    return TEMPLATES[family] if family else None


_LINE_COMMENTS = {
    "python": "#",
    "ruby": "#",
    "shellscript": "#",
    "sh": "#",
    "bash": "#",
    "yaml": "#",
    "toml": "#",
    "perl": "#",
    "r": "#",
    "elixir": "#",
    "makefile": "#",
    "dockerfile": "#",
    "lua": "--",
    "sql": "--",
    "haskell": "--",
    "ada": "--",
    "lisp": ";",
    "clojure": ";",
    "scheme": ";",
    "emacs-lisp": ";",
}


def with_snippets(prefix: str, snippets: list[Snippet], language: str) -> str:
    """Other open files go before the prefix as comments: FIM models have no other place for
    them, and comments are what such models saw for cross-file context in training."""
    if not snippets:
        return prefix
    mark = _LINE_COMMENTS.get(language.lower(), "//")
    lines: list[str] = []
    for snippet in snippets:
        lines.append(f"{mark} Path: {snippet.path}")
        lines.extend(f"{mark} {line}" for line in snippet.text.splitlines())
    return "\n".join(lines) + "\n\n" + prefix
