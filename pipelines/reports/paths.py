"""Where a report is written, and writing it so a crash never leaves half a PDF.

Region codes and periods come from input data, so a file name built from one is
validated against its grammar first and the resolved path is checked to stay inside
REPORTS_DIR as well (belt and braces: neither check alone is trusted).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# The data contract's region code grammar; 'ALL' (the global row) also matches it.
REGION_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,15}")
# The metrics' period grammar: a calendar year, a quarter or a fiscal year (FY2026).
PERIOD = re.compile(r"[0-9]{4}(-Q[1-4])?|FY[0-9]{4}")


class UnsafeReportPath(ValueError):
    """An identifier from the data that cannot be used in a file name."""


def global_report_path(reports_dir: Path, period: str) -> Path:
    return _inside(reports_dir, _checked(period, PERIOD, "period"), f"partnership-sustainability-{period}.pdf")


def region_report_path(reports_dir: Path, period: str, region_code: str) -> Path:
    return _inside(
        reports_dir, _checked(period, PERIOD, "period"), f"{_checked(region_code, REGION_CODE, 'region code')}.pdf"
    )


def _checked(value: str, grammar: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not grammar.fullmatch(value):
        raise UnsafeReportPath(f"{what} {value!r} is not allowed in a report file name")
    return value


def _inside(reports_dir: Path, *parts: str) -> Path:
    root = Path(reports_dir).resolve()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root):
        raise UnsafeReportPath(f"report path {path} would leave REPORTS_DIR {root}")
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the target. The file
    gets the mode `open()` would give it (0666 less the umask), not mkstemp's 0600."""
    from pipelines.publication import file_mode

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
