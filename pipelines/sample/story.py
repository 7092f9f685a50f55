"""The sample's cast and story: who funds which region, for how long, in what currency.

Everything here is fictional. The story each region tells in 2025 (the latest
complete year):
- MENA depends on one foundation (about four fifths of its support); without it the
  committed runway collapses.
- EU is well diversified: ten funders of similar size, long commitments.
- LAC's commitments run out in the first half of 2026 and nothing new is signed.
- AO stopped talking to its partners after March 2025.
- AF saw most agreements lapse in 2025 without renewal, and spends more than it raises.
- NA is steady.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.months import add_months

REGIONS = {
    "AF": "Africa",
    "AO": "Asia-Oceania",
    "EU": "Europe",
    "LAC": "Latin America & Caribbean",
    "MENA": "Middle East & North Africa",
    "NA": "North America",
}

COUNTRIES = [
    ("KE", "Kenya", "AF"),
    ("NG", "Nigeria", "AF"),
    ("ZA", "South Africa", "AF"),
    ("SN", "Sénégal", "AF"),
    ("ET", "Ethiopia", "AF"),
    ("GH", "Ghana", "AF"),
    ("CN", "China", "AO"),
    ("JP", "Japan", "AO"),
    ("IN", "India", "AO"),
    ("AU", "Australia", "AO"),
    ("ID", "Indonesia", "AO"),
    ("NZ", "New Zealand", "AO"),
    ("FR", "France", "EU"),
    ("DE", "Germany", "EU"),
    ("NL", "Netherlands", "EU"),
    ("SE", "Sweden", "EU"),
    ("ES", "Spain", "EU"),
    ("IT", "Italy", "EU"),
    ("GB", "United Kingdom", "EU"),
    ("CH", "Switzerland", "EU"),
    ("BE", "Belgium", "EU"),
    ("BR", "Brazil", "LAC"),
    ("MX", "Mexico", "LAC"),
    ("CO", "Colombia", "LAC"),
    ("CL", "Chile", "LAC"),
    ("AR", "Argentina", "LAC"),
    ("JM", "Jamaica", "LAC"),
    ("EG", "Egypt", "MENA"),
    ("SA", "Saudi Arabia", "MENA"),
    ("AE", "United Arab Emirates", "MENA"),
    ("JO", "Jordan", "MENA"),
    ("MA", "Morocco", "MENA"),
    ("LB", "Lebanon", "MENA"),
    ("US", "United States", "NA"),
    ("CA", "Canada", "NA"),
]

# Each regional office books its spending in its own currency.
OFFICE_CURRENCY = {"AF": "KES", "AO": "JPY", "EU": "EUR", "LAC": "BRL", "MENA": "AED", "NA": "USD"}

# EUR per unit at the start of the sample (December 2022); rates then drift month by month.
START_RATES = {
    "USD": 0.94,
    "GBP": 1.14,
    "CHF": 1.01,
    "JPY": 0.0069,
    "CNY": 0.135,
    "AUD": 0.64,
    "CAD": 0.70,
    "KES": 0.0077,
    "ZAR": 0.055,
    "BRL": 0.18,
    "SAR": 0.25,
    "AED": 0.256,
}
DAILY_RATE_CURRENCIES = ("USD",)  # the others are monthly, as a finance system might export them

# Currencies whose amounts carry no minor unit.
WHOLE_UNIT_CURRENCIES = ("JPY",)


@dataclass(frozen=True)
class Partner:
    key: str
    name: str
    partner_type: str
    country_code: str  # "" for global bodies
    currency: str
    since: str = ""


PARTNERS = [
    # Middle East & North Africa
    Partner("nour", "مؤسسة النور للمعرفة", "foundation", "SA", "SAR", "2019-05-01"),
    Partner("gulf", "Gulf Heritage Reading Fund", "foundation", "AE", "AED"),
    Partner("mdc", "وزارة الثقافة الرقمية", "government", "JO", "USD"),
    Partner("rose", "Desert Rose Telecom", "corporate", "AE", "AED"),
    Partner("rkf", "Regional Knowledge Fund", "multilateral", "", "USD"),
    Partner("fols", "جمعية أصدقاء المكتبات", "association", "LB", "USD"),
    Partner("alex", "مكتبة الإسكندرية الرقمية", "library", "EG", "USD"),
    Partner("rabat", "Université Mohammed-Bennani des sciences de l'information", "academic", "MA", "EUR"),
    # Europe
    Partner("lumiere", "Fondation Lumière des Bibliothèques", "foundation", "FR", "EUR", "2015-03-12"),
    Partner("mlp", "Ministère de la Lecture Publique", "government", "FR", "EUR"),
    Partner("nordisk", "Nordisk Läsfond", "foundation", "SE", "EUR"),
    Partner("hanse", "Hanse Digital AG", "corporate", "DE", "EUR"),
    Partner("echp", "European Cultural Heritage Programme", "multilateral", "BE", "EUR"),
    Partner("openboek", "Stichting Open Boek", "foundation", "NL", "EUR"),
    Partner("helvetique", "Fondation Helvétique pour le Livre", "foundation", "CH", "CHF"),
    Partner("harbour", "Harbour Reading Trust", "association", "GB", "GBP"),
    Partner("faro", "Editorial Faro S.A.", "corporate", "ES", "EUR"),
    Partner("ila", "Istituto Lettura Aperta", "ngo", "IT", "EUR"),
    Partner("bnf", "Bibliothèque nationale des Écrivains", "library", "FR", "EUR"),
    Partner("ebla", "European Bureau of Library Associations", "association", "BE", "EUR"),
    # North America
    Partner("northwind", "Northwind Foundation", "foundation", "US", "USD", "2012-09-01"),
    Partner("ccr", "Canadian Council for Reading", "government", "CA", "CAD"),
    Partner("evergreen", "Evergreen Software Inc.", "corporate", "US", "USD"),
    Partner("harborlight", "Harbor Light Foundation", "foundation", "US", "USD"),
    Partner("cla", "Continental Library Alliance", "association", "US", "USD"),
    Partner("lakeside", "Lakeside University iSchool", "academic", "US", "USD"),
    Partner("qpl", "Bibliothèque publique de Québec-Ouest", "library", "CA", "CAD"),
    # Asia-Oceania
    Partner("huaxia", "华夏图书馆基金会", "foundation", "CN", "CNY"),
    Partner("jrf", "日本読書振興財団", "foundation", "JP", "JPY"),
    Partner("aold", "Australian Office for Library Development", "government", "AU", "AUD"),
    Partner("pustak", "Pustak Seva Trust", "ngo", "IN", "USD"),
    Partner("cahaya", "PT Cahaya Digital", "corporate", "ID", "USD"),
    Partner("apkb", "Asia-Pacific Knowledge Bank", "multilateral", "", "USD"),
    Partner("sdri", "上海数字阅读研究院", "academic", "CN", "CNY"),
    Partner("aplc", "亚太图书馆联盟", "association", "", "USD"),
    Partner("nlnz", "Te Puna Library Network", "library", "NZ", "USD"),
    # Africa
    Partner("savanna", "Savanna Reading Foundation", "foundation", "KE", "KES"),
    Partner("sahel", "Fondation Sahel Lecture", "foundation", "SN", "EUR"),
    Partner("frda", "Federal Reading Development Agency", "government", "NG", "USD"),
    Partner("ubuntu", "Ubuntu Telecom Ltd", "corporate", "ZA", "ZAR"),
    Partner("palf", "Pan-African Learning Fund", "multilateral", "", "USD"),
    Partner("accra", "Accra Book Aid", "ngo", "GH", "USD"),
    Partner("addis", "Addis Institute of Information Science", "academic", "ET", "USD"),
    Partner("dakar", "Bibliothèque Populaire de Dakar", "library", "SN", "EUR"),
    Partner("afla", "African Library Associations Forum", "association", "", "USD"),
    # Latin America & Caribbean
    Partner("leitura", "Fundação Leitura Viva", "foundation", "BR", "BRL"),
    Partner("abierta", "Fundación Biblioteca Abierta", "foundation", "MX", "USD"),
    Partner("mincult", "Ministerio de Cultura Lectora", "government", "CO", "USD"),
    Partner("crc", "Caribbean Reading Circle", "ngo", "JM", "USD"),
    Partner("andes", "Andes Datos SpA", "corporate", "CL", "USD"),
    Partner("ulibre", "Universidad del Libro Libre", "academic", "AR", "USD"),
    Partner("bnm", "Biblioteca Nacional de Montaña", "library", "MX", "USD"),
    # Global bodies and networks that appear in several regions
    Partner("gdlf", "Global Digital Library Fund", "multilateral", "", "USD"),
    Partner("opensci", "Open Science Publishers Group", "corporate", "GB", "GBP"),
    Partner("wlf", "World Literacy Foundation (fictional)", "foundation", "US", "USD"),
    Partner("ipa", "International Preservation Alliance", "association", "", "EUR"),
    Partner("unilib", "University Libraries Consortium", "academic", "NL", "EUR"),
    Partner("bookbridge", "BookBridge NGO", "ngo", "DE", "EUR"),
    Partner("readersunited", "Readers United", "ngo", "US", "USD"),
    Partner("natlib", "National Library Partnership Office", "library", "GB", "GBP"),
]


@dataclass(frozen=True)
class Funding:
    """One partner's funding of one region: a chain of back-to-back agreements.

    `terms` are (start, end) dates; `link` says how each agreement points to the one
    before it: with the `renews` column, or only by starting within the 180-day window.
    """

    partner: str
    annual_eur: int
    terms: tuple[tuple[date, date], ...]
    instrument: str = "grant"
    link: str = "renews"


def terms(first_start: str, *months: int, gap_days: int = 0) -> tuple[tuple[date, date], ...]:
    """Consecutive agreements of the given lengths in months, starting on `first_start`."""
    out, start = [], date.fromisoformat(first_start)
    for length in months:
        end = add_months(start, length) - _ONE_DAY
        out.append((start, end))
        start = end + _ONE_DAY + gap_days * _ONE_DAY
    return tuple(out)


_ONE_DAY = timedelta(days=1)

F = Funding
FUNDING: dict[str, list[Funding]] = {
    "MENA": [
        F("nour", 780_000, terms("2023-01-01", 21, 24)),
        F("gulf", 60_000, terms("2023-01-01", 24, 18), link="window"),
        F("mdc", 50_000, terms("2023-07-01", 12, 24)),
        F("rose", 40_000, terms("2024-01-01", 24), instrument="in_kind"),
        F("rkf", 40_000, terms("2023-01-01", 36)),
    ],
    "EU": [
        F("lumiere", 200_000, terms("2023-01-01", 24, 36)),
        F("mlp", 180_000, terms("2023-01-01", 36, 24), link="window"),
        F("nordisk", 160_000, terms("2023-04-01", 24, 24)),
        F("hanse", 120_000, terms("2023-01-01", 48), instrument="in_kind"),
        F("echp", 170_000, terms("2023-07-01", 24, 36)),
        F("openboek", 140_000, terms("2023-01-01", 24, 24), link="window"),
        F("helvetique", 150_000, terms("2023-10-01", 36)),
        F("harbour", 130_000, terms("2024-01-01", 36)),
        F("faro", 110_000, terms("2023-01-01", 12, 12, 24), instrument="sponsorship"),
        F("ila", 90_000, terms("2025-03-01", 24)),
    ],
    "NA": [
        F("northwind", 320_000, terms("2023-01-01", 24, 24), link="window"),
        F("ccr", 250_000, terms("2023-04-01", 36, 24)),
        F("evergreen", 180_000, terms("2023-01-01", 12, 12, 24), instrument="sponsorship"),
        F("harborlight", 200_000, terms("2024-01-01", 36)),
        F("cla", 120_000, terms("2023-01-01", 24, 24)),
        F("lakeside", 100_000, terms("2023-09-01", 24, 24)),
        F("wlf", 60_000, terms("2025-04-01", 24)),
    ],
    "AO": [
        F("huaxia", 250_000, terms("2023-01-01", 24, 24)),
        F("jrf", 200_000, terms("2023-04-01", 36, 24)),
        F("aold", 150_000, terms("2023-07-01", 36)),
        F("pustak", 80_000, terms("2023-01-01", 24, 24), link="window"),
        F("cahaya", 70_000, terms("2024-01-01", 36), instrument="in_kind"),
        F("apkb", 100_000, terms("2023-01-01", 30, 24)),
        F("sdri", 50_000, terms("2024-07-01", 24)),
    ],
    "AF": [
        F("savanna", 150_000, terms("2023-01-01", 24, 12)),
        F("sahel", 120_000, terms("2023-04-01", 24)),
        F("frda", 100_000, terms("2023-01-01", 30)),
        F("ubuntu", 90_000, terms("2023-01-01", 36, 24, gap_days=31), instrument="in_kind", link="window"),
        F("palf", 130_000, terms("2023-07-01", 24, 36)),
        F("accra", 60_000, terms("2023-01-01", 33)),
        F("addis", 50_000, terms("2024-01-01", 24)),
        F("gdlf", 70_000, terms("2023-01-01", 24, 24)),
    ],
    "LAC": [
        F("leitura", 280_000, terms("2023-01-01", 24, 15)),
        F("abierta", 150_000, terms("2023-04-01", 18, 15)),
        F("mincult", 120_000, terms("2023-07-01", 36)),
        F("crc", 70_000, terms("2024-01-01", 27)),
        F("andes", 90_000, terms("2023-01-01", 12, 12, 15), instrument="sponsorship"),
        F("ulibre", 60_000, terms("2023-01-01", 36)),
    ],
}

# Agreements signed for the future are recorded when signed: AF's telecom partner
# renewed in time (its second term starts a month after the first ended, in 2026),
# which is why that chain has a gap. Chains stop at the last term listed.

# Regions' spending relative to their 2025 support, and when each stopped talking to
# its partners (None: keeps talking). AO's last contact with most partners is March 2025.
SPENDING_RATIO = {"AF": 1.25, "AO": 0.9, "EU": 0.9, "LAC": 1.0, "MENA": 1.0, "NA": 0.95}
SILENT_AFTER = {"AO": date(2025, 3, 31)}
STILL_TALKING = {"jrf"}  # the one AO partner the office kept in touch with

# Partners that only sign memoranda of understanding (no money) in a region.
MOU_PARTNERS = {
    "MENA": ["fols", "alex", "rabat"],
    "EU": ["bnf", "ebla", "ipa", "unilib"],
    "NA": ["qpl", "readersunited"],
    "AO": ["aplc", "nlnz"],
    "AF": ["dakar", "afla", "bookbridge"],
    "LAC": ["bnm", "opensci", "natlib"],
}

# Sample period: three complete calendar years.
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)

OUTCOME_INDICATORS = (
    "Librarians trained in digital services",
    "Libraries offering new community programmes",
    "Policy briefs taken up by governments",
)
# How well each region meets its targets, on average (actual progress / planned progress).
ACHIEVEMENT = {"AF": 0.6, "AO": 0.85, "EU": 1.05, "LAC": 0.8, "MENA": 0.9, "NA": 1.0}
