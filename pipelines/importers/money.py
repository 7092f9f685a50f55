"""Exact money: parse published amounts, round to cents, split by shares.

Everything is `decimal.Decimal`; a float never touches an amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")


def parse_amount(text: str | None) -> Decimal | None:
    """A published decimal number ("5000000", "-7826.00", "1.5E7"); None if it is not one."""
    if text is None:
        return None
    text = text.strip().replace("\u00a0", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def to_cents(amount: Decimal) -> tuple[Decimal, Decimal]:
    """(amount rounded half-even to 2 decimals, the remainder it dropped)."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return rounded, amount - rounded


def format_amount(amount: Decimal) -> str:
    """Plain notation with exactly 2 decimals, as the contract's amount format wants."""
    return format(amount.quantize(CENT), "f")


def format_number(value: Decimal) -> str:
    """Plain notation (no exponent) for indicator values."""
    return format(value.normalize(), "f")


def split_by_shares(amount: Decimal, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """Split a 2-decimal amount over keys in proportion to `shares` (any positive total),
    in whole cents that add up exactly to `amount`: each key gets its rounded-down share
    and the cents left over go to the largest remainders (ties by key order)."""
    total_share = sum(shares.values())
    cents = int(amount.quantize(CENT) * 100)
    sign, cents = (-1 if cents < 0 else 1), abs(cents)
    exact = {key: Decimal(cents) * share / total_share for key, share in shares.items()}
    parts = {key: int(value) for key, value in exact.items()}
    leftover = cents - sum(parts.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - parts[key]), key))
    for key in by_remainder[:leftover]:
        parts[key] += 1
    return {key: Decimal(sign * part) / 100 for key, part in parts.items()}
