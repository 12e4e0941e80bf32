"""Make sure DuckDB only ever reads UTF-8.

DuckDB's readers either abort the whole file on a byte that is not UTF-8 (line
staging) or drop every line of a Chinese file exported as GBK/GB18030 (CSV). So
before a text file is read, it is checked in Python:

- valid UTF-8 (the usual case): read as it is;
- UTF-16 with a byte-order mark, or GB18030/GBK or Big5 that decodes cleanly and
  reads as Chinese (simplified or traditional): converted to a UTF-8 copy, and the
  report notes the encoding;
- anything else: in line-based files (JSON lines) the undecodable lines are
  quarantined with their line number and the rest loads; a CSV is refused with
  the first bad line, because one of its records may span several lines.
"""

from __future__ import annotations

import codecs
import functools
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import DataError

CHUNK = 1 << 20
# Share of non-ASCII characters that must be common Chinese (see _chinese) before
# GB18030 is believed: Latin-1 text such as "Müller" also decodes as GB18030.
CHINESE_SHARE = 0.9
# Share of non-ASCII lines valid as UTF-8 above which a file is taken as damaged
# UTF-8 rather than another encoding (GB18030 Chinese is almost never valid UTF-8).
UTF8_LINE_SHARE = 0.5
# Big5's frequently used ideographs (5,401 of them).
BIG5_LEVEL1 = (0xA440, 0xC67E)


@dataclass
class Prepared:
    path: Path  # what the reader opens: the file itself or a UTF-8 copy
    notes: dict = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)  # {line, raw, reason}


def _gzipped(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open(path: Path):
    return gzip.open(path, "rb") if _gzipped(path) else open(path, "rb")


def _chunks(path: Path) -> Iterator[bytes]:
    with _open(path) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(path):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@functools.cache
def _chinese(ch: str) -> bool:
    """A common Chinese character: in GB2312 (the common simplified set) or in Big5's
    first level (the common traditional set; GBK holds those too, and Hong Kong and
    Taiwan exports use them). Real Chinese text is nearly all such characters, while
    Latin-1 letters misread as GB18030 land in the extension rows because an ASCII
    letter follows them ("Müller" -> "M黮ler": 黮 is in neither set)."""
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        pass
    try:
        code = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and BIG5_LEVEL1[0] <= int.from_bytes(code, "big") <= BIG5_LEVEL1[1]


def _convert(path: Path, encoding: str, target: Path, *, check_chinese: bool) -> bool:
    """Write ``path`` decoded from ``encoding`` to ``target`` as UTF-8; False (and no
    file) when it does not decode, or does not read as Chinese when asked."""
    decoder = codecs.getincrementaldecoder(encoding)()
    non_ascii = chinese = 0
    try:
        with open(target, "w", encoding="utf-8", newline="") as out:
            for chunk in _chunks(path):
                text = decoder.decode(chunk)
                if check_chinese:
                    for ch in text:
                        if ch > "\x7f":
                            non_ascii += 1
                            chinese += _chinese(ch)
                out.write(text)
            out.write(decoder.decode(b"", final=True))
    except UnicodeError:
        target.unlink(missing_ok=True)
        return False
    if check_chinese and (not non_ascii or chinese < CHINESE_SHARE * non_ascii):
        target.unlink(missing_ok=True)
        return False
    return True


def _bad_byte(line: bytes) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte 0x{line[exc.start]:02x} at column {exc.start + 1}"
    return "an undecodable byte"


def _utf8_lines_only(path: Path, target: Path) -> list[dict]:
    """Copy ``path`` to ``target`` with every line that is not UTF-8 blanked (blank
    lines are skipped by the readers, so line numbers stay true); the blanked lines."""
    rejected = []
    with _open(path) as src, open(target, "wb") as out:
        for number, line in enumerate(src, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                rejected.append(
                    {
                        "line": number,
                        "raw": line.rstrip(b"\r\n").decode("utf-8", errors="backslashreplace"),
                        "reason": f"not valid UTF-8 ({_bad_byte(line)})",
                    }
                )
                out.write(b"\n")
            else:
                out.write(line)
    return rejected


def _mostly_utf8(path: Path) -> bool:
    """True when most lines with non-ASCII bytes are valid UTF-8: a UTF-8 file with
    a few damaged lines, which must not be reinterpreted as GB18030 (UTF-8 Chinese
    also decodes as GB18030, into other ideographs)."""
    non_ascii = valid = 0
    with _open(path) as src:
        for line in src:
            if line.isascii():
                continue
            non_ascii += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            valid += 1
    return valid > UTF8_LINE_SHARE * non_ascii


def _first_bad_line(path: Path) -> tuple[int, str]:
    with _open(path) as src:
        for number, line in enumerate(src, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number, _bad_byte(line)
    return 0, "an undecodable byte"


def prepare(path: Path, workdir: Path, *, line_based: bool) -> Prepared:
    """A UTF-8 view of ``path`` (see the module docstring); copies go in ``workdir``.

    The copy keeps the file's name without ``.gz``, so it is read as the same
    table, and messages should keep naming ``path``.
    """
    if _is_utf8(path):
        return Prepared(path)
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    target = workdir / name
    with _open(path) as fh:
        head = fh.read(2)
    if head in (b"\xff\xfe", b"\xfe\xff") and _convert(path, "utf-16", target, check_chinese=False):
        return Prepared(target, {"converted_from_encoding": "UTF-16"})
    if not _mostly_utf8(path):
        # GB18030 first: it is what Excel and most Chinese tools on the mainland save
        # (GBK is its subset); Big5 is the traditional set of Taiwan and Hong Kong.
        for codec, name in (("gb18030", "GB18030"), ("big5hkscs", "Big5")):
            if _convert(path, codec, target, check_chinese=True):
                return Prepared(target, {"converted_from_encoding": name})
    if line_based:
        rejected = _utf8_lines_only(path, target)
        return Prepared(target, {"lines_not_utf8": len(rejected)}, rejected)
    line, what = _first_bad_line(path)
    raise DataError(
        f"{path}: line {line} is not valid UTF-8 ({what}), and the file does not read as "
        "Chinese in GB18030/GBK or Big5, or as UTF-16, either",
        hint="save the file as UTF-8 (in Excel: CSV UTF-8) and ingest it again",
    )
