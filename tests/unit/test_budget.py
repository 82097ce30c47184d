"""The token budgeter: priority order, whole drops before trimming, visible trim markers."""

from __future__ import annotations

from zeke_ls.context.budget import Piece, header, pack, piece_cost
from zeke_ls.context.tokens import TokenCounter, encode


def lines(prefix: str, count: int) -> str:
    return "".join(f"{prefix}_{i} = {i}\n" for i in range(count))


def cost(piece: Piece, counter: TokenCounter) -> int:
    frame, tokens = piece_cost(counter, piece)
    return frame + tokens


def test_everything_fits_in_priority_order():
    counter = TokenCounter()
    pieces = [
        Piece("d", "document", "open.py", "x = 1\n"),
        Piece("f", "file", "f.py", "y = 2\n"),
        Piece("s", "selection", "sel.py", "z = 3\n"),
        Piece("r", "range", "r.py", "w = 4\n"),
    ]
    packed = pack(pieces, 10_000, counter)
    assert [p.key for p in packed.included] == ["s", "r", "f", "d"]
    assert packed.dropped == [] and packed.trimmed == []
    assert packed.used == sum(cost(p, counter) for p in pieces)
    assert packed.render().startswith(header("sel.py") + "z = 3\n")


def test_lower_priority_items_are_dropped_whole_before_the_boundary_is_trimmed():
    counter = TokenCounter()
    selection = Piece("s", "selection", "sel.py", lines("sel", 5))
    pinned = Piece("f", "file", "big.py", lines("big", 300))
    small_doc = Piece("d", "document", "open.py", "tiny = 1\n")
    budget = cost(selection, counter) + 200
    packed = pack([small_doc, pinned, selection], budget, counter)
    assert [p.key for p in packed.included] == ["s", "f"]
    assert packed.included[1].trimmed and not packed.included[0].trimmed
    assert "zeke: trimmed here" in packed.included[1].text
    assert "big_0 = 0" in packed.included[1].text and "big_299" not in packed.included[1].text
    # the small document would have fitted, but it ranks below the trimmed file: dropped whole
    assert [(d.key, d.reason) for d in packed.dropped] == [
        ("d", "over budget: lower priority than big.py")
    ]
    assert packed.used <= budget
    assert len(encode(packed.render())) <= budget + 10


def test_a_boundary_piece_too_small_to_trim_is_dropped():
    counter = TokenCounter()
    selection = Piece("s", "selection", "sel.py", lines("sel", 5))
    pinned = Piece("f", "file", "big.py", lines("big", 300))
    packed = pack([selection, pinned], cost(selection, counter) + 20, counter)
    assert [p.key for p in packed.included] == ["s"]
    assert packed.dropped[0].key == "f" and "over budget" in packed.dropped[0].reason


def test_selection_itself_over_budget_is_trimmed_not_lost():
    counter = TokenCounter()
    packed = pack([Piece("s", "selection", "sel.py", lines("sel", 500))], 300, counter)
    assert packed.included[0].trimmed and packed.used <= 300
    assert packed.report()["trimmed"] == ["s"]


def test_zero_budget_drops_everything_with_reasons():
    packed = pack([Piece("f", "file", "a.py", "a = 1\n")], 0, TokenCounter())
    assert packed.included == [] and packed.dropped[0].tokens == len(encode("a = 1\n"))


def test_repack_after_one_change_encodes_only_that_piece():
    counter = TokenCounter()
    pieces = [Piece(str(i), "file", f"f{i}.py", lines(f"v{i}", 50)) for i in range(20)]
    pack(pieces, 100_000, counter)
    before = counter.encoded_chars
    pieces[7] = Piece("7", "file", "f7.py", lines("changed", 50))
    pack(pieces, 100_000, counter)
    assert counter.encoded_chars - before == len(pieces[7].text)
