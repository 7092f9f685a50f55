"""A file's SHA-256, read in blocks: the one file hash of the project. The sensor tells
changed files apart by it (automation.py); the loader's package fingerprint is made from
it, looking at each block for its own checks as the block passes (ingest/read.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

BLOCK_BYTES = 1 << 22


def file_sha256(path: Path, see: Callable[[bytes], object] | None = None) -> str:
    """The hex SHA-256 of the file's bytes; `see`, if given, is called with every block as
    it is read, so that a caller reading the bytes for another purpose reads them once."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
            if see is not None:
                see(block)
    return digest.hexdigest()
