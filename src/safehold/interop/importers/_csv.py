"""Reading CSV exports as the managers write them: UTF-8 with or without a BOM (Windows
tools also write latin-1), CRLF, quoted cells spanning lines, headers matched by name
case-insensitively."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from ._base import CorruptFile

#: Cells larger than this are a broken file, not a password (csv's own default is 128 KiB).
csv.field_size_limit(16 * 1024 * 1024)


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # every byte is a latin-1 character: never fails


@dataclass(frozen=True, slots=True)
class Row:
    line: int  #: where the row starts in the file (1-based), for messages
    cells: dict[str, str]  #: by lower-cased header

    def get(self, *names: str) -> str:
        for name in names:
            value = self.cells.get(name.lower())
            if value:
                return value
        return ""


def rows(text: str) -> tuple[list[str], Iterator[Row]]:
    """The header (lower-cased, stripped) and the rows after it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CorruptFile("the file is empty") from None
    except csv.Error as exc:
        raise CorruptFile(f"line 1: {exc}") from None
    names = [h.strip().lower() for h in header]

    def gen() -> Iterator[Row]:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CorruptFile(f"line {line}: {exc}") from None
            if not any(c.strip() for c in cells):
                continue
            yield Row(line, {names[i]: c for i, c in enumerate(cells) if i < len(names)})

    return names, gen()


def raw_rows(text: str) -> list[Row]:
    """Every non-blank row of a CSV without a header, cells keyed by position ("0", "1", …)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[Row] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return out
        except csv.Error as exc:
            raise CorruptFile(f"line {line}: {exc}") from None
        if any(c.strip() for c in cells):
            out.append(Row(line, {str(i): c for i, c in enumerate(cells)}))
