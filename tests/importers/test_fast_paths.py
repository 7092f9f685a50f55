"""The importers' shortcuts for the common case give what the general rule gives (they
were added for speed, docs/importers.md "Performance"; the output must not change)."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

from pipelines.csv_safety import neutralise_cells, neutralise_row
from pipelines.importers.money import split_by_shares
from pipelines.importers.text import clean_text


def test_ascii_text_is_cleaned_as_the_general_rule_cleans_it():
    """Every pair of ASCII characters between words: control characters dropped, runs of
    whitespace one space, the ends stripped (the regular expressions of the general path)."""
    control, spaces = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]"), re.compile(r"\s+")
    for a, b in itertools.product(map(chr, range(128)), repeat=2):
        text = f"{a}x{a}{b}y {b}"
        assert clean_text(text) == spaces.sub(" ", control.sub(" ", text)).strip(), repr(text)


def test_one_region_gets_the_whole_amount_as_several_regions_share_it():
    """One share: the whole amount, rounded to cents, the same Decimal (digits and
    exponent) as a share of a split gives, so every text written from it is the same."""
    for text in ("0", "0.00", "-0.01", "1", "12.3", "-7826.00", "1E+3", "9999999999999999.99", "0.005"):
        amount = Decimal(text)
        whole = split_by_shares(amount, {"AF": Decimal(100)})["AF"]
        # AF's part of AF + a region with a vanishing share: the general way, the same cents
        shared = split_by_shares(amount, {"AF": Decimal(100), "EU": Decimal("1e-30")})["AF"]
        assert (str(whole), whole.as_tuple()) == (str(shared), shared.as_tuple()), text


def test_cells_are_neutralised_by_row_and_by_list():
    row = {"a": "=1+1", "b": "-50.00", "c": "@x", "d": "plain", "e": "", "f": "\tx", "g": "+3", "h": "-x"}
    assert neutralise_row(row) == {
        "a": "'=1+1",
        "b": "-50.00",
        "c": "'@x",
        "d": "plain",
        "e": "",
        "f": "'\tx",
        "g": "+3",
        "h": "'-x",
    }
    # cells that are not text (counts, amounts, missing values) are written as they are
    assert neutralise_cells(["=1", 7, Decimal("-2.50"), None]) == ["'=1", 7, Decimal("-2.50"), None]
