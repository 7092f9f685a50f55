import os

import pytest

from pipelines.reports.paths import (
    UnsafeReportPath,
    global_report_path,
    region_report_path,
    write_atomically,
)


@pytest.mark.parametrize(
    "code", ["../x", "..", "a/b", "MENA/../../etc", "mena", "", "A" * 17, "/etc/passwd", "ÄFR", "AF R", "AF\x00"]
)
def test_region_codes_that_could_name_another_file_are_refused(tmp_path, code):
    with pytest.raises(UnsafeReportPath):
        region_report_path(tmp_path, "2025", code)


@pytest.mark.parametrize("period", ["../2025", "2025/..", "2025-Q5", "25", "2025-q3"])
def test_bad_periods_are_refused(tmp_path, period):
    with pytest.raises(UnsafeReportPath):
        global_report_path(tmp_path, period)


def test_paths_are_inside_reports_dir(tmp_path):
    assert region_report_path(tmp_path, "2025-Q3", "MENA") == (tmp_path / "2025-Q3" / "MENA.pdf").resolve()
    assert global_report_path(tmp_path, "2025") == (tmp_path / "2025" / "partnership-sustainability-2025.pdf").resolve()


def test_a_symlinked_period_folder_pointing_outside_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "2025").symlink_to(outside)
    with pytest.raises(UnsafeReportPath, match="would leave REPORTS_DIR"):
        region_report_path(reports, "2025", "MENA")


def test_atomic_write_leaves_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "2025" / "MENA.pdf"
    write_atomically(target, b"old")

    def crash(*_args):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(target.parent) == ["MENA.pdf"]  # no temp file left behind
