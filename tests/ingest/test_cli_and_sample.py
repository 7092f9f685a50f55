"""What a user meets: the `partner-reports run` command and the bundled sample."""

import filecmp
from pathlib import Path

from package_fixture import SAMPLE_DIR

from pipelines.cli import main
from pipelines.sample.generate import generate_package


def test_run_reports_rows_loaded_and_rejected_per_table(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    code = main(
        [
            "run",
            "--data",
            str(SAMPLE_DIR),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--reports",
            str(tmp_path / "reports"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "transactions        468      464         4" in out
    assert "transactions: duplicate_key × 1" in out
    assert f"Warehouse: {tmp_path / 'w.duckdb'}" in out
    # The whole pipeline ran: the marts are published, every check passed, and the seven
    # PDFs of the latest complete year are listed.
    assert "Published marts.region_sustainability (" in out and "Published marts.region_support_mix (" in out
    assert "Asset checks: " in out and ", 0 failed" in out
    reports = [line.split(maxsplit=1)[1] for line in out.splitlines() if line.startswith("Report:")]
    assert sorted(Path(r).name for r in reports) == sorted(
        [f"{code}.pdf" for code in ("AF", "AO", "EU", "LAC", "MENA", "NA")] + ["partnership-sustainability-2025.pdf"]
    )
    assert all(Path(r).is_relative_to(tmp_path / "reports") and Path(r).stat().st_size > 0 for r in reports)


def test_a_bad_package_prints_one_clear_line_and_no_traceback(tmp_path, package, monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    folder = package()
    (folder / "transactions.csv").write_text("transaction_id,amount\nT1,5\n")
    code = main(["run", "--data", str(folder), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"partner-reports: error: {folder / 'transactions.csv'}: required column 'agreement_id' is missing"
        " (the header has: transaction_id, amount)"
    )
    assert "Traceback" not in err


def test_a_bad_reporting_currency_is_refused(tmp_path, capsys):
    assert main(["run", "--data", str(SAMPLE_DIR), "--currency", "euro"]) == 2
    assert "REPORTING_CURRENCY='euro' is not an ISO 4217 code" in capsys.readouterr().err


def test_the_bundled_sample_is_what_the_generator_makes(tmp_path):
    """data/sample is reproducible: regenerate it and compare byte for byte."""
    generate_package(tmp_path)
    names = sorted(p.name for p in SAMPLE_DIR.glob("*.csv"))
    assert len(names) == 10
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE_DIR, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_the_sample_tells_a_varied_story():
    import polars as pl

    partners = pl.read_csv(SAMPLE_DIR / "partners.csv")
    assert set(partners["partner_type"]) == {
        "foundation",
        "government",
        "multilateral",
        "corporate",
        "ngo",
        "library",
        "academic",
        "association",
    }
    names = " ".join(partners["name"])
    assert any("\u0600" <= ch <= "\u06ff" for ch in names)  # Arabic
    assert any("\u4e00" <= ch <= "\u9fff" for ch in names)  # Chinese
    assert "é" in names
    transactions = pl.read_csv(SAMPLE_DIR / "transactions.csv", infer_schema=False)
    assert transactions["currency"].n_unique() >= 5
    assert (transactions["amount"].str.starts_with("-")).any()  # refunds
    agreements = pl.read_csv(SAMPLE_DIR / "agreements.csv", infer_schema=False)
    assert agreements["renews"].drop_nulls().len() > 5
    assert sum(p.stat().st_size for p in SAMPLE_DIR.iterdir()) < 5_000_000
