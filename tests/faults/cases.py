"""The fault matrix: every fault test registers its case (what goes wrong, the message it asserts, the exit
code, what is left), and docs/faults.md shows the same table (tests/faults/test_matrix_doc.py compares them).

    python -m tests.faults.cases     # prints the table for docs/faults.md
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

#: Modules holding fault cases, in the order of the table.
MODULES = ("tests.faults.test_fault_matrix", "tests.faults.test_operator_faults")
START, END = "<!-- fault-matrix:start -->", "<!-- fault-matrix:end -->"


@dataclass(frozen=True)
class Case:
    """One row of the matrix; ``message`` is a text the test asserts in stderr (or in the log)."""

    fault: str
    message: str
    exit_code: str
    left: str
    test: str


CASES: list[Case] = []


def fault_case(fault: str, message: str, exit_code: int | str, left: str = "nothing"):
    """Register the decorated test as the case ``fault``; the test reads it back as ``<function>.case``."""
    def register(func):
        case = Case(fault, message, str(exit_code), left, f"{func.__module__.rsplit('.', 1)[-1]}::{func.__name__}")
        CASES.append(case)
        func.case = case
        return func
    return register


def table() -> str:
    """The markdown table of every registered case (imports the test modules first)."""
    for module in MODULES:
        importlib.import_module(module)
    rows = ["| fault | message (asserted) | exit | left behind | test |", "|---|---|---|---|---|"]
    unique = {c.test: c for c in CASES}
    rows += [f"| {c.fault} | {f'`{c.message}`' if c.message else '(exit code and product)'} | {c.exit_code} | "
             f"{c.left} | `{c.test}` |" for c in unique.values()]
    return "\n".join(rows)


if __name__ == "__main__":
    from tests.faults import cases   # the registry the test modules fill (this file runs as __main__)

    print(cases.table())
