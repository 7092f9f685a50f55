"""Every real file of ../shared/external (copied to tests/external): no crash, money conserved, package loads.

Conservation: for each currency and transaction type (commitment codes 2/11/C together,
since they sum into one agreement), the source's sum equals the package's sum plus the
rejects' sum. The source side is read independently (tests/importers/sources.py).
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipelines.importers.iati import import_iati
from pipelines.importers.reconciliation import OUTCOMES
from pipelines.importers.threesixtygiving import import_360giving
from pipelines.ingest.load import load_package
from tests.importers.sources import (
    GIVING_FILES,
    IATI_FILES,
    giving_package_sums,
    giving_source_sums,
    iati_package_sums,
    iati_source_sums,
    package_outcomes,
    read_csv,
    summary_sums,
)


def assert_conserved(source: dict, package: dict) -> None:
    keys = sorted(set(source) | set(package))
    differences = {
        k: (source.get(k, Decimal(0)), package.get(k, Decimal(0)))
        for k in keys
        if source.get(k, Decimal(0)) != package.get(k, Decimal(0))
    }
    assert not differences, f"(currency, type): (source, package + rejects) differ: {differences}"


def test_every_file_is_there():
    # 4 legacy + 15 current IATI files and 3 360Giving files, as SOURCES.md lists them
    assert len(IATI_FILES) == 19 and len(GIVING_FILES) == 3


@pytest.mark.parametrize("path", IATI_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_iati_file_conserves_money(path, tmp_path):
    summary = import_iati([path], tmp_path)
    assert summary.errors == []
    source = iati_source_sums(path)
    assert source, "every test file has transactions"
    assert_conserved(source, iati_package_sums(tmp_path))


@pytest.mark.parametrize("path", IATI_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_iati_import_summary_adds_up(path, tmp_path):
    """import_summary.csv: per currency and type as published, the published money is the
    source's (read independently), every outcome column is what the package rows hold,
    commitments are what the agreements commit, and nothing is unaccounted."""
    import_iati([path], tmp_path)
    summary = summary_sums(tmp_path)
    published = {key: sums["published"] for key, sums in summary.items() if sums["published"]}
    assert published == {k: v for k, v in iati_source_sums(path, by=str).items() if v}
    assert all(sums["unaccounted"] == 0 for sums in summary.values())
    rows = package_outcomes(tmp_path)
    for (currency, code), sums in summary.items():
        for outcome in set(OUTCOMES) - {"commitment"}:
            assert sums[outcome] == rows.get((currency, code, outcome), Decimal(0)), (currency, code, outcome)
    committed = {}
    for row in read_csv(tmp_path / "agreements.csv"):
        committed[row["currency"]] = committed.get(row["currency"], Decimal(0)) + Decimal(row["committed_amount"])
    by_currency = {}
    for (currency, _), sums in summary.items():
        by_currency[currency] = by_currency.get(currency, Decimal(0)) + sums["commitment"]
    assert {c: v for c, v in by_currency.items() if v} == {c: v for c, v in committed.items() if v}


@pytest.mark.parametrize("path", GIVING_FILES, ids=lambda p: p.name)
def test_360giving_file_conserves_money(path, tmp_path):
    summary = import_360giving([path], tmp_path)
    assert summary.errors == []
    assert_conserved(giving_source_sums(path), giving_package_sums(tmp_path))


def test_all_files_together_load_without_a_single_reject(tmp_path):
    """One package from every file; the lead's loader accepts every row we wrote, so
    nothing is lost between the importer's rejects.csv and the warehouse. Importing the
    files into one package rejects exactly what importing them one by one rejects (a
    later import must not be hindered by what an earlier one wrote, e.g. its rates)."""
    one_by_one = sum(import_iati([p], tmp_path / p.name).rejects for p in IATI_FILES) + sum(
        import_360giving([p], tmp_path / p.name).rejects for p in GIVING_FILES
    )
    package = tmp_path / "all"
    together = import_iati(IATI_FILES, package).rejects + import_360giving(GIVING_FILES, package).rejects
    assert together == one_by_one
    conn = duckdb.connect()
    report = load_package(package, conn, reporting_currency="EUR")
    rejected = conn.execute("SELECT source, rule, message FROM audit.rejects LIMIT 5").fetchall()
    assert report.rows_rejected == 0, rejected
    written = len(read_csv(package / "transactions.csv"))
    assert conn.execute("SELECT count(*) FROM staging.transactions").fetchone()[0] == written
