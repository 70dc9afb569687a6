"""numba's set-up for the kernel: no Intel SVML, and SciPy's own special functions.

Imported before any kernel module compiles anything.
"""

from __future__ import annotations

import os

# Intel's SVML gives vectorised exp/log whose last bits differ from libm's. The
# kernel calls no such function, but a numba that finds SVML would use it in any
# future one: keep it off (read when numba is imported; an explicit setting wins).
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import ctypes
import importlib.util
import sys


def _import_numba() -> None:
    """Import numba, whatever ``coverage`` module a ``sys.path`` entry may shadow.

    numba probes ``import coverage`` when it is first imported and subclasses
    ``coverage.types.Tracer`` if that succeeds; a plain module of that name on the
    path (a script called ``coverage.py``, as in this repository's ``scripts/``)
    would break the import. Only the real package (a package, not a lone file) is
    let through.
    """
    if "coverage" not in sys.modules:
        spec = importlib.util.find_spec("coverage")
        if spec is not None and spec.submodule_search_locations is None:
            sys.modules["coverage"] = None  # type: ignore[assignment]  # import -> ImportError
            try:
                import numba
            finally:
                del sys.modules["coverage"]
    import numba  # noqa: F401


_import_numba()

from numba import njit  # noqa: E402, F401  (re-exported for the kernel modules)
from numba.extending import get_cython_function_address  # noqa: E402

KERNELS = ("numba", "numpy")
"""Values of the ``kernel`` run option: the compiled kernel or the NumPy reference."""


def _scipy_special(name: str) -> ctypes._CFuncPtr:
    """SciPy's own double-precision ``name`` (the C code behind ``scipy.special.<name>``).

    Passed to the kernel as an argument: the same code, so the same bits, as the
    NumPy path's SciPy ufuncs, and a function pointer argument keeps ``cache=True``
    working (a pointer baked into the code would not survive a new process).
    """
    address = get_cython_function_address("scipy.special.cython_special", name)
    return ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(address)


NDTRI = _scipy_special("ndtri")
NDTR = _scipy_special("__pyx_fuse_1ndtr")  # fused type 1: double (0 is complex)
EXPM1 = _scipy_special("__pyx_fuse_1expm1")
