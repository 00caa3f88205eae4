"""CSV files meant for spreadsheets: what residents wrote is shown there as text, never run as a formula.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV injection: `=HYPERLINK(...)`, `=1+cmd|' /C calc'!A0`). Such a cell is written with
an apostrophe in front, the spreadsheets' own mark for "this is text", which they do not display; every
CSV Townhall writes for people to open goes through `write_csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula."""
TEXT_MARK = "'"
"""Written before such a cell, so that it reads as text."""


def as_text_cell(value: Any) -> Any:
    """`value` for a CSV cell: text that looks like a formula behind `TEXT_MARK`, None as an empty cell,
    numbers unchanged (a negative number is a number, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_MARK + value
    return value


def write_csv(handle: TextIO, rows: Iterable[Iterable[Any]]) -> None:
    """Write `rows` (a header is a row of names) as CSV, each cell through `as_text_cell`."""
    csv.writer(handle).writerows([as_text_cell(value) for value in row] for row in rows)
