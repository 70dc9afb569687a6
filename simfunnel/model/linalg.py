"""Small linear algebra that gives the same bits on every machine.

The simulator factorises a few 5 x 5 covariance matrices and multiplies arrays
of normal draws by them. LAPACK and BLAS choose their kernels by CPU (and by
``OPENBLAS_CORETYPE``), and an eigendecomposition of a matrix with a repeated
eigenvalue may return any basis of that eigenspace: ``V sqrt(L)`` then differs
from machine to machine by a rotation, and so do the draws. Everything here is
unique by construction and computed with IEEE-754 operations in a fixed order
(Python floats, or NumPy element-wise ufuncs, which are correctly rounded and
never fused), so the result is the same on every CPU, whatever BLAS is installed.
"""

from __future__ import annotations

import math

import numpy as np

PIVOT_TOLERANCE = 1e-12
"""A Cholesky pivot below this times the matrix's largest diagonal counts as zero."""


def cholesky(matrix: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor ``L`` of a symmetric positive semi-definite matrix.

    For a positive definite matrix this is the unique lower-triangular ``L`` with a
    positive diagonal and ``L L' = matrix``. Where the matrix is singular (e.g. a
    trait that is an exact function of the CV score), a pivot that is zero up to
    :data:`PIVOT_TOLERANCE` gets a zero column, which still gives ``L L' = matrix``
    for a semi-definite matrix; the result is a fixed function of the matrix, with
    no free basis (unlike an eigendecomposition).

    Parameters
    ----------
    matrix : ndarray, shape (d, d)

    Returns
    -------
    ndarray, shape (d, d), lower triangular.

    Raises
    ------
    ValueError
        If the matrix is not symmetric positive semi-definite.
    """
    a = [[float(v) for v in row] for row in np.asarray(matrix)]
    d = len(a)
    if any(abs(a[i][j] - a[j][i]) > 1e-12 * (1 + abs(a[i][j])) for i in range(d) for j in range(i)):
        raise ValueError("matrix is not symmetric")
    scale = max((a[i][i] for i in range(d)), default=0.0)
    tolerance = PIVOT_TOLERANCE * max(scale, 0.0)
    factor = [[0.0] * d for _ in range(d)]
    for j in range(d):
        pivot = a[j][j]
        for k in range(j):
            pivot -= factor[j][k] * factor[j][k]
        if pivot < -1e3 * tolerance - 1e-300:
            raise ValueError("matrix is not positive semi-definite")
        if pivot <= tolerance:
            # A zero column: this coordinate is determined by the earlier ones. For a
            # semi-definite matrix its off-diagonal residuals vanish too; else it is not one.
            for i in range(j + 1, d):
                residual = a[i][j] - sum(factor[i][k] * factor[j][k] for k in range(j))
                if abs(residual) > 1e3 * tolerance + 1e-12:
                    raise ValueError("matrix is not positive semi-definite")
            continue
        root = math.sqrt(pivot)
        factor[j][j] = root
        for i in range(j + 1, d):
            value = a[i][j]
            for k in range(j):
                value -= factor[i][k] * factor[j][k]
            factor[i][j] = value / root
    return np.array(factor, dtype=float).reshape(d, d)


def solve_spd(matrix: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``matrix^-1 right`` for a symmetric positive definite ``matrix`` (by Cholesky).

    Parameters
    ----------
    matrix : ndarray, shape (d, d)
    right : ndarray, shape (d, m)
    """
    lower = cholesky(matrix).tolist()
    d = len(lower)
    if any(lower[i][i] == 0.0 for i in range(d)):
        raise ValueError("matrix is singular")
    columns = np.asarray(right, dtype=float).reshape(d, -1).T.tolist()
    solved = []
    for b in columns:
        y = [0.0] * d
        for i in range(d):  # L y = b
            value = b[i]
            for k in range(i):
                value -= lower[i][k] * y[k]
            y[i] = value / lower[i][i]
        x = [0.0] * d
        for i in reversed(range(d)):  # L' x = y
            value = y[i]
            for k in range(i + 1, d):
                value -= lower[k][i] * x[k]
            x[i] = value / lower[i][i]
        solved.append(x)
    return np.array(solved, dtype=float).reshape(-1, d).T


def matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` for small matrices, summed in index order with Python floats."""
    a, b = np.asarray(left, dtype=float).tolist(), np.asarray(right, dtype=float).tolist()
    out = [[0.0] * len(b[0]) for _ in a]
    for i, row in enumerate(a):
        for j in range(len(b[0])):
            value = 0.0
            for k, entry in enumerate(row):
                value += entry * b[k][j]
            out[i][j] = value
    return np.array(out, dtype=float).reshape(len(a), len(b[0]) if b else 0)


def transform(noise: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``noise @ factor.T`` over the last axis, element-wise in a fixed order.

    ``out[..., i] = sum_j factor[i, j] * noise[..., j]``, accumulated over ``j`` in
    index order with NumPy's element-wise multiply and add (correctly rounded, never
    fused): the same bits on any CPU, for any array shape or chunking, unlike a
    BLAS product whose kernel and summation order depend on the CPU. Exact zeros
    of ``factor`` (the upper triangle of a Cholesky factor) are skipped, which
    changes no bit of the result.

    Parameters
    ----------
    noise : ndarray, shape (..., d)
    factor : ndarray, shape (e, d)

    Returns
    -------
    ndarray, shape (..., e)
    """
    # Work on (d, ...) copies so that every pass is over contiguous memory.
    source = np.moveaxis(noise, -1, 0).copy()
    out = np.zeros((factor.shape[0], *noise.shape[:-1]))
    term = np.empty(noise.shape[:-1])
    for i in range(factor.shape[0]):
        for j in range(factor.shape[1]):
            if factor[i, j] != 0.0:
                np.multiply(source[j], factor[i, j], out=term)
                out[i] += term
    return np.moveaxis(out, 0, -1)
