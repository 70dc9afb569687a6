"""Posterior draws from a file: a table of scenario keys, one row per parameter set.

``simfunnel fit`` writes one (``posterior.csv``: one column per fitted key, one row
per bootstrap draw); ``run``/``compare``/``sweep --posterior FILE`` or a scenario's
``posterior: FILE`` key read it back, so every figure carries the fit's uncertainty.

Limits: a ``.csv`` file read by :func:`simfunnel.io.tables.read_table` within
:data:`simfunnel.io.tables.POSTERIOR_FILE` (size, rows, columns, cell length, checked
before the table is built); every header a dotted key (checked against the scenario
when it is built: a model parameter), every cell a finite number. A refusal is one
line naming the file, row and column; cell contents are never echoed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simfunnel.errors import InputError
from simfunnel.io.tables import POSTERIOR_FILE, read_table
from simfunnel.model.names import key_text, plain_number, shown
from simfunnel.model.parameters import key_problem

MAX_POSTERIOR_BYTES = POSTERIOR_FILE.max_bytes


def read_posterior(path: str | Path, label: str | None = None) -> dict[str, Any]:
    """The draws in ``path`` as the plain data of a scenario's ``posterior`` key.

    ``label`` is where the file was named (``--posterior`` or ``file.yaml:12``).
    """
    path = Path(path)
    where = f"{label}: " if label else ""
    name = f"{where}{shown(path, 80)}"

    def select(header: tuple[str, ...]) -> tuple[str, ...]:
        for index, column in enumerate(header):
            if key_text(column) is None:
                raise InputError(
                    f"{name}: column {index + 1}: the header must be a scenario key "
                    "(e.g. offers.decline_probability)"
                )
            problem = key_problem(column)
            if problem:
                raise InputError(f"{name}: column {index + 1} ({shown(column)!r}): {problem}")
        return header

    frame = read_table(path, name, POSTERIOR_FILE, kinds=(".csv",), select=select).frame
    if not len(frame):
        raise InputError(f"{name}: no draws (a header and no rows)")
    draws = []
    for row, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        numbers = []
        for column, text in zip(frame.columns, values, strict=True):
            number = plain_number(text)
            if number is None:
                raise InputError(
                    f"{name}: row {row}, column {shown(column)!r}: expected a finite number"
                )
            numbers.append(number)
        draws.append(numbers)
    return {"columns": list(frame.columns), "draws": draws, "source": path.name}


__all__ = ["MAX_POSTERIOR_BYTES", "read_posterior"]
