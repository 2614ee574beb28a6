"""docs/faults.md shows the fault matrix the tests register (tests.faults.cases): a case added, removed or
changed in a test without the table (or the reverse) fails here."""
from __future__ import annotations

from tests.faults.cases import END, START, table
from tests.faults.helpers import REPO


def test_docs_table_is_the_tests_matrix():
    text = (REPO / "docs" / "faults.md").read_text(encoding="utf-8")
    assert START in text and END in text, f"docs/faults.md lacks the markers {START} ... {END}"
    documented = text.split(START, 1)[1].split(END, 1)[0].strip()
    expected = table()
    assert documented == expected, ("docs/faults.md differs from the registered fault cases; regenerate the "
                                    "table with: .venv/bin/python -m tests.faults.cases\n" + expected)
