"""The compiled per-opening kernel (Numba): the stages after the draws.

- :mod:`.population`: the exact top-*k* transform and the traits;
- :mod:`.decision`: the offer loop, the 64-coalition attribution replays (with the
  skip of replays that cannot matter) and the Shapley values;
- :mod:`.summary`: the per-opening counts behind the metric columns and the block
  sums of the summaries;
- :mod:`.compiler`: numba's set-up (no SVML) and SciPy's special functions.

NumPy's cost in the decision is not arithmetic but passes: every offer round of
:func:`simfunnel.model.decision.make_offers` is a handful of whole-array passes over
``(openings, slots)`` arrays of a dozen slots, and attribution replays it for 32
coalitions. Here one compiled loop walks each opening once. The draws stay in
NumPy, in their layout, so seeds and common random numbers are unchanged, and the
NumPy functions stay the reference (``kernel="numpy"``).

Same bits on every CPU (MODEL.md section 5):

- Only IEEE-754 ``+ - * /`` and comparisons, each correctly rounded, and SciPy's
  own C ``ndtri``, ``ndtr`` and ``expm1`` (called through
  ``scipy.special.cython_special``, the very code the NumPy path's SciPy ufuncs
  run): no libm, no NumPy SIMD loop, no Intel SVML, and no ``fastmath`` (which
  would let LLVM fuse ``a * b + c`` into an FMA on CPUs that have one, or
  reorder sums).
- No ``parallel=True``: sums run in a fixed order, one opening at a time.
- Every sum is the NumPy path's sum in the NumPy path's order (the scores are
  ``((E + niche) + culture) - risk``, the Shapley values are summed coalition by
  coalition), so the two paths agree bit for bit, not just to rounding.

Compiled once per machine: ``cache=True`` writes the machine code next to these
files (or under ``NUMBA_CACHE_DIR``). Every argument is converted to one dtype and
C layout before the call, so each function has one specialisation.
"""

from simfunnel.model.kernel.compiler import EXPM1, KERNELS, NDTR, NDTRI
from simfunnel.model.kernel.decision import (
    make_offers,
    offers_kernel,
    replays_kernel,
    shapley_kernel,
)
from simfunnel.model.kernel.population import exact_top_k_kernel, traits_kernel
from simfunnel.model.kernel.summary import (
    OPENING_COUNTS,
    block_moments_kernel,
    opening_columns_kernel,
)

__all__ = [
    "EXPM1",
    "KERNELS",
    "NDTR",
    "NDTRI",
    "OPENING_COUNTS",
    "block_moments_kernel",
    "exact_top_k_kernel",
    "make_offers",
    "offers_kernel",
    "opening_columns_kernel",
    "replays_kernel",
    "shapley_kernel",
    "traits_kernel",
]
