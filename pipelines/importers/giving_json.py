"""360Giving JSON, streamed: the grants of `{"grants": [...]}` (or of a top-level list)
one at a time, with ijson, so memory holds one grant whatever the file's size.

Numbers come as int or Decimal (never float). Limits (`limits.py`): objects and arrays
nested deeper than MAX_JSON_DEPTH, or a string longer than MAX_JSON_TEXT_CHARS, stop the
import with one line naming the grant; a grant that is not an object is skipped, as a
whole-file read skipped it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ijson

from pipelines.importers.limits import MAX_JSON_DEPTH, MAX_JSON_TEXT_CHARS, InputLimit
from pipelines.importers.package import ImportFailure

_OPEN = {"start_map": dict, "start_array": list}


def iter_json_grants(path: Path) -> Iterator[tuple[str, dict]]:
    """(where, grant as published) pairs: where is "grants[i]"."""
    with path.open("rb") as handle:
        head = handle.read(3)
        if head != b"\xef\xbb\xbf":  # a UTF-8 byte order mark is skipped, as utf-8-sig did
            handle.seek(0)
        events = ijson.basic_parse(handle, use_float=False)
        try:
            yield from _grants(path, events)
        except (ijson.JSONError, ValueError, UnicodeDecodeError) as error:
            raise ImportFailure(f"{path}: cannot be read as 360Giving JSON ({_one_line(error)})") from None


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def _grants(path: Path, events) -> Iterator[tuple[str, dict]]:
    event, value = next(events, (None, None))
    if event == "start_map":
        for event, value in events:
            if event == "end_map":
                break
            if value == "grants":  # a map_key
                event, value = next(events)
                if event != "start_array":
                    raise ImportFailure(f'{path}: no "grants" list at the top level')
                yield from _elements(path, events)
                return
            _skip(path, events, next(events), "the top level")
        raise ImportFailure(f'{path}: no "grants" list at the top level')
    if event == "start_array":
        yield from _elements(path, events)
        return
    raise ImportFailure(f'{path}: no "grants" list at the top level')


def _elements(path: Path, events) -> Iterator[tuple[str, dict]]:
    for index, (event, value) in enumerate(events):  # _build reads each item's own events
        if event == "end_array":
            return
        where = f"grants[{index}]"
        item = _build(path, events, event, value, where, depth=2)
        if isinstance(item, dict):
            yield where, item


def _scalar(path: Path, value, where: str):
    if isinstance(value, str) and len(value) > MAX_JSON_TEXT_CHARS:
        raise InputLimit(
            f"{path}: a string in {where} has {len(value):,} characters; at most {MAX_JSON_TEXT_CHARS:,} are read"
        )
    return value


def _build(path: Path, events, event: str, value, where: str, depth: int):
    """The value that starts with (event, value), built without recursion."""
    if event not in _OPEN:
        return _scalar(path, value, where)
    stack: list[tuple[dict | list, str | None]] = []
    container: dict | list = _OPEN[event]()
    key = None
    for event, value in events:
        if event == "map_key":
            key = value
        elif event in ("end_map", "end_array"):
            if not stack:
                return container
            done = container
            container, key = stack.pop()
            _add(container, key, done)
        elif event in _OPEN:
            if depth + len(stack) + 1 > MAX_JSON_DEPTH:
                raise InputLimit(f"{path}: {where} is nested deeper than {MAX_JSON_DEPTH} levels; refused")
            stack.append((container, key))
            container, key = _OPEN[event](), None
        else:
            _add(container, key, _scalar(path, value, where))
    raise ImportFailure(f"{path}: the file ends inside {where}")


def _add(container, key, value) -> None:
    if isinstance(container, list):
        container.append(value)
    else:
        container[key] = value


def _skip(path: Path, events, first: tuple[str, object], where: str) -> None:
    """Consume one value (not kept), with the same depth limit."""
    event, _ = first
    if event not in _OPEN:
        return
    depth = 1
    for event, _ in events:
        if event in _OPEN:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InputLimit(f"{path}: a value at {where} is nested deeper than {MAX_JSON_DEPTH} levels; refused")
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return
