"""Whole-load behaviour: row conservation, idempotence, atomicity, as-of conversion,
line numbers, and the messages for files that cannot be read."""

import csv
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from package_fixture import SAMPLE_DIR, VALID_ROWS

from pipelines.ingest.contract import TABLES
from pipelines.ingest.load import load_package
from pipelines.ingest.read import PackageError

ALL_TABLES = [f"staging.{t.name}" for t in TABLES] + ["audit.rejects", "audit.load_summary", "audit.package"]


def records_in(path) -> int:
    """Data records in a CSV file, counted with Python's own csv module (not the loader)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def snapshot(conn) -> dict[str, list[tuple]]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ALL_TABLES}


def test_every_sample_row_is_loaded_or_rejected(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    report = load_package(SAMPLE_DIR, conn)
    for table in TABLES:
        in_file = records_in(SAMPLE_DIR / f"{table.name}.csv")
        loaded = conn.execute(f"SELECT count(*) FROM staging.{table.name}").fetchone()[0]
        rejected = conn.execute("SELECT count(*) FROM audit.rejects WHERE source = ?", [table.name]).fetchone()[0]
        assert in_file == loaded + rejected, table.name
        assert report.table(table.name).rows_read == in_file
    # The sample carries a few deliberately broken rows (pipelines/sample/generate.py BROKEN_ROWS).
    assert report.rows_rejected >= 8


def test_loading_twice_leaves_the_same_warehouse(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_package(SAMPLE_DIR, conn)
    first = snapshot(conn)
    load_package(SAMPLE_DIR, conn)
    assert snapshot(conn) == first
    assert sum(len(rows) for rows in first.values()) > 4000


def test_a_load_that_fails_part_way_keeps_the_previous_warehouse(tmp_path, package, monkeypatch):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_package(package(), conn)
    before = snapshot(conn)

    # A second package whose last table fails inside the transaction, after the others
    # were already replaced: the outcomes query is broken on purpose.
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    from pipelines.ingest import load as load_module

    for path in load_module.STAGING_SQL.iterdir():
        (sql_dir / path.name).write_text(path.read_text())
    (sql_dir / "outcomes.sql").write_text("SELECT no_such_column FROM src")
    monkeypatch.setattr(load_module, "STAGING_SQL", sql_dir)
    other = package(extra={"regions": [{"region_code": "AF", "region_name": "Africa"}]})
    with pytest.raises(duckdb.BinderException):
        load_package(other, conn)
    assert snapshot(conn) == before


def test_an_unreadable_file_stops_the_load_and_changes_nothing(tmp_path, package):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    folder = package()
    load_package(folder, conn)
    before = snapshot(conn)
    (folder / "partners.csv").write_bytes(
        "partner_id,name,partner_type\nP1,Biblioth\xe8que,library\n".encode("latin-1")
    )
    with pytest.raises(PackageError) as err:
        load_package(folder, conn)
    assert str(err.value) == f"{folder / 'partners.csv'}, line 2: not valid UTF-8 (byte 0xe8); save the file as UTF-8"
    assert snapshot(conn) == before


def test_a_missing_required_column_is_named(package):
    folder = package()
    (folder / "transactions.csv").write_text("transaction_id,agreement_id,transaction_date,amount,currency\n")
    with pytest.raises(PackageError, match=r"transactions\.csv: required column 'transaction_type' is missing"):
        load_package(folder, duckdb.connect())


def test_a_header_name_with_a_line_break_is_quoted_on_one_line(package):
    folder = package()
    (folder / "regions.csv").write_text('"line\nbreak",region_name\nEU,Europe\n')
    with pytest.raises(PackageError) as err:
        load_package(folder, duckdb.connect())
    assert str(err.value) == (
        f"{folder / 'regions.csv'}: required column 'region_code' is missing "
        "(the header has: line\\nbreak, region_name)"
    )


def test_optional_columns_may_be_left_out(package):
    folder = package()
    (folder / "partners.csv").write_text("partner_id,name,partner_type\nP1,Fondation Éclair,foundation\n")
    conn = duckdb.connect()
    load_package(folder, conn)
    assert conn.execute("SELECT partner_id, country_code, since FROM staging.partners").fetchall() == [
        ("P1", None, None)
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"region_code,region_name\nEU,Europe\nAF,Africa,extra\n", "line 3: the row has 3 fields but the header has 2"),
        (b"region_code,region_name,region_code\nEU,Europe,EU\n", "column 'region_code' appears twice"),
    ],
)
def test_malformed_csv_files_get_a_clear_message(package, content, message):
    folder = package()
    (folder / "regions.csv").write_bytes(content)
    with pytest.raises(PackageError, match=message) as err:
        load_package(folder, duckdb.connect())
    assert "regions.csv" in str(err.value)


def test_missing_or_doubled_table_files_are_named(package):
    folder = package()
    (folder / "outcomes.csv").unlink()
    with pytest.raises(PackageError, match="table 'outcomes' is missing"):
        load_package(folder, duckdb.connect())
    folder = package()
    pl.DataFrame({"outcome_id": ["O9"]}).write_parquet(folder / "outcomes.parquet")
    with pytest.raises(PackageError, match="table 'outcomes' is given twice"):
        load_package(folder, duckdb.connect())


def test_line_numbers_count_physical_lines(package):
    """A note with a line break inside quotes, a BOM, CRLF endings: lines as an editor shows them."""
    folder = package()
    (folder / "interactions.csv").write_bytes(
        "\ufeffinteraction_id,partner_id,region_code,interaction_date,channel,note\r\n"
        'I1,P1,EU,2025-03-05,call,"two\r\nlines"\r\n'
        "I2,P1,EU,2025-03-06,fax,one line\r\n"
        'I3,P1,EU,2025-03-07,call,"a ""quoted"" word"\r\n'
        "I4,P1,EU,2025-03-08,telex,\r\n".encode()
    )
    conn = duckdb.connect()
    load_package(folder, conn)
    assert conn.execute("SELECT line, rule FROM audit.rejects ORDER BY line").fetchall() == [
        (4, "not_in_vocabulary"),
        (6, "not_in_vocabulary"),
    ]
    assert conn.execute("SELECT note FROM staging.interactions ORDER BY interaction_id").fetchall() == [
        ("two\r\nlines",),
        ('a "quoted" word',),
    ]


def test_parquet_tables_load_like_csv(tmp_path, package):
    folder = package()
    rows = VALID_ROWS["transactions"] + [dict(VALID_ROWS["transactions"][0], transaction_id="T2", amount="1.234")]
    (folder / "transactions.csv").unlink()
    pl.DataFrame(rows).write_parquet(folder / "transactions.parquet")
    conn = duckdb.connect()
    report = load_package(folder, conn)
    assert report.table("transactions").file == "transactions.parquet"
    assert conn.execute("SELECT line, rule FROM audit.rejects").fetchall() == [(3, "bad_amount")]


class TestAsOfConversion:
    """USD is worth 0.90 EUR from 1 January and 0.80 EUR from 15 February."""

    RATES = [
        {"currency": "USD", "rate_date": "2025-01-01", "eur_per_unit": "0.90"},
        {"currency": "USD", "rate_date": "2025-02-15", "eur_per_unit": "0.80"},
    ]

    def transaction(self, tid, day, amount, currency="USD"):
        return dict(
            VALID_ROWS["transactions"][0], transaction_id=tid, transaction_date=day, amount=amount, currency=currency
        )

    def load(self, package, currency="EUR"):
        folder = package(
            overrides={
                "fx_rates": self.RATES,
                "transactions": [
                    self.transaction("T1", "2025-02-14", "100.05"),  # day before the change: 0.90
                    self.transaction("T2", "2025-02-15", "100.05"),  # the day it changes: 0.80
                    self.transaction("T3", "2025-03-31", "-10.01"),  # a refund, still 0.80
                    self.transaction("T4", "2025-03-31", "100.00", "EUR"),
                ],
            }
        )
        conn = duckdb.connect()
        load_package(folder, conn, reporting_currency=currency)
        return conn

    def test_each_row_takes_the_latest_rate_on_or_before_its_date(self, package):
        conn = self.load(package)
        got = dict(conn.execute("SELECT transaction_id, amount_eur FROM staging.transactions").fetchall())
        # 100.05 × 0.90 = 90.045 → 90.05 (half away from zero, once per row)
        # 100.05 × 0.80 = 80.04;  −10.01 × 0.80 = −8.008 → −8.01;  EUR stays 100.00
        assert got == {"T1": Decimal("90.05"), "T2": Decimal("80.04"), "T3": Decimal("-8.01"), "T4": Decimal("100.00")}
        # Sums are exact decimals of the rounded rows: 90.05 + 80.04 − 8.01 + 100.00
        assert conn.execute("SELECT sum(amount_eur) FROM staging.transactions").fetchone()[0] == Decimal("262.08")

    def test_a_value_date_picks_the_rate_and_the_booking_date_stays(self, package):
        """IATI's value-date: booked 2025-03-01 (after the change) but valued 2025-02-01."""
        row = self.transaction("T9", "2025-03-01", "10.00") | {"value_date": "2025-02-01"}
        folder = package(overrides={"fx_rates": self.RATES, "transactions": [row]})
        conn = duckdb.connect()
        load_package(folder, conn)
        # 10.00 × 0.90 (the rate of 2025-02-01), not × 0.80 (the rate of 2025-03-01)
        assert conn.execute(
            "SELECT transaction_date::VARCHAR, value_date::VARCHAR, amount_eur FROM staging.transactions"
        ).fetchall() == [("2025-03-01", "2025-02-01", Decimal("9.00"))]

    def test_agreements_convert_at_their_start_date(self, package):
        conn = self.load(package)
        # committed 1000.00 USD starting 2025-01-01 at 0.90
        assert conn.execute("SELECT committed_eur FROM staging.agreements").fetchone()[0] == Decimal("900.00")

    def test_another_reporting_currency_crosses_through_eur_at_the_same_date(self, package):
        conn = self.load(package, currency="USD")
        got = dict(conn.execute("SELECT transaction_id, amount_eur FROM staging.transactions").fetchall())
        # USD rows convert to themselves; 100.00 EUR on 2025-03-31 = 100 / 0.80 = 125.00 USD
        assert got == {
            "T1": Decimal("100.05"),
            "T2": Decimal("100.05"),
            "T3": Decimal("-10.01"),
            "T4": Decimal("125.00"),
        }
        assert conn.execute("SELECT reporting_currency FROM audit.package").fetchone()[0] == "USD"

    def test_money_columns_are_decimals(self, package):
        conn = self.load(package)
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'transactions'"
            ).fetchall()
        )
        assert types["amount"] == types["amount_eur"] == "DECIMAL(18,2)"
