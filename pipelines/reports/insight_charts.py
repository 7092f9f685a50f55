"""Charts of the trend and funding-cliff pages (SVG, same conventions as charts.py).

Every chart's numbers are also in a table beside it and in its alt text (templates). An
incomplete period is drawn with a hollow marker and its tick label ends in '*', explained
in a note inside the chart ("* not complete yet") and in the caption.
"""

from __future__ import annotations

import math

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pipelines.reports.charts import EXPENDITURE_COLOUR, RC, TEXT_COLOUR, _short, _svg, _thousands

CONTEXT_COLOUR = "#D0D0D0"
INCOMPLETE_NOTE = "* not complete yet"


def _tick(label: str, is_incomplete: bool) -> str:
    return label + ("*" if is_incomplete else "")


def _line(ax, xs, ys, flags, colour, **kw):
    """A line with filled markers, hollow where the period is incomplete; None values break it."""
    ax.plot(xs, [math.nan if y is None else y for y in ys], color=colour, **kw)
    for x, y, inc in zip(xs, ys, flags, strict=True):
        if y is not None:
            ax.plot(
                [x],
                [y],
                marker="o",
                markersize=3.2,
                color=colour,
                markerfacecolor="white" if inc else colour,
                linestyle="none",
            )


def small_multiples(
    series: dict[str, list[tuple[str, float | None, bool]]],
    names: dict[str, str],
    colours: dict[str, str],
    y_label: str,
    money_axis: bool = False,
    y_limits: tuple[float, float] | None = None,
) -> str:
    """One panel per region (in the given order): its line in its colour over the others in grey.

    `series` maps region code -> [(period label, value, incomplete), ...], oldest first, all
    on the same periods.
    """
    codes = list(series)
    cols = 3
    rows = max(1, math.ceil(len(codes) / cols))
    labels = [_tick(p, inc) for p, _, inc in next(iter(series.values()))] if codes else []
    any_incomplete = any(inc for values in series.values() for _, _, inc in values)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.5, 1.55 * rows + (0.25 if any_incomplete else 0)))
        axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
        for index, ax in enumerate(axes.flat):
            if index >= len(codes):
                ax.set_visible(False)
                continue
            code = codes[index]
            xs = list(range(len(series[code])))
            for other in codes:
                if other != code:
                    ax.plot(
                        xs,
                        [math.nan if v is None else v for _, v, _ in series[other]],
                        color=CONTEXT_COLOUR,
                        linewidth=0.8,
                    )
            _line(
                ax,
                xs,
                [v for _, v, _ in series[code]],
                [inc for _, _, inc in series[code]],
                colours.get(code, "#0b2d4f"),
                linewidth=1.6,
            )
            ax.set_title(_short(names.get(code, code)), fontsize=7.5, color=TEXT_COLOUR, loc="left")
            ax.title.set_parse_math(False)
            ax.set_xticks(xs, labels, fontsize=6.5)
            ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
            ax.set_axisbelow(True)
            if money_axis:
                ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
            if y_limits:
                ax.set_ylim(*y_limits)
        for ax in axes[:, 0]:
            ax.set_ylabel(y_label, fontsize=7)
        if any_incomplete:
            fig.text(0.01, 0.0, INCOMPLETE_NOTE, fontsize=7, color=TEXT_COLOUR)
        fig.tight_layout()
        return _svg(fig)


def region_trend_chart(rows: list[dict], labels: list[str], flags: list[bool], colour: str, currency: str) -> str:
    """Two panels: the score, and support against expenditure, over the trend periods."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.5, 2.1 + (0.2 if any(flags) else 0)))
        score_ax, money_ax = fig.subplots(1, 2)
        xs = list(range(len(rows)))
        ticks = [_tick(p, inc) for p, inc in zip(labels, flags, strict=True)]
        _line(score_ax, xs, [r["sustainability_score"] for r in rows], flags, colour, linewidth=1.6)
        score_ax.set_ylim(0, 100)
        score_ax.set_title("Sustainability score (0–100)", fontsize=7.5, loc="left", color=TEXT_COLOUR)
        _line(
            money_ax,
            xs,
            [None if r["support_eur"] is None else float(r["support_eur"]) for r in rows],
            flags,
            colour,
            linewidth=1.6,
            label="Support",
        )
        _line(
            money_ax,
            xs,
            [None if r["expenditure_eur"] is None else float(r["expenditure_eur"]) for r in rows],
            flags,
            EXPENDITURE_COLOUR,
            linewidth=1.6,
            label="Expenditure",
        )
        money_ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        money_ax.set_title(f"Support and expenditure ({currency})", fontsize=7.5, loc="left", color=TEXT_COLOUR)
        money_ax.legend(frameon=False, fontsize=6.5, loc="lower left")
        for ax in (score_ax, money_ax):
            ax.set_xticks(xs, ticks, fontsize=6.5)
            ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
            ax.set_axisbelow(True)
        if any(flags):
            fig.text(0.01, 0.0, INCOMPLETE_NOTE, fontsize=7, color=TEXT_COLOUR)
        fig.tight_layout()
        return _svg(fig)


def _cliff_axes(ax, months: list[dict], colour: str, small: bool) -> None:
    xs = [m["month_number"] for m in months]
    ax.plot(
        xs, [float(m["cumulative_inflow_eur"]) for m in months], color=colour, linewidth=1.6, label="committed inflows"
    )
    ax.plot(
        xs,
        [float(m["cumulative_inflow_without_top_funder_eur"]) for m in months],
        color=colour,
        linewidth=1.0,
        linestyle="--",
        label="… without the top funder",
    )
    ax.plot(
        xs,
        [float(m["cumulative_burn_eur"]) for m in months],
        color=EXPENDITURE_COLOUR,
        linewidth=1.6,
        label="spending at the monthly burn",
    )
    cliff = months[0]["cliff_month"] if months else None
    if cliff is not None:
        number = next(m["month_number"] for m in months if m["month"] == cliff)
        ax.axvline(number - 0.5, color="#7a2e00", linewidth=0.8, linestyle=":")
        ax.text(
            number - 0.3, ax.get_ylim()[1] * 0.92, f"cliff {cliff:%Y-%m}", fontsize=6 if small else 7, color="#7a2e00"
        )
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ticks = [m["month_number"] for m in months if m["month_number"] in ((1, 12, 24) if small else (1, 6, 12, 18, 24))]
    ax.set_xticks(
        ticks, [f"{m['month']:%Y-%m}" for m in months if m["month_number"] in ticks], fontsize=6 if small else 7
    )
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def cliff_chart(months: list[dict], colour: str, currency: str) -> str:
    """Cumulative committed inflows (with and without the top funder) against cumulative spending."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.5, 2.3))
        ax = fig.add_subplot()
        _cliff_axes(ax, months, colour, small=False)
        ax.set_ylabel(f"cumulative, {currency}")
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(fig)


def cliff_small_multiples(
    projections: dict[str, list[dict]], names: dict[str, str], colours: dict[str, str], currency: str
) -> str:
    codes = list(projections)
    cols = 3
    rows = max(1, math.ceil(len(codes) / cols))
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.5, 1.75 * rows + 0.3))
        axes = fig.subplots(rows, cols, squeeze=False)
        for index, ax in enumerate(axes.flat):
            if index >= len(codes):
                ax.set_visible(False)
                continue
            code = codes[index]
            _cliff_axes(ax, projections[code], colours.get(code, "#0b2d4f"), small=True)
            ax.set_title(_short(names.get(code, code)), fontsize=7.5, loc="left", color=TEXT_COLOUR)
            ax.title.set_parse_math(False)
        for ax in axes[:, 0]:
            ax.set_ylabel(f"cumulative, {currency}", fontsize=7)
        fig.text(
            0.01,
            0.0,
            "solid: committed inflows · dashed: without the top funder · grey: spending "
            "at the monthly burn · dotted line: the cliff",
            fontsize=6.5,
            color=TEXT_COLOUR,
        )
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        return _svg(fig)
