"""How numbers and untrusted names look in a report (the Jinja2 filters).

Every value is printed as the warehouse holds it, only rounded; a missing value (a
ratio with nothing to divide by) prints as "n/a", never as 0.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

MISSING = "n/a"
MINUS = "\u2212"
# First-strong isolate ... pop directional isolate: the text-level form of <bdi>/dir=auto.
# WeasyPrint 70 ignores `unicode-bidi: isolate`, Pango honours these two characters.
FSI, PDI = "\u2068", "\u2069"

FLAG_LABELS = {
    "high_concentration": "high concentration",
    "dominant_funder": "dominant funder",
    "short_runway": "short runway",
    "top_funder_cliff": "top-funder cliff",
    "low_renewal": "low renewal",
    "low_engagement": "low engagement",
    "deficit": "deficit",
}

# Printed instead of runway, runway without the top funder, multi-year coverage and operating
# margin where marts.region_sustainability.spending_figures_withheld is set (docs/reports.md).
SPENDING_NOT_RECORDED = "spending not recorded in this data"
# The flags that rest on those figures: not printed for such a region (the marts keep them).
SPENDING_FLAGS = frozenset({"short_runway", "top_funder_cliff", "deficit"})

# What each marts.metric_settings name means, for the methodology page; an unknown
# name is printed as it is.
SETTING_LABELS = {
    "hhi_moderate_from": "HHI from which concentration is moderate",
    "hhi_high_above": "HHI above which concentration is high",
    "dominant_funder_share_above": "dominant funder: top funder's share above",
    "short_runway_months_below": "short runway: months below",
    "top_funder_cliff_months_below": "top-funder cliff: months without the top funder below",
    "low_renewal_below": "low renewal: renewal rate below",
    "low_engagement_below": "low engagement: engaged partner share below",
    "weight_diversification": "score weight of diversification (1 − HHI)",
    "weight_runway": "score weight of runway",
    "weight_renewal": "score weight of renewal",
    "weight_engagement": "score weight of engagement",
    "weight_margin": "score weight of operating margin",
    "fiscal_year_start_month": "first month of the fiscal year",
    "min_spending_share": "runway, coverage and margin withheld: 12-month spending below this share of support",
}


def _signed(text: str) -> str:
    return MINUS + text[1:] if text.startswith("-") else text


def money(value) -> str:
    """Whole currency units with thousands separators: 1,234,567."""
    if value is None:
        return MISSING
    whole = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _signed(f"{whole:,}")


def money_short(value, currency: str) -> str:
    """Headline figures: EUR 1.85 m, EUR 450 k."""
    if value is None:
        return MISSING
    amount = Decimal(value)
    if abs(amount) >= 1_000_000:
        text = f"{amount / 1_000_000:,.2f} m"
    elif abs(amount) >= 10_000:
        text = f"{amount / 1_000:,.0f} k"
    else:
        text = f"{amount:,.0f}"
    return f"{currency} {_signed(text)}"


def pct(value, digits: int = 0) -> str:
    if value is None:
        return MISSING
    return _signed(f"{value * 100:.{digits}f} %")


def months(value) -> str:
    return MISSING if value is None else _signed(f"{value:.1f}")


def decimal1(value) -> str:
    return MISSING if value is None else _signed(f"{value:.1f}")


def decimal2(value) -> str:
    return MISSING if value is None else _signed(f"{value:.2f}")


def count(value) -> str:
    return MISSING if value is None else f"{int(value):,}"


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " "))


def setting_label(name: str) -> str:
    return SETTING_LABELS.get(name, "")


def spending_withheld(row: dict) -> bool:
    """True when the report must not print the row's runway, coverage and margin."""
    return bool(row.get("spending_figures_withheld"))


def shown_flags(row: dict) -> list[str]:
    """The row's risk flags, without those resting on withheld spending figures."""
    withheld = spending_withheld(row)
    return [f for f in row.get("risk_flags") or [] if not (withheld and f in SPENDING_FLAGS)]


def isolated(text) -> str:
    """Untrusted text wrapped so its direction cannot reorder the text around it."""
    return f"{FSI}{text}{PDI}"


NAME_CHARS = 80
"""Longest name, title or id printed in a report: longer ones are kept whole in the
warehouse but printed as their first 79 characters and "…", so that no table's figure
columns are pushed off the page (charts shorten to charts.LABEL_CHARS)."""


def short(text, limit: int = NAME_CHARS) -> str:
    """`text` cut to `limit` characters, the last being "…" when it was longer."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bdi(text) -> Markup:
    """An untrusted name for HTML: shortened to NAME_CHARS, escaped, in <bdi>, and isolated
    for the PDF text."""
    return Markup("<bdi>") + escape(isolated(short(text))) + Markup("</bdi>")


FILTERS = {
    "money": money,
    "money_short": money_short,
    "pct": pct,
    "months": months,
    "decimal1": decimal1,
    "decimal2": decimal2,
    "count": count,
    "flag_label": flag_label,
    "setting_label": setting_label,
    "bdi": bdi,
    "short": short,
    "shown_flags": shown_flags,
}
