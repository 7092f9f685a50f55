"""Clean free text found in published files: stray control characters and mojibake."""

from __future__ import annotations

import re

# Half-width katakana that stand for cp1252 quotes in some 360Giving files (SOURCES.md 17).
_KATAKANA_QUOTES = str.maketrans({"ﾒ": "’", "ﾑ": "‘", "ﾖ": "“"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_C1 = re.compile(r"[\x80-\x9f]")
_SPACES = re.compile(r"\s+")
# UTF-8 read as MacRoman ("‚Äì" for "–") or as cp1252/latin-1 ("â€“", "Ã©").
_MOJIBAKE = (("mac_roman", re.compile("[‚√].|Ä[ìîôù]")), ("cp1252", re.compile("â€|Ã[\x80-\xbf]")))


def _c1_to_cp1252(match: re.Match[str]) -> str:
    """U+0080..U+009F are cp1252 bytes that went in as code points (e.g. &#x92; for ’)."""
    try:
        return bytes([ord(match.group())]).decode("cp1252")
    except UnicodeDecodeError:
        return ""


def _undo_mojibake(text: str) -> str:
    for encoding, marker in _MOJIBAKE:
        if marker.search(text):
            try:
                return text.encode(encoding).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
    return text


def clean_text(text: str | None) -> str:
    """One line of readable text: C1 code points mapped to cp1252 punctuation, mojibake
    undone where it decodes cleanly, other control characters dropped, spaces collapsed."""
    if not text:
        return ""
    if text.isascii():  # no C1 code point, mojibake or katakana quote can be in it
        return " ".join(_CONTROL.sub(" ", text).split())  # in ASCII, split()'s whitespace is \s
    text = _C1.sub(_c1_to_cp1252, text)
    text = _undo_mojibake(text).translate(_KATAKANA_QUOTES)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
