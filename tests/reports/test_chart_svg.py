"""Chart SVG: plain labels as <text>, every other label as one outline <path> (svg_text.py)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import matplotlib
import pytest
from matplotlib.figure import Figure

from pipelines.reports.charts import RC, funder_chart
from pipelines.reports.svg_text import figure_svg, is_plain

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


def _size_pt(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def _bar_figure():
    """A small chart with a long Latin label and an Arabic one, made afresh each call
    (figure_svg changes the figure it writes)."""
    fig = Figure(figsize=(6.3, 1.2))
    ax = fig.add_subplot()
    ax.barh([1, 0], [0.6, 0.4], height=0.6)
    ax.set_yticks([1, 0], ["Gulf Heritage Reading Fund", ARABIC])
    ax.text(0.61, 1, "60 %", va="center")
    return fig


def test_crop_from_one_draw_matches_savefig_tight():
    """figure_svg draws once and sets the viewBox to the tight box; matplotlib's own
    savefig(bbox_inches="tight") draws twice: the sizes agree, the figure is cropped."""
    with matplotlib.rc_context(RC):
        svg = figure_svg(_bar_figure())
        buffer = io.StringIO()
        _bar_figure().savefig(buffer, format="svg", bbox_inches="tight")
    ours, theirs = _size_pt(svg), _size_pt(buffer.getvalue())
    assert ours[0] == pytest.approx(theirs[0], abs=0.5)
    assert ours[1] == pytest.approx(theirs[1], abs=0.5)
    assert abs(ours[0] - 6.3 * 72) > 10  # not the figure's own 453.6 pt: the box was measured
    viewbox = [float(v) for v in ET.fromstring(svg).get("viewBox").split()]
    assert viewbox[2:] == pytest.approx(list(ours), abs=0.001)
