"""Chart SVG that WeasyPrint draws cheaply: plain labels as <text>, the rest as one <path>.

Plain labels (`is_plain`: printable Latin, Greek and Cyrillic letters, digits, common
punctuation; the numbers on every axis) are written as SVG <text>, anchored where
matplotlib anchors them (`text-anchor`), and WeasyPrint sets them in the same fonts as
the report's own text: a few font operators in the PDF instead of hundreds of outline
points, and the words are in the PDF's text layer. Any other label (Arabic, Hebrew, CJK
and other scripts that need shaping or run right to left, TeX, doubled or edge spaces
that SVG would collapse) is drawn as outlines, because WeasyPrint lays out SVG <text>
with its own metrics and clipped right-aligned right-to-left labels.

For outlines: matplotlib's SVG backend draws text as paths (`svg.fonttype: path`,
charts.py) by defining each glyph once and placing it with one <use> element per
character. WeasyPrint draws a <use> by copying the glyph's element, cascading styles
over it again, applying its own transform and parsing the outline anew: for the reports'
charts that bookkeeping cost about as much as drawing the outlines. Here each text
becomes a single <path> holding the outlines of all its glyphs, as matplotlib's PDF and
PostScript backends draw text: laid out and shaped by the same code (`TextToPath`, with
the text's font features and language), placed by one transform like the <g> matplotlib
writes around the <use>s. Coordinates are in the font's units (100 per em) rounded to
1/100, at 8 pt about a thousandth of a point. Measured effect: docs/reports.md
("Rendering time").
"""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.colors import rgb2hex
from matplotlib.figure import Figure
from matplotlib.path import Path

# Outside these: scripts that need shaping or run right to left, bidi controls (U+2028-202F).
PLAIN_RANGES = ((" ", "~"), ("\xa0", "\u058f"), ("\u2010", "\u2027"), ("\u2030", "\u205e"), ("\u2212", "\u2212"))


def is_plain(text: str) -> bool:
    """Whether WeasyPrint sets `text` in SVG as matplotlib laid it out (see above)."""
    return (
        text == text.strip()
        and "  " not in text
        and all(any(low <= ch <= high for low, high in PLAIN_RANGES) for ch in text)
    )


class OnePathTextRenderer(RendererSVG):
    def open_group(self, s, gid=None):
        """No `<g id>` around each artist: they carry only a name, and WeasyPrint cascades
        styles into every element it meets (a tenth of its time on a chart)."""

    def close_group(self, s):
        """See `open_group`."""

    def _draw_text_as_path(self, gc, x, y, s, prop, angle, ismath, mtext=None):
        """A plain label as <text>; any other as one path (the fill, opacity and
        transform matplotlib gives its <g>)."""
        if not ismath and is_plain(s):
            self._draw_text_as_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        verts, codes = self._text2path.get_text_path(prop, s, ismath=ismath, features=features, language=language)
        if not len(codes):
            return
        scale = prop.get_size_in_points() / self._text2path.FONT_SCALE
        style = []
        colour = rgb2hex(gc.get_rgb())
        if colour != "#000000":
            style.append(f"fill: {colour}")
        alpha = gc.get_alpha() if gc.get_forced_alpha() else gc.get_rgb()[3]
        if alpha != 1:
            style.append(f"opacity: {alpha:g}")
        rotate = f" rotate({-angle:g})" if angle else ""
        self.writer.comment(s)
        outline = Path(np.round(verts, 2), codes)  # written without trailing zeros
        self.writer.element(
            "path",
            d=self._convert_path(outline, simplify=False),
            style="; ".join(style),
            transform=f"translate({x:g} {y:g}){rotate} scale({scale:g} {-scale:g})",
        )


# The root element's size as RendererSVG writes it (the whole figure).
SVG_SIZE = re.compile(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def figure_svg(fig: Figure) -> str:
    """The figure as SVG without a date (same data, same SVG), cropped to what is drawn as
    savefig's `bbox_inches="tight"` crops it, from one draw instead of two.

    savefig draws the figure once with output switched off to find the tight box, then
    again to write it, shifted. Here the figure is written once, the tight box is measured
    on the same renderer, and the SVG's viewBox is set to it (with savefig's padding). The
    figure's own background is not drawn: it would reach past the viewBox on the page,
    which is white anyway."""
    fig.dpi = 72  # SVG user units are points
    width, height = fig.get_size_inches()
    buffer = io.StringIO()
    svg = OnePathTextRenderer(width * 72, height * 72, buffer, image_dpi=72, metadata={"Date": None})
    renderer = MixedModeRenderer(fig, width, height, 72, svg)
    fig.patch.set_visible(False)
    fig.draw(renderer)
    box = fig.get_tightbbox(renderer).padded(matplotlib.rcParams["savefig.pad_inches"])
    renderer.finalize()
    x, y, w, h = box.x0 * 72, (height - box.y1) * 72, box.width * 72, box.height * 72
    size = f'width="{w:.3f}pt" height="{h:.3f}pt" viewBox="{x:.3f} {y:.3f} {w:.3f} {h:.3f}"'
    return SVG_SIZE.sub(size, buffer.getvalue(), count=1)
