"""Hostile files and settings (issue 13): table files from outside the package, headers
too wide to read, settings that cannot work, a table that loses most of its rows. Each
ends with one line (exit status 2 from the CLI) and, for settings, nothing written."""

from __future__ import annotations

import os
import resource
import time

import duckdb
import pytest
from package_fixture import VALID_ROWS

from pipelines.cli import main
from pipelines.ingest.load import load_package
from pipelines.ingest.read import PackageError


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_link_to_a_csv_elsewhere_is_refused(package, tmp_path):
    folder = package()
    elsewhere = tmp_path / "other_place.csv"
    elsewhere.write_text("region_code,region_name\nXX,Somewhere else\n")
    (folder / "regions.csv").unlink()
    (folder / "regions.csv").symlink_to(elsewhere)
    conn = duckdb.connect()
    with pytest.raises(PackageError) as caught:
        load_package(folder, conn)
    message = str(caught.value)
    assert message == (
        f"{folder / 'regions.csv'}: is a link; table files must be regular files inside the "
        "package folder (copy the file in instead of linking to it)"
    )
    assert "Somewhere" not in message and "other_place" not in message
    assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'staging'").fetchone() == (0,)


def test_a_link_to_a_system_file_quotes_nothing_from_it(package, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    folder = package()
    (folder / "partners.csv").unlink()
    (folder / "partners.csv").symlink_to("/etc/passwd")
    assert (
        main(
            ["run", "--data", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "r")]
        )
        == 2
    )
    line = one_line_error(capsys)
    assert "is a link" in line and "root:" not in line and "passwd" not in line


def test_a_link_inside_the_package_and_a_pipe_are_refused_too(package):
    folder = package()
    (folder / "countries.csv").rename(folder / "real_countries.csv")
    (folder / "countries.csv").symlink_to(folder / "real_countries.csv")
    with pytest.raises(PackageError, match="is a link"):
        load_package(folder, duckdb.connect())
    (folder / "countries.csv").unlink()
    os.mkfifo(folder / "countries.csv")  # reading a pipe would wait for ever
    with pytest.raises(PackageError, match="is not a regular file"):
        load_package(folder, duckdb.connect())


def test_a_100000_column_header_is_refused_quickly(package):
    folder = package()
    header = ",".join(
        ["transaction_id", "agreement_id", "transaction_date", "transaction_type", "amount", "currency"]
        + [f"x{i}" for i in range(100_000)]
    )
    (folder / "transactions.csv").write_text(header + "\n" + "T1,A1,2025-02-01,income,1.00,EUR\n" * 100)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(PackageError) as caught:
        load_package(folder, duckdb.connect())
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # kB
    assert str(caught.value).endswith("the header has 100,006 columns; at most 1,000 are read")


def test_a_header_line_without_end_is_refused(package):
    folder = package()
    (folder / "outcomes.csv").write_bytes(b"outcome_id," + b"x" * (2 << 20))
    with pytest.raises(PackageError, match="header line is longer than 1,048,576 bytes"):
        load_package(folder, duckdb.connect())


def run_cli(tmp_path, monkeypatch, *args, env=None):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    warehouse, reports = tmp_path / "out" / "w.duckdb", tmp_path / "out" / "reports"
    code = main(["run", "--warehouse", str(warehouse), "--reports", str(reports), *args])
    return code, warehouse, reports


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--currency", "XYZ"], {}, "REPORTING_CURRENCY='XYZ' is not an ISO 4217 code"),
        (["--currency", "JPY"], {}, "REPORTING_CURRENCY=JPY: the package's fx_rates has no JPY rate"),
        (
            ["--period", "2025-Q5"],
            {},
            "'2025-Q5' is neither a year (2025), a quarter (2025-Q3) nor a fiscal year (FY2026)",
        ),
        (["--period", "9999"], {}, "--period 9999: outside the plausible dates 1900-01-01 to 2100-12-31"),
        ([], {"PLAUSIBLE_DATE_FROM": "01/01/1900"}, "PLAUSIBLE_DATE_FROM='01/01/1900' is not a date YYYY-MM-DD"),
        ([], {"PLAUSIBLE_DATE_TO": "9999-12-31"}, "PLAUSIBLE_DATE_TO='9999-12-31' is outside 1000-01-01 to 9000-12-31"),
        (
            [],
            {"PLAUSIBLE_DATE_FROM": "2030-01-01", "PLAUSIBLE_DATE_TO": "2020-01-01"},
            "is not before PLAUSIBLE_DATE_TO",
        ),
        ([], {"MAX_REJECTED_SHARE": "150%"}, "MAX_REJECTED_SHARE='150%' is not a share from 0 to 1"),
        ([], {"ORGANISATION_NAME": "Fed \u202eeration"}, "ORGANISATION_NAME holds U+202E"),
        ([], {"ORGANISATION_NAME": "F" * 500}, "ORGANISATION_NAME has 500 characters; at most 120"),
    ],
)
def test_a_bad_setting_stops_before_anything_is_written(tmp_path, package, monkeypatch, capsys, args, env, words):
    folder = package()
    code, warehouse, reports = run_cli(tmp_path, monkeypatch, "--data", str(folder), *args, env=env)
    assert code == 2
    line = one_line_error(capsys)
    assert line.startswith("partner-reports: error: ") and words in line
    assert not (tmp_path / "out").exists()  # no warehouse file, no report folder


def test_missing_or_unusable_folders_are_settings_errors(tmp_path, package, monkeypatch, capsys):
    code, *_ = run_cli(tmp_path, monkeypatch, "--data", str(tmp_path / "nowhere"))
    assert code == 2 and "PARTNER_DATA_DIR " in one_line_error(capsys)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "w.duckdb").mkdir()
    code, *_ = run_cli(tmp_path, monkeypatch, "--data", str(package()))
    line = one_line_error(capsys)
    assert code == 2 and "WAREHOUSE_PATH" in line and "is a folder; it must name a file" in line


def test_a_reporting_currency_with_rates_passes_the_settings(tmp_path, package):
    from pipelines.preflight import check_settings
    from pipelines.settings import Settings

    settings = Settings.from_env(
        {
            "PARTNER_DATA_DIR": str(package()),
            "REPORTING_CURRENCY": "usd",
            "WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
            "REPORTS_DIR": str(tmp_path / "r"),
        }
    )
    check_settings(settings, "2025-Q3")
    assert not (tmp_path / "w.duckdb").exists()


def test_the_loader_refuses_a_reporting_currency_without_rates(package):
    """The load itself (e.g. from the Dagster UI) refuses it too, leaving the warehouse as it was."""
    conn = duckdb.connect()
    with pytest.raises(PackageError, match="no loaded rate for the reporting currency JPY"):
        load_package(package(), conn, reporting_currency="JPY")
    assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'staging'").fetchone() == (0,)


def test_a_table_that_loses_most_rows_fails_a_blocking_check(tmp_path, package, monkeypatch, capsys):
    """Every transaction dated 2200: all rejected; the run stops before the metrics."""
    rows = [
        dict(VALID_ROWS["transactions"][0], transaction_id=f"T{i}", transaction_date="2200-01-01") for i in range(3)
    ]
    folder = package(overrides={"transactions": rows})
    code, warehouse, reports = run_cli(tmp_path, monkeypatch, "--data", str(folder))
    assert code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line == (
        "partner-reports: error: blocking check failed, nothing was published: "
        "staging/transactions: rows_mostly_loaded (blocking): transactions: "
        "0 of 3 rows loaded, 3 rejected, most often implausible_date × 3 "
        "(MAX_REJECTED_SHARE 0.5; rows and rules in audit.rejects)"
    )
    assert not warehouse.exists()  # nothing was published: there was no warehouse before
    assert not list(reports.rglob("*.pdf"))
