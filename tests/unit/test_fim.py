"""FIM templates: the family is chosen by model id, overridable, and renders braces literally."""

from __future__ import annotations

import pytest

from zeke_ls.context.packer import Snippet
from zeke_ls.prompts.fim import TEMPLATES, choose_template, family_for_model, with_snippets


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("deepseek-coder:6.7b-base", "deepseek"),
        ("deepseek-ai/deepseek-coder-1.3b-base", "deepseek"),
        ("qwen2.5-coder:7b", "qwen"),
        ("Qwen/Qwen2.5-Coder-1.5B", "qwen"),
        ("starcoder2:3b", "starcoder"),
        ("bigcode/starcoder2-15b", "starcoder"),
        ("codellama:7b-code", "codellama"),
        ("codestral-latest", "codestral"),
        ("gpt-4o-mini", None),
        ("smollm2", None),
    ],
)
def test_family_by_model_name(model, family):
    assert family_for_model(model) == family


def test_render_keeps_braces_and_placeholders_in_code():
    template = TEMPLATES["qwen"]
    assert (
        template.render("f = {prefix}", "{suffix}}")
        == "<|fim_prefix|>f = {prefix}<|fim_suffix|>{suffix}}<|fim_middle|>"
    )


def test_codestral_puts_suffix_first_and_deepseek_uses_fullwidth_bars():
    assert TEMPLATES["codestral"].render("P", "S") == "[SUFFIX]S[PREFIX]P"
    assert (
        TEMPLATES["deepseek"].render("P", "S")
        == "<\uff5cfim\u2581begin\uff5c>P<\uff5cfim\u2581hole\uff5c>S<\uff5cfim\u2581end\uff5c>"
    )
    assert TEMPLATES["codellama"].render("P", "S") == "<PRE> P <SUF>S <MID>"
    assert TEMPLATES["starcoder"].render("P", "S") == "<fim_prefix>P<fim_suffix>S<fim_middle>"


def test_override_wins_and_none_means_chat():
    assert choose_template("gpt-4o", "deepseek") is TEMPLATES["deepseek"]
    assert choose_template("qwen2.5-coder:7b", "none") is None
    assert choose_template("qwen2.5-coder:7b", None) is TEMPLATES["qwen"]
    with pytest.raises(ValueError, match="unknown fim_template"):
        choose_template("x", "deepseeek")


def test_stop_sequences_include_the_family_sentinels():
    for template in TEMPLATES.values():
        assert template.stop
    assert "<|endoftext|>" in TEMPLATES["qwen"].stop


def test_snippets_become_comments_in_the_file_language():
    snippets = [Snippet("lib/a.py", "X = 1\n")]
    assert with_snippets("y = ", snippets, "python") == "# Path: lib/a.py\n# X = 1\n\ny = "
    assert with_snippets("y", snippets, "typescript").startswith("// Path: lib/a.py")
    assert with_snippets("y", [], "python") == "y"
