"""Definitions, chunks and skips from tree-sitter, for every supported language (pure)."""

from __future__ import annotations

import pytest

from zeke_ls.index.extract import FileRecord, Skipped, extract
from zeke_ls.index.terms import identifier_terms, query_terms, text_terms

SAMPLES = {
    "m.py": (
        "import os\nLIMIT = 3\n@cached\ndef area(r, pi=3.14) -> float:\n"
        '    """Area of a disk."""\n    return pi * r * r\n\n\nclass Shape(Base):\n'
        "    def grow(self, k):\n        return k\n",
        [
            ("LIMIT", "variable", ""),
            ("area", "function", ""),
            ("Shape", "class", ""),
            ("grow", "method", "Shape"),
        ],
    ),
    "m.js": (
        "function area(r) { return r }\nclass Shape { grow(k) { return k } }\n"
        "const scale = (x) => x * 2\n",
        [
            ("area", "function", ""),
            ("Shape", "class", ""),
            ("grow", "method", "Shape"),
            ("scale", "function", ""),
        ],
    ),
    "m.ts": (
        "export function area(r: number): number { return r }\ninterface Sized { n: number }\n"
        "type Id = string\nenum Color { Red }\nclass Shape { grow(): void {} }\n",
        [
            ("area", "function", ""),
            ("Sized", "interface", ""),
            ("Id", "type", ""),
            ("Color", "enum", ""),
            ("Shape", "class", ""),
            ("grow", "method", "Shape"),
        ],
    ),
    "m.go": (
        "package m\n\n// Area of a disk.\nfunc Area(r float64) float64 { return r }\n"
        "func (s *Shape) Grow(k int) {}\ntype Shape struct{}\nconst Limit = 3\n",
        [
            ("Area", "function", ""),
            ("Grow", "method", ""),
            ("Shape", "type", ""),
            ("Limit", "constant", ""),
        ],
    ),
    "m.rs": (
        "/// Area of a disk.\nfn area(r: f64) -> f64 { r }\nstruct Shape;\n"
        "impl Shape { pub fn grow(&self) {} }\ntrait Sized2 { fn n(&self); }\n",
        [
            ("area", "function", ""),
            ("Shape", "struct", ""),
            ("Shape", "impl", ""),
            ("grow", "method", "Shape"),
            ("Sized2", "trait", ""),
            ("n", "method", "Sized2"),
        ],
    ),
    "m.lua": (
        "local function area(r)\n  return r\nend\nfunction M.grow(k) end\n"
        "function M:shrink() end\n",
        [("area", "function", ""), ("grow", "function", ""), ("shrink", "method", "")],
    ),
    "m.zig": (
        'const std = @import("std");\n/// Area of a disk.\npub fn area(r: f64) f64 {\n'
        "    return r;\n}\nconst Shape = struct { n: i32 };\n",
        [("std", "constant", ""), ("area", "function", ""), ("Shape", "constant", "")],
    ),
    "m.c": (
        "#define LIMIT 3\nstruct shape { int n; };\ntypedef struct shape shape_t;\n"
        "/* Area of a disk. */\nstatic double *area(double r) { return 0; }\n",
        [
            ("LIMIT", "macro", ""),
            ("shape", "struct", ""),
            ("shape_t", "type", ""),
            ("area", "function", ""),
        ],
    ),
}


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_definitions_per_language(path):
    text, expected = SAMPLES[path]
    record = extract(path, text.encode())
    assert isinstance(record, FileRecord)
    assert [(d.name, d.kind, d.container) for d in record.definitions] == expected
    assert "".join(c.text + "\n" for c in record.chunks).count("area") >= (path != "m.go")


def test_signature_docstring_and_card():
    record = extract("m.py", SAMPLES["m.py"][0].encode())
    assert isinstance(record, FileRecord)
    area = record.definitions[1]
    assert area.signature == "def area(r, pi=3.14) -> float:"
    assert area.doc == "Area of a disk."
    assert (area.start_line, area.end_line) == (3, 5)
    assert area.card.startswith("def area(r, pi=3.14)") and "return pi * r * r" in area.card
    shape = record.definitions[2]
    assert shape.card == "class Shape(Base):\n    ..."


@pytest.mark.parametrize("path", ["m.go", "m.rs", "m.zig", "m.c"])
def test_comment_above_is_the_doc(path):
    record = extract(path, SAMPLES[path][0].encode())
    assert isinstance(record, FileRecord)
    [documented] = [d for d in record.definitions if d.name.lower() == "area"]
    assert "Area of a disk." in documented.doc


def test_chunks_follow_top_level_definitions_and_cut_long_ones():
    body = "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(60))
    text = "import os\n\n\ndef first():\n    pass\n\n\nclass Big:\n" + body
    record = extract("m.py", text.encode())
    assert isinstance(record, FileRecord)
    assert [(c.start_line, c.name) for c in record.chunks[:3]] == [
        (0, ""),
        (3, "first"),
        (7, "Big"),
    ]
    assert all(c.end_line - c.start_line < 80 for c in record.chunks)
    assert {c.name for c in record.chunks[2:]} == {"Big"}
    assert record.chunks[-1].text.endswith("return 59")  # the blank line after it is dropped


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\0\1\2binary", "binary"),
        (b"var a=1;" * 2000, "minified"),
        (b"x = 1\n" * 300_000, "larger than"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(data, reason):
    result = extract("m.js" if reason == "minified" else "m.py", data)
    assert isinstance(result, Skipped) and reason in result.reason


def test_broken_syntax_still_yields_definitions_and_unknown_types_skip():
    record = extract("m.py", b"def ok(a):\n    return a\n\ndef broken(:\n")
    assert isinstance(record, FileRecord) and record.definitions[0].name == "ok"
    assert isinstance(extract("notes.md", b"# hi"), Skipped)


def test_identifier_terms_split_camel_and_snake_case():
    assert identifier_terms("parseHTTPResponse") == [
        "parse",
        "http",
        "response",
        "parsehttpresponse",
    ]
    assert identifier_terms("scale_polygon") == ["scale", "polygon", "scalepolygon"]
    assert identifier_terms("draw") == ["draw"]
    assert "self" not in text_terms("self.scale_polygon(x)").split()
    assert query_terms("return self.scale_polygon(points)")[0] == "scalepolygon"
