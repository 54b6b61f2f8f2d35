import datetime

import pytest

from common.admin_tools import csv_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0.25, 0.25),
        (-3, -3),
        (datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "2026-01-02T03:04:05+00:00"),
        (["a", "b"], '["a", "b"]'),
        ("plain text", "plain text"),
        # Spreadsheet formulas from user-supplied text (bot names, transcripts) are defused.
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell
