"""A small hand-filled warehouse with exactly the published tables the reports read.

The numbers are chosen by hand, not computed: the report tests only check that what
the marts say is what the PDF prints. Four regions plus the global row 'ALL':
- MENA depends on one funder (78 % of support; runway 9.0 -> 2.0 months without it),
- AFR has an Arabic-named and a Chinese-named partner and the hostile partner name,
- ASOC has no expenditure, so runway is null and the report withholds runway, coverage
  and margin (spending_figures_withheld 'no_spending_recorded'),
- EUR is the healthiest region.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

HOSTILE_NAME = '<img src="file:///etc/hostname"> & Co'
ARABIC_NAME = "مؤسسة المكتبات العربية"
CHINESE_NAME = "中国图书馆学会"

REGIONS = [
    ("AFR", "Africa"),
    ("ASOC", "Asia & Oceania"),
    ("EUR", "Europe"),
    ("MENA", "Middle East & North Africa"),
]

# region, support, expenditure, margin, funders, top id, top share, hhi, band,
# pipeline, burn, runway, runway w/o top, coverage, ended, renewal, active, new,
# retention, engaged, activities, participants, libraries, cost/participant,
# outcome achievement, score, flags
YEAR_ROWS = [
    (
        "ALL",
        1_850_000,
        1_700_000,
        0.0811,
        14,
        "P-MENA-1",
        0.2108,
        0.1190,
        "unconcentrated",
        1_200_000,
        141_666.67,
        8.47,
        6.10,
        0.71,
        10,
        0.60,
        16,
        3,
        0.80,
        0.62,
        48,
        2_950,
        410,
        576.27,
        0.93,
        61.4,
        [],
    ),
    (
        "AFR",
        450_000,
        430_000,
        0.0444,
        5,
        "P-AFR-1",
        0.40,
        0.2600,
        "high",
        300_000,
        35_833.33,
        8.37,
        4.20,
        0.66,
        3,
        0.6667,
        6,
        1,
        0.75,
        0.50,
        14,
        820,
        120,
        524.39,
        0.88,
        55.2,
        ["high_concentration"],
    ),
    (
        "ASOC",
        250_000,
        0,
        1.0,
        3,
        "P-ASOC-1",
        0.50,
        0.3800,
        "high",
        150_000,
        0,
        None,
        None,
        None,
        0,
        None,
        3,
        1,
        None,
        1.0,
        6,
        300,
        40,
        None,
        None,
        70.8,
        ["high_concentration"],
    ),
    (
        "EUR",
        650_000,
        620_000,
        0.0462,
        6,
        "P-EUR-1",
        0.22,
        0.1700,
        "moderate",
        412_500,
        68_333.33,
        6.04,
        4.71,
        0.82,
        4,
        0.75,
        7,
        1,
        0.86,
        0.71,
        20,
        1_530,
        210,
        405.23,
        1.05,
        72.3,
        [],
    ),
    (
        "MENA",
        500_000,
        650_000,
        -0.30,
        3,
        "P-MENA-1",
        0.78,
        0.6328,
        "high",
        337_500,
        37_500,
        9.0,
        2.0,
        0.55,
        3,
        0.3333,
        3,
        0,
        0.67,
        0.33,
        8,
        300,
        40,
        2166.67,
        0.62,
        31.7,
        ["high_concentration", "dominant_funder", "top_funder_cliff", "low_renewal", "low_engagement", "deficit"],
    ),
]

# marts.region_sustainability.spending_figures_withheld of the 2025 rows (null for the others)
WITHHELD = {"ASOC": "no_spending_recorded"}

PARTNERS = [
    # region, partner_id, name, type, support, share, last contact, agreements in force
    ("AFR", "P-AFR-1", "Fondation Bibliothèques Sans Frontières", "foundation", 180_000, 0.40, "2025-11-20", 2),
    ("AFR", "P-AFR-2", ARABIC_NAME, "association", 112_500, 0.25, "2025-10-02", 1),
    ("AFR", "P-AFR-3", CHINESE_NAME, "library", 90_000, 0.20, "2025-06-15", 1),
    ("AFR", "P-AFR-4", HOSTILE_NAME, "corporate", 45_000, 0.10, None, 1),
    ("AFR", "P-AFR-5", "Ministère de la Culture", "government", 22_500, 0.05, "2025-03-01", 0),
    ("ASOC", "P-ASOC-1", "Asia Library Trust", "foundation", 125_000, 0.50, "2025-12-01", 1),
    ("ASOC", "P-ASOC-2", "National Library Board", "government", 75_000, 0.30, "2025-09-09", 1),
    ("ASOC", "P-ASOC-3", "Pacific Readers", "ngo", 50_000, 0.20, "2025-08-08", 1),
    ("EUR", "P-EUR-1", "Europeana Friends", "association", 143_000, 0.22, "2025-12-10", 2),
    ("EUR", "P-EUR-2", "Kulturstiftung Nord", "foundation", 130_000, 0.20, "2025-11-11", 1),
    ("EUR", "P-EUR-3", "EU Creative Programme", "multilateral", 130_000, 0.20, "2025-10-10", 1),
    ("EUR", "P-EUR-4", "Open Data Corp", "corporate", 117_000, 0.18, "2025-09-30", 1),
    ("EUR", "P-EUR-5", "University Library Consortium", "academic", 78_000, 0.12, "2025-07-07", 1),
    ("EUR", "P-EUR-6", "City Libraries Network", "library", 52_000, 0.08, "2025-05-05", 1),
    ("MENA", "P-MENA-1", "Gulf Knowledge Foundation", "foundation", 390_000, 0.78, "2025-12-15", 2),
    ("MENA", "P-MENA-2", "مكتبة الإسكندرية", "library", 60_000, 0.12, "2025-04-04", 1),
    ("MENA", "P-MENA-3", "Maghreb Readers Association", "association", 50_000, 0.10, "2024-12-20", 0),
]

EXPIRING = [
    # region, agreement, partner, name, title, end date, remaining
    (
        "AFR",
        "A-AFR-1",
        "P-AFR-1",
        "Fondation Bibliothèques Sans Frontières",
        "Reading rooms 2024–26",
        "2026-06-30",
        120_000,
    ),
    ("AFR", "A-AFR-4", "P-AFR-4", HOSTILE_NAME, "Sponsorship <b>bold</b>", "2026-03-31", 15_000),
    ("MENA", "A-MENA-1", "P-MENA-1", "Gulf Knowledge Foundation", "Digital libraries programme", "2026-09-30", 262_500),
    ("EUR", "A-EUR-2", "P-EUR-2", "Kulturstiftung Nord", "Library futures", "2026-12-31", 90_000),
]

SETTINGS = [
    ("hhi_moderate_from", "0.15"),
    ("hhi_high_above", "0.25"),
    ("dominant_funder_share_above", "0.5"),
    ("short_runway_months_below", "6"),
    ("top_funder_cliff_months_below", "3"),
    ("low_renewal_below", "0.5"),
    ("low_engagement_below", "0.5"),
    ("weight_diversification", "0.2"),
    ("weight_runway", "0.2"),
    ("weight_renewal", "0.2"),
    ("weight_engagement", "0.2"),
    ("weight_margin", "0.2"),
    ("min_spending_share", "0.1"),
]


def _quarter_rows() -> list[tuple]:
    """Quarterly support and expenditure; the year's quarters add up to the year row."""
    rows = []
    for code, support, expenditure, *_ in YEAR_ROWS:
        for q in range(1, 5):
            start_month = 3 * (q - 1) + 1
            end = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}[q]
            rows.append(
                (
                    code,
                    f"2025-Q{q}",
                    "quarter",
                    f"2025-{start_month:02d}-01",
                    f"2025-{end}",
                    round(support / 4, 2),
                    round(expenditure / 4, 2),
                )
            )
    return rows


def build_fixture_warehouse(path: Path) -> Path:
    conn = duckdb.connect(str(path))
    try:
        conn.execute("CREATE SCHEMA marts; CREATE SCHEMA audit; CREATE SCHEMA staging;")
        conn.execute("CREATE TABLE staging.regions (region_code VARCHAR, region_name VARCHAR)")
        conn.executemany("INSERT INTO staging.regions VALUES (?, ?)", REGIONS)
        conn.execute("""
            CREATE TABLE marts.region_sustainability (
                region_code VARCHAR, period VARCHAR, period_type VARCHAR,
                period_start DATE, period_end DATE,
                income_eur DECIMAL(18,2), in_kind_eur DECIMAL(18,2), support_eur DECIMAL(18,2),
                expenditure_eur DECIMAL(18,2), operating_margin DOUBLE, funder_count INTEGER,
                top_funder_id VARCHAR, top_funder_share DOUBLE, hhi DOUBLE, effective_funders DOUBLE,
                concentration_band VARCHAR, committed_pipeline_eur DECIMAL(18,2),
                monthly_burn_eur DECIMAL(18,2), runway_months DOUBLE,
                runway_without_top_funder_months DOUBLE, multi_year_coverage DOUBLE,
                agreements_ended INTEGER, renewal_rate DOUBLE, active_partners INTEGER,
                new_partners INTEGER, partner_retention DOUBLE, engaged_partner_share DOUBLE,
                activities INTEGER, participants BIGINT, libraries_reached BIGINT,
                cost_per_participant_eur DECIMAL(18,2), outcome_achievement DOUBLE,
                sustainability_score DOUBLE, risk_flags VARCHAR[], spending_figures_withheld VARCHAR)
        """)
        for (
            code,
            support,
            expenditure,
            margin,
            funders,
            top_id,
            top_share,
            hhi,
            band,
            pipeline,
            burn,
            runway,
            runway_wo,
            coverage,
            ended,
            renewal,
            active,
            new,
            retention,
            engaged,
            activities,
            participants,
            libraries,
            cpp,
            outcome,
            score,
            flags,
        ) in YEAR_ROWS:
            conn.execute(
                "INSERT INTO marts.region_sustainability VALUES "
                "(?, '2025', 'year', DATE '2025-01-01', DATE '2025-12-31', "
                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    code,
                    round(support * 0.9, 2),
                    round(support * 0.1, 2),
                    support,
                    expenditure,
                    margin,
                    funders,
                    top_id,
                    top_share,
                    hhi,
                    1 / hhi,
                    band,
                    pipeline,
                    burn,
                    runway,
                    runway_wo,
                    coverage,
                    ended,
                    renewal,
                    active,
                    new,
                    retention,
                    engaged,
                    activities,
                    participants,
                    libraries,
                    cpp,
                    outcome,
                    score,
                    flags,
                    WITHHELD.get(code),
                ],
            )
        for code, period, ptype, start, end, support, expenditure in _quarter_rows():
            conn.execute(
                "INSERT INTO marts.region_sustainability (region_code, period, period_type, "
                "period_start, period_end, support_eur, expenditure_eur, risk_flags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, [])",
                [code, period, ptype, start, end, support, expenditure],
            )
        # A 2026 row: the year is not over on the day the tests run, so it is not the default.
        conn.execute(
            "INSERT INTO marts.region_sustainability (region_code, period, period_type, "
            "period_start, period_end, support_eur, risk_flags) "
            "VALUES ('ALL', '2026', 'year', DATE '2026-01-01', DATE '2026-12-31', 10, [])"
        )

        conn.execute("""
            CREATE TABLE marts.region_partner_support (
                region_code VARCHAR, period VARCHAR, period_type VARCHAR, partner_id VARCHAR,
                partner_name VARCHAR, partner_type VARCHAR, support_eur DECIMAL(18,2),
                share DOUBLE, last_interaction_date DATE, agreements_in_force INTEGER)
        """)
        conn.executemany(
            "INSERT INTO marts.region_partner_support VALUES (?, '2025', 'year', ?, ?, ?, ?, ?, ?, ?)",
            PARTNERS,
        )
        conn.execute("""
            CREATE TABLE marts.region_support_mix (
                region_code VARCHAR, period VARCHAR, partner_type VARCHAR,
                support_eur DECIMAL(18,2), share DOUBLE)
        """)
        conn.execute("""
            INSERT INTO marts.region_support_mix
            SELECT region_code, period, partner_type, sum(support_eur), sum(share)
            FROM marts.region_partner_support GROUP BY ALL
        """)
        conn.execute("""
            CREATE TABLE marts.region_expiring_commitments (
                region_code VARCHAR, period VARCHAR, period_type VARCHAR, agreement_id VARCHAR,
                partner_id VARCHAR, partner_name VARCHAR, title VARCHAR, end_date DATE,
                remaining_eur DECIMAL(18,2))
        """)
        conn.executemany(
            "INSERT INTO marts.region_expiring_commitments VALUES (?, '2025', 'year', ?, ?, ?, ?, ?, ?)",
            EXPIRING,
        )
        conn.execute("CREATE TABLE marts.metric_settings (name VARCHAR, value VARCHAR)")
        conn.executemany("INSERT INTO marts.metric_settings VALUES (?, ?)", SETTINGS)

        conn.execute("""
            CREATE TABLE audit.rejects (source VARCHAR, line BIGINT, rule VARCHAR,
                                        message VARCHAR, raw VARCHAR)
        """)
        conn.executemany(
            "INSERT INTO audit.rejects VALUES (?, ?, ?, ?, ?)",
            [
                ("transactions", 14, "unknown_currency", "currency XYZ is not ISO 4217", "{}"),
                ("transactions", 27, "unknown_currency", "currency ABC is not ISO 4217", "{}"),
                ("partners", 9, "duplicate_key", "partner_id P-1 seen on line 3", "{}"),
            ],
        )
        conn.execute("""
            CREATE TABLE audit.load_summary (source VARCHAR, file VARCHAR, rows_read BIGINT,
                                             rows_loaded BIGINT, rows_rejected BIGINT)
        """)
        conn.executemany(
            "INSERT INTO audit.load_summary VALUES (?, ?, ?, ?, ?)",
            [
                ("partners", "partners.csv", 40, 39, 1),
                ("transactions", "transactions.csv", 512, 510, 2),
                ("expenditures", "expenditures.parquet", 300, 300, 0),
            ],
        )
        conn.execute("CREATE TABLE audit.package (fingerprint VARCHAR, reporting_currency VARCHAR)")
        conn.execute("INSERT INTO audit.package VALUES ('0123456789ab', 'EUR')")
    finally:
        conn.close()
    return path
