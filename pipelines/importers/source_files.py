"""What the IATI and 360Giving importers share before any mapping: the source files an
import reads (files, or folders searched recursively by suffix) and the progress callback
it reports through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pipelines.importers.package import ImportFailure

# progress(file name, bytes done, bytes in all)
Progress = Callable[[str, int, int], None]


def iter_files(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Each path that is a file, and the files under each folder whose suffix is one of
    `suffixes` (sorted); ImportFailure for a path that is neither."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        elif path.is_file():
            yield path
        else:
            raise ImportFailure(f"{path}: no such file or folder")
