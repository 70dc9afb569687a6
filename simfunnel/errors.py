"""Errors that users cause, as opposed to bugs.

Anything raised as :class:`InputError` is reported by the CLI as one line on
stderr with exit code 2 and no traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: an unreadable or invalid config, a bad override or flag.

    Not a ``ValueError`` on purpose: pydantic re-wraps ``ValueError`` raised in
    validators, and we want the dotted ``path`` to travel unchanged.
    """

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


class NothingToChartError(ValueError):
    """A valid result that a chart cannot show (no interviewees, no runner-up, ...):
    :func:`simfunnel.present.charts.render_all` skips that chart and says why."""
