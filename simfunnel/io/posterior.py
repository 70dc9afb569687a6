"""Posterior draws from a file: a table of scenario keys, one row per parameter set.

``simfunnel fit`` writes one (``posterior.csv``: one column per fitted key, one row
per bootstrap draw); ``run``/``compare``/``sweep --posterior FILE`` or a scenario's
``posterior: FILE`` key read it back, so every figure carries the fit's uncertainty.

Limits: a regular ``.csv`` file of at most :data:`MAX_POSTERIOR_BYTES`; every header a
dotted key (checked against the scenario when it is built), every cell a finite
number. A refusal is one line naming the file, row and column; cell contents are
never echoed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.files import check_input_file
from simfunnel.model.names import excerpt, key_text
from simfunnel.model.uncertainty import MAX_POSTERIOR_COLUMNS, MAX_POSTERIOR_ROWS

MAX_POSTERIOR_BYTES = 20 * 2**20  # 20 MiB: 100,000 draws of 15 keys is ~25 MB as text


def read_posterior(path: str | Path, label: str | None = None) -> dict[str, Any]:
    """The draws in ``path`` as the plain data of a scenario's ``posterior`` key.

    ``label`` is where the file was named (``--posterior`` or ``file.yaml:12``).
    """
    path = Path(path)
    shown = f"{label}: " if label else ""
    name = excerpt(str(path), 80)[1:-1]
    check_input_file(path, f"{shown}{name}", MAX_POSTERIOR_BYTES)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=MAX_POSTERIOR_ROWS + 1)
    except pd.errors.EmptyDataError:
        raise InputError(f"{shown}{name}: empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError):
        raise InputError(f"{shown}{name}: not a valid CSV table") from None
    if len(frame) > MAX_POSTERIOR_ROWS:
        raise InputError(f"{shown}{name}: more than {MAX_POSTERIOR_ROWS:,} draws")
    if not len(frame):
        raise InputError(f"{shown}{name}: no draws (a header and no rows)")
    if frame.shape[1] > MAX_POSTERIOR_COLUMNS:
        raise InputError(f"{shown}{name}: more than {MAX_POSTERIOR_COLUMNS} columns")
    for index, column in enumerate(frame.columns):
        if key_text(str(column)) is None or not str(column).strip():
            raise InputError(
                f"{shown}{name}: column {index + 1}: the header must be a scenario key "
                "(e.g. offers.decline_probability)"
            )
    draws = []
    for row, values in enumerate(frame.itertuples(index=False), start=2):
        numbers = []
        for column, text in zip(frame.columns, values, strict=True):
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise InputError(
                    f"{shown}{name}: row {row}, column '{column}': expected a finite number"
                )
            numbers.append(number)
        draws.append(numbers)
    return {"columns": [str(c) for c in frame.columns], "draws": draws, "source": path.name}


__all__ = ["MAX_POSTERIOR_BYTES", "read_posterior"]
