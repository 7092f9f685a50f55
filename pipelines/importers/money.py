"""Exact money: parse published amounts, round to cents, split by shares.

Everything is `decimal.Decimal`; a float never touches an amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")


MAX_AMOUNT = Decimal("10000000000000000")
"""Amounts must be below 10^16, the first value DECIMAL(18,2) cannot hold (the warehouse)."""
MAX_DIGITS = 28
"""Significant digits an amount may have: what Decimal's default context keeps exactly."""
MAX_TEXT = 64
"""Characters a number may have as text; longer text is not read as a number at all."""


def amount_problem(text) -> str | None:
    """Why a published value is not a usable amount (None when it is one): not a number,
    not finite, 10^16 or more, or more than 28 significant digits. The import rejects such
    a value with this reason and the path of the record, never a traceback."""
    return _read(text)[1]


def parse_amount(text) -> Decimal | None:
    """A published decimal number ("5000000", "-7826.00", "1.5E7"), within the limits of
    `amount_problem`; None if it is not one (`amount_problem` says why)."""
    return _read(text)[0]


def _read(text) -> tuple[Decimal | None, str | None]:
    """(the amount, None), or (None, why it is not one): one reading serves both questions."""
    if text is None:
        return None, "no value"
    if isinstance(text, bool):
        return None, f"{text!r} is not a decimal number"
    if isinstance(text, (int, Decimal)):
        value = Decimal(text) if isinstance(text, int) and text.bit_length() < 200 else text
        if isinstance(value, int):
            return None, "the value has more than 28 digits"
    else:
        raw = str(text).strip().replace("\u00a0", "")
        if not raw:
            return None, "no value"
        if len(raw) > MAX_TEXT:
            return None, f"the value has {len(raw):,} characters: not a number this import reads"
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None, f"value {raw!r} is not a decimal number"
    if not value.is_finite():
        return None, f"value {value} is not a finite number"
    if abs(value) >= MAX_AMOUNT:
        return None, f"value {value} is too large (at most 16 digits before the decimal point)"
    _, digits, exponent = value.as_tuple()
    if exponent < -MAX_DIGITS:
        return None, f"value {value} has more than {MAX_DIGITS} decimals"
    if len(digits) > MAX_DIGITS:
        return None, f"value {value} has more than {MAX_DIGITS} digits"
    return value, None


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
    if len(shares) == 1:  # the whole amount (what the loop below gives one key, faster)
        return {key: Decimal(int(amount.quantize(CENT) * 100)) / 100 for key in shares}
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
