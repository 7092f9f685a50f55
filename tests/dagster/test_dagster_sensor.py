"""The package sensor compares file contents (SHA-256), not modification times."""

import json
import os

from dagster import build_sensor_context
from package_fixture import write_package

from pipelines.automation import package_sensor


def evaluate(sensor, cursor):
    return sensor.evaluate_tick(build_sensor_context(cursor=cursor, sensor_name=sensor.name))


def test_first_look_loads_then_only_a_content_change_requests_a_run(tmp_path):
    folder = write_package(tmp_path / "package")
    sensor = package_sensor(folder)

    first = evaluate(sensor, None)
    assert len(first.run_requests) == 1
    cursor = first.cursor
    assert set(json.loads(cursor)) == {p.name for p in folder.iterdir()}  # one hash per table file

    # Saved again with the same bytes: new mtime, same content -> skip, with a reason.
    partners = folder / "partners.csv"
    stat = partners.stat()
    partners.write_bytes(partners.read_bytes())
    os.utime(partners, (stat.st_atime + 120, stat.st_mtime + 120))
    touched = evaluate(sensor, cursor)
    assert touched.run_requests == []
    assert "No table file" in touched.skip_message
    assert touched.cursor in (None, cursor)

    # One changed row -> exactly one run, naming the file; the cursor moves on.
    partners.write_text(
        partners.read_text(encoding="utf-8").replace("Fondation Éclair", "Fondation Lumière"), encoding="utf-8"
    )
    changed = evaluate(sensor, cursor)
    assert len(changed.run_requests) == 1
    assert changed.run_requests[0].tags["partner_reports/changed_files"] == "partners.csv"
    assert changed.cursor != cursor

    # Evaluated again with the new cursor: nothing more to do.
    assert evaluate(sensor, changed.cursor).run_requests == []


def test_a_file_removed_or_added_counts_as_a_change_and_other_files_do_not(tmp_path):
    folder = write_package(tmp_path / "package")
    sensor = package_sensor(folder)
    cursor = evaluate(sensor, None).cursor

    (folder / "notes.txt").write_text("not a table")
    assert evaluate(sensor, cursor).run_requests == []

    (folder / "outcomes.csv").unlink()
    removed = evaluate(sensor, cursor)
    assert removed.run_requests[0].tags["partner_reports/changed_files"] == "outcomes.csv"

    (folder / "iati").mkdir()
    (folder / "iati" / "activities.xml").write_text("<iati-activities/>")
    added = evaluate(sensor, removed.cursor)
    assert added.run_requests[0].tags["partner_reports/changed_files"] == "iati/activities.xml"


def test_empty_folder_skips_with_a_reason(tmp_path):
    (tmp_path / "empty").mkdir()
    result = evaluate(package_sensor(tmp_path / "empty"), None)
    assert result.run_requests == [] and "holds no table files" in result.skip_message
