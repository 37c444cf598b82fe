"""Reading an export's CSV: any encoding a spreadsheet saves, long fields, and a row the csv
module cannot read reported where it is rather than ending the run."""
from __future__ import annotations

import csv
import io
from typing import IO, Iterator

from ..files import Utf8Stream
from ..record import SourceProblem

# A long field (a description holding a whole issue) is still a field; the run's max_issue_mb
# judges its size.
CSV_FIELD_BYTES = 64 * 1024 * 1024


def csv_text(handle: IO[bytes]) -> io.TextIOWrapper:
    """An export's CSV bytes as text for the csv module: Utf8Stream honours a UTF-16 byte order
    mark, as spreadsheet programs write, and turns bytes that are not UTF-8 into U+FFFD."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_BYTES))
    return io.TextIOWrapper(io.BufferedReader(Utf8Stream(handle)), encoding="utf-8", newline="")


def csv_reader(handle: IO[bytes]) -> csv.DictReader:
    """A DictReader over an export's CSV bytes (see csv_text)."""
    return csv.DictReader(csv_text(handle))


def column_values(handle: IO[bytes], column: str) -> list[str]:
    """One column of every row the CSV module can read (for counting before the real reading)."""
    values = []
    try:
        for row in csv_reader(handle):
            value = row.get(column)
            values.append(value.strip() if isinstance(value, str) else "")
    except csv.Error:
        pass  # the reading proper reports where the file breaks
    return values


def csv_rows(reader: csv.DictReader, name: str) -> Iterator[dict | SourceProblem]:
    """The CSV's rows; a row the csv module cannot read ends them with a SourceProblem saying where."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield SourceProblem(f"{name} line {reader.line_num}", f"the CSV cannot be read from here on ({exc}); "
                                "the rows after it are missing: repair the file and run again", reader.line_num)
            return
        yield row
