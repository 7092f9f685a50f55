"""What a long run shows: per-table progress lines on the CLI, a summary whose columns
hold 10 M+ numbers, and the DuckDB memory settings every connection gets."""

import duckdb
import pytest

from pipelines.cli import load_table_lines, main
from pipelines.settings import DuckDBSettings, Settings, SettingsError
from pipelines.warehouse import connect


@pytest.mark.parametrize("verbose", [False, True])
def test_the_cli_prints_per_table_progress_of_the_load(tmp_path, package, monkeypatch, capsys, verbose):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    code = main(
        [
            "run",
            "--data",
            str(package()),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--reports",
            str(tmp_path / "reports"),
        ]
        + (["--verbose"] if verbose else [])
    )
    captured = capsys.readouterr()
    out = captured.out + captured.err  # Dagster's console logger (--verbose) writes to stderr
    assert code == 0, out
    for table in ("regions", "transactions", "outcomes"):
        assert f"load: {table}: read 1 rows in " in out
        assert f"load: {table}: 1 loaded, 0 rejected of 1 rows in " in out
    assert "load: finished in " in out
    if not verbose:  # the short output: the step's own lines, indented
        lines = out.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("  Loading the partner data package at "))
        assert lines[start + 1].startswith("  load: regions: read 1 rows in ")


def test_summary_columns_fit_numbers_of_ten_million_and_more():
    loads = [
        ("regions", "regions.csv", 6, 6, 0),
        ("transactions", "transactions.csv", 10_000_000, 9_861_312, 138_688),
        ("interactions", "interactions.csv", 123_456_789, 123_456_789, 0),
    ]
    lines = load_table_lines(loads)
    assert lines[0].split() == ["table", "read", "loaded", "rejected"]
    assert lines[2].split() == ["transactions", "10,000,000", "9,861,312", "138,688"]
    assert lines[3].split() == ["interactions", "123,456,789", "123,456,789", "0"]
    # Right-aligned: every line has the same length and each number ends where its header ends.
    assert len({len(line) for line in lines}) == 1
    for word in ("read", "loaded", "rejected"):
        end = lines[0].index(word) + len(word)
        assert all(line[end - 1] != " " and (end == len(line) or line[end] == " ") for line in lines)
    # At least two spaces between columns, even for the widest numbers.
    assert "  123,456,789  123,456,789" in lines[3]


def test_small_packages_keep_the_familiar_layout():
    assert load_table_lines([("transactions", "t.csv", 468, 464, 4)]) == [
        "  table              read   loaded  rejected",
        "  transactions        468      464         4",
    ]


def test_duckdb_settings_from_the_environment(tmp_path):
    settings = DuckDBSettings.from_env(
        {
            "DUCKDB_MEMORY_LIMIT": "512MB",
            "DUCKDB_TEMP_DIRECTORY": str(tmp_path / "spill"),
            "DUCKDB_MAX_TEMP_DIRECTORY_SIZE": "2GB",
        }
    )
    with connect(tmp_path / "w.duckdb", settings=settings) as conn:
        memory, temp, temp_size = conn.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'),"
            " current_setting('max_temp_directory_size')"
        ).fetchone()
    assert (memory, temp, temp_size) == ("488.2 MiB", str(tmp_path / "spill"), "1.8 GiB")
    # Defaults: at most 3 GB, spilling next to the warehouse file.
    defaults = DuckDBSettings.from_env({})
    assert defaults.memory_limit == "3GB" or defaults.memory_limit.endswith("MB")
    with connect(tmp_path / "w.duckdb", settings=defaults) as conn:
        assert conn.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(tmp_path / "w.duckdb.tmp")


def test_a_bad_size_is_refused_with_the_variable_named(capsys, monkeypatch):
    with pytest.raises(SettingsError, match="DUCKDB_MEMORY_LIMIT='lots' is not a size"):
        Settings.from_env({"DUCKDB_MEMORY_LIMIT": "lots"})
    monkeypatch.setenv("DUCKDB_MAX_TEMP_DIRECTORY_SIZE", "huge")
    assert main(["run"]) == 2
    assert "DUCKDB_MAX_TEMP_DIRECTORY_SIZE='huge' is not a size" in capsys.readouterr().err


def test_a_load_larger_than_its_memory_limit_spills_and_loads_the_same(tmp_path):
    """About 140 MB of all-text rows under a 60 MB limit (DuckDB 1.4 needs about 40 MB of
    buffers that cannot spill): DuckDB writes to the temp directory instead of failing, and
    the warehouse is the one loaded without a limit."""
    from pipelines.ingest.load import load_package
    from pipelines.sample.generate import generate_package

    folder = tmp_path / "package"
    generate_package(folder, copies=80)
    tables = ["staging.transactions", "staging.interactions", "audit.rejects", "audit.load_summary"]
    results = {}
    for limit in ("60MB", "2GB"):
        settings = DuckDBSettings(memory_limit=limit, temp_directory=tmp_path / f"spill-{limit}")
        with connect(tmp_path / f"w-{limit}.duckdb", settings=settings) as conn:
            # one thread: each thread holds buffers that cannot spill, and under a limit this
            # small several of them made the load fail now and then on a busy machine
            conn.execute("SET threads = 1")
            load_package(folder, conn)
            results[limit] = {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    assert results["60MB"] == results["2GB"]
    assert len(results["60MB"]["staging.interactions"]) > 100_000
    duckdb.connect().close()
