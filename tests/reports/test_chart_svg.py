"""Chart SVG: plain labels as <text>, every other label as one outline <path> (svg_text.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pipelines.reports.charts import funder_chart
from pipelines.reports.svg_text import is_plain

SVG = "{http://www.w3.org/2000/svg}"
ARABIC = "مؤسسة النور للمعرفة"
CHINESE = "数字图书馆基金会"


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "2,000 k",
        "80 %",
        "\u22125",
        "Gulf Heritage Reading Fund",
        "Zürich Łódź Ελλάδα Київ",
        "A & <b> 'x'",
        "2026–27",
    ],
)
def test_plain_labels(text):
    assert is_plain(text)


@pytest.mark.parametrize(
    "text",
    [
        ARABIC,
        CHINESE,
        "שלום",
        "Fund \u202eevil",  # a bidi override
        "Fund\x01",  # a control character: not even valid XML
        "two  spaces",  # SVG would collapse them
        " leading",
        "trailing ",
    ],
)
def test_labels_drawn_as_outlines(text):
    assert not is_plain(text)


def _partner(name: str, share: float) -> dict:
    return {"partner_name": name, "share": share, "support_eur": 100}


def test_funder_chart_writes_plain_names_as_text_and_others_as_outlines():
    svg = funder_chart(
        [_partner("Gulf Heritage Reading Fund", 0.5), _partner(ARABIC, 0.3), _partner("A & <b> Trust", 0.2)], "#0072B2"
    )
    root = ET.fromstring(svg)  # escaped: the hostile name did not break the XML
    texts = {el.text: el for el in root.iter(f"{SVG}text")}
    assert "Gulf Heritage Reading Fund" in texts
    assert "A & <b> Trust" in texts
    assert "50 %" in texts
    assert not any(ARABIC in (t or "") for t in texts)
    # the y-axis names end at the axis, as matplotlib aligned them
    assert "text-anchor: end" in texts["Gulf Heritage Reading Fund"].get("style")
    assert "Noto Sans" in texts["Gulf Heritage Reading Fund"].get("style")
    # the Arabic name is outlines: one path, announced by a comment with the name
    assert f"<!-- {ARABIC} -->" in svg
    after = svg.split(f"<!-- {ARABIC} -->", 1)[1].lstrip()
    assert after.startswith("<path d=")
