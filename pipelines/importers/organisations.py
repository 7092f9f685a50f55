"""Partners: stable ids, partner types and home countries from published org data."""

from __future__ import annotations

import hashlib
import re

# IATI OrganisationType -> contract partner_type. 30 (public-private partnership, e.g.
# Gavi, the Global Fund) counts as multilateral, as the OECD DAC lists those bodies.
IATI_ORG_TYPES = {
    "10": "government",
    "11": "government",
    "15": "government",
    "21": "ngo",
    "22": "ngo",
    "23": "ngo",
    "24": "ngo",
    "30": "multilateral",
    "40": "multilateral",
    "60": "foundation",
    "70": "corporate",
    "71": "corporate",
    "72": "corporate",
    "73": "corporate",
    "80": "academic",
}
_GOVERNMENT_REF = re.compile(r"-GOV-|^[A-Z]{2}(-\d+)?$|^GB-(LAE|LAS|LANI|PLA|NHS|SHPE|UKPRN-GOV)-")
_MULTILATERAL_REF = re.compile(r"^(XM-DAC-4|XI-IATI-(UNPF|OCHA)|4\d{4}$|41[A-Z]{3}$)")
_NOT_COUNTRY_PREFIXES = {"XM", "XI", "XR", "XE"}
_SPACES = re.compile(r"\s+")
_NOT_SLUG = re.compile(r"[^A-Z0-9]+")


def partner_id(ref: str | None, name: str | None) -> str | None:
    """The org identifier as published, or a readable id derived from the name."""
    ref = _SPACES.sub(" ", ref or "").strip()
    if ref:
        return ref
    name = (name or "").strip()
    if not name:
        return None
    slug = _NOT_SLUG.sub("-", name.upper()).strip("-")
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    if not slug or len(slug) > 40:  # non-Latin or very long names: keep ids short and unique
        slug = f"{slug[:32].rstrip('-')}-{digest}".lstrip("-")
    return "NAME-" + slug


def partner_type(type_code: str | None, ref: str | None, default: str) -> str:
    """IATI @type when given; else a government or multilateral org-id pattern; else `default`."""
    if type_code and type_code.strip() in IATI_ORG_TYPES:
        return IATI_ORG_TYPES[type_code.strip()]
    ref = (ref or "").strip().upper()
    if _GOVERNMENT_REF.search(ref):
        return "government"
    if _MULTILATERAL_REF.search(ref):
        return "multilateral"
    return default


def home_country(ref: str | None, known: set[str]) -> str:
    """ISO country of an org-id's registration ("GB-CHC-…" -> GB); empty for international bodies."""
    prefix = (ref or "").strip().upper().split("-", 1)[0]
    return prefix if len(prefix) == 2 and prefix in known and prefix not in _NOT_COUNTRY_PREFIXES else ""
