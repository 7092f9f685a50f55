"""The reading path: DuckDB reads CSV and Parquet files itself; line numbers are the
physical lines of the file; the row as read is kept, as JSON, for rejected rows only."""

import json
from datetime import date

import duckdb
import polars as pl
import pytest
from package_fixture import VALID_ROWS

from pipelines.ingest.load import load_package
from pipelines.ingest.read import PackageError

HEADER = "interaction_id,partner_id,region_code,interaction_date,channel,note"


def load_interactions(package, text: str, newline: str = "\n"):
    folder = package()
    (folder / "interactions.csv").write_bytes(text.replace("\n", newline).encode())
    conn = duckdb.connect()
    report = load_package(folder, conn)
    return conn, report


def rejects(conn) -> list[tuple]:
    return conn.execute("SELECT line, rule FROM audit.rejects ORDER BY line").fetchall()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_line_breaks_count_as_lines(package, newline):
    conn, report = load_interactions(
        package,
        (
            f"{HEADER}\n"
            'I1,P1,EU,2025-03-05,call,"first\nsecond\nthird\nfourth"\n'  # lines 2-5
            "I2,P1,EU,2025-03-06,fax,x\n"  # line 6
            'I3,P1,EU,2025-03-07,call,"one\n\ntwo"\n'  # lines 7-9, an empty line inside quotes
            "I4,P1,EU,2025-03-08,telex,\n"  # line 10
            '"I5",P1,EU,2025-03-09,"call","a ""quoted"" word, with a comma"\n'  # line 11
            "I6,P1,EU,2025-03-10,pigeon,y\n"  # line 12
        ),
        newline,
    )
    assert rejects(conn) == [(6, "not_in_vocabulary"), (10, "not_in_vocabulary"), (12, "not_in_vocabulary")]
    notes = conn.execute("SELECT interaction_id, note FROM staging.interactions ORDER BY 1").fetchall()
    assert notes == [
        ("I1", newline.join(["first", "second", "third", "fourth"])),
        ("I3", newline.join(["one", "", "two"])),
        ("I5", 'a "quoted" word, with a comma'),
    ]
    assert report.table("interactions").rows_read == 6


def test_empty_lines_and_short_rows_beside_quoted_line_breaks(package):
    """Empty lines are rows (rejected as empty_row); a short row is padded, also in a file
    whose quoted fields hold line breaks."""
    conn, report = load_interactions(
        package,
        (
            f"{HEADER}\n"
            'I1,P1,EU,2025-03-05,call,"two\nlines"\n'  # 2-3
            "\n"  # 4
            "I2,P1,EU,2025-03-06,email\n"  # 5: no note, padded
            "I3,P1,EU\n"  # 6: short, then missing a required value
            "\n"  # 7
        ),
    )
    assert rejects(conn) == [(4, "empty_row"), (6, "missing_value"), (7, "empty_row")]
    assert conn.execute("SELECT interaction_id, note FROM staging.interactions ORDER BY 1").fetchall() == [
        ("I1", "two\nlines"),
        ("I2", None),
    ]
    assert report.table("interactions").rows_read == 5


def test_a_header_with_a_line_break_moves_every_line(package):
    folder = package()
    (folder / "partners.csv").write_text(
        'partner_id,name,partner_type,"country\ncode"\nP1,A,foundation,FR\nP2,B,pirate,FR\n'
    )
    conn = duckdb.connect()
    load_package(folder, conn)
    assert conn.execute("SELECT line, rule, raw FROM audit.rejects").fetchall() == [
        (4, "not_in_vocabulary", '{"partner_id":"P2","name":"B","partner_type":"pirate","country\\ncode":"FR"}')
    ]


def test_the_raw_row_is_json_of_the_header_as_read_for_rejected_rows_only(package):
    """Keys in header order, extra columns kept, values untrimmed, empty fields null; the
    load leaves no per-row copy of the file behind."""
    conn, _ = load_interactions(
        package,
        (
            "note,interaction_id,partner_id,region_code,interaction_date,channel,comment\n"
            " Check-in ,I1,P1,EU,2025-03-05, call ,kept\n"
            ",I2,P1,EU,2025-03-06, fax ,\n"
            'Ünïcødé ✓ 中文,I3,P1,EU,2025-03-07,telex,"a, b"\n'
        ),
    )
    raws = [json.loads(r[0]) for r in conn.execute("SELECT raw FROM audit.rejects ORDER BY line").fetchall()]
    assert raws == [
        {
            "note": None,
            "interaction_id": "I2",
            "partner_id": "P1",
            "region_code": "EU",
            "interaction_date": "2025-03-06",
            "channel": " fax ",
            "comment": None,
        },
        {
            "note": "Ünïcødé ✓ 中文",
            "interaction_id": "I3",
            "partner_id": "P1",
            "region_code": "EU",
            "interaction_date": "2025-03-07",
            "channel": "telex",
            "comment": "a, b",
        },
    ]
    assert [list(r) for r in raws] == [
        ["note", "interaction_id", "partner_id", "region_code", "interaction_date", "channel", "comment"]
    ] * 2
    # The loaded row is trimmed, and nothing of the reading is left over.
    assert conn.execute("SELECT note, channel FROM staging.interactions").fetchall() == [("Check-in", "call")]
    assert (
        conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name NOT IN ('currencies')"
        ).fetchone()[0]
        == 0
    )
    assert conn.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall() == [("fx",)]


def test_unicode_white_space_is_trimmed_like_any_space(package):
    conn, _ = load_interactions(package, f"{HEADER}\n\u00a0I1\t,P1,EU,2025-03-05,\u3000call\u2009,note\u00a0\n")
    assert conn.execute("SELECT interaction_id, channel, note FROM staging.interactions").fetchall() == [
        ("I1", "call", "note")
    ]


def test_parquet_rows_are_numbered_as_a_csv_export_and_typed_columns_read_as_text(package):
    folder = package()
    (folder / "transactions.csv").unlink()
    rows = [dict(VALID_ROWS["transactions"][0], transaction_id=f"T{i}") for i in range(1, 6)]
    rows[2]["transaction_type"] = "loan"  # row 3: line 4
    rows[4]["amount"] = "1.234"  # row 5: line 6
    frame = pl.DataFrame(rows).with_columns(pl.col("transaction_date").str.to_date())
    frame.write_parquet(folder / "transactions.parquet")
    conn = duckdb.connect()
    report = load_package(folder, conn)
    assert report.table("transactions").file == "transactions.parquet"
    assert report.table("transactions").rows_read == 5
    assert rejects(conn) == [(4, "not_in_vocabulary"), (6, "bad_amount")]
    assert json.loads(conn.execute("SELECT raw FROM audit.rejects WHERE line = 4").fetchone()[0]) == dict(
        rows[2], transaction_date="2025-02-01"
    )
    assert conn.execute("SELECT transaction_date FROM staging.transactions WHERE transaction_id = 'T1'").fetchone()[
        0
    ] == date(2025, 2, 1)


def test_an_unreadable_parquet_file_is_named(package):
    folder = package()
    (folder / "transactions.csv").unlink()
    (folder / "transactions.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(PackageError, match=r"transactions\.parquet: not a readable Parquet file"):
        load_package(folder, duckdb.connect())


def test_not_utf8_deep_in_a_large_file_names_its_line(package):
    folder = package()
    lines = [HEADER] + [f"I{i},P1,EU,2025-03-05,call,note {i}" for i in range(1, 200_001)]
    lines[150_000] = lines[150_000].replace("note", "caf\xe9")
    (folder / "interactions.csv").write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(PackageError) as err:
        load_package(folder, duckdb.connect())
    assert (
        str(err.value)
        == f"{folder / 'interactions.csv'}, line 150001: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    )


def test_progress_lines_per_table(package):
    lines = []
    load_package(package(), duckdb.connect(), progress=lines.append)
    assert any(line.startswith("load: transactions: read 1 rows in ") for line in lines)
    assert any(line.startswith("load: transactions: 1 loaded, 0 rejected of 1 rows in ") for line in lines)
    assert len([line for line in lines if ": read " in line]) == 10
    assert lines[-1].startswith("load: finished in ")


def test_a_file_of_plain_spaces_is_trimmed_too(package):
    """No quotes and no other white space: the cheaper trim of spaces applies."""
    conn, _ = load_interactions(package, f"{HEADER}\n I1 ,P1,EU,  2025-03-05,call ,   \n  ,  , ,,,\n")
    assert conn.execute(
        "SELECT interaction_id, interaction_date::VARCHAR, channel, note FROM staging.interactions"
    ).fetchall() == [("I1", "2025-03-05", "call", None)]
    assert rejects(conn) == [(3, "empty_row")]
