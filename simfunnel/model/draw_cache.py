"""Random draws kept in memory between runs that read the same blocks (the live explorer).

A block's draws depend only on the seed, the stream, the block and the draw layout
(:func:`simfunnel.model.engine.draw_layout`), never on parameter values: when a slider
moves, the new scenario reads the very numbers the last one read. Inside
``with cache:`` (a :class:`DrawCache`) :func:`~simfunnel.model.engine.draw_blocks`
returns the draws it made before for the same key instead of drawing them again, so a
run is the same bit for bit, only faster. The arrays are read-only: a stage that wrote
into its draws would raise instead of changing the next run's numbers.

Off by default: a long run reads every block once, and keeping them would only cost
memory. The cache holds at most ``max_openings`` openings' draws (oldest dropped first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from types import TracebackType

import numpy as np

_ACTIVE: list[DrawCache] = []  # the caches entered, innermost last


class DrawCache:
    """Draws by ``(layout, seed, stream, first block, blocks)``, up to ``max_openings``."""

    def __init__(self, max_openings: int = 60_000) -> None:
        self.max_openings = max_openings
        self._draws: OrderedDict[Hashable, tuple[int, dict[str, np.ndarray]]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> dict[str, np.ndarray] | None:
        found = self._draws.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._draws.move_to_end(key)
        return dict(found[1])

    def put(self, key: Hashable, openings: int, draws: dict[str, np.ndarray]) -> None:
        if openings > self.max_openings:
            return
        for array in draws.values():
            array.flags.writeable = False
        self._draws[key] = (openings, dict(draws))
        while sum(n for n, _ in self._draws.values()) > self.max_openings:
            self._draws.popitem(last=False)

    def __enter__(self) -> DrawCache:
        _ACTIVE.append(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _ACTIVE.remove(self)


def active() -> DrawCache | None:
    """The cache entered last, or None (draw everything)."""
    return _ACTIVE[-1] if _ACTIVE else None
