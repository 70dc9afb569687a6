"""Same seed, same numbers on every machine.

The draws may depend only on the seed and the scenario: not on the CPU, the BLAS
kernel, NumPy's SIMD dispatch level or an eigensolver's choice of basis.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

import simfunnel as sf
from simfunnel.model import linalg
from simfunnel.model.population import Screen

from .conftest import CONFIGS, ROOT

ALL_CONFIGS = sorted(CONFIGS.glob("*.yaml"))


def _rotation_within_repeated_eigenspace(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal eigenbasis of ``matrix`` rotated by 37 degrees inside the
    eigenspace of its repeated eigenvalue: as valid an answer of ``eigh`` as its own."""
    values, vectors = np.linalg.eigh(matrix)
    repeated = np.flatnonzero(np.isclose(np.diff(values), 0.0, atol=1e-9))
    assert repeated.size, "the matrix has no repeated eigenvalue"
    i, j = repeated[0], repeated[0] + 1
    angle = np.deg2rad(37.0)
    rotated = vectors.copy()
    rotated[:, i] = np.cos(angle) * vectors[:, i] + np.sin(angle) * vectors[:, j]
    rotated[:, j] = -np.sin(angle) * vectors[:, i] + np.cos(angle) * vectors[:, j]
    return rotated


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=lambda p: p.stem)
def test_every_factor_is_the_unique_cholesky_factor(config) -> None:
    screen = Screen.from_scenario(sf.load_scenario(config))
    for factor, matrix in (
        (screen.correlation_factor, sf.load_scenario(config).correlation_matrix),
        (
            screen.conditional_factor,
            sf.load_scenario(config).correlation_matrix
            - np.outer(screen.conditional_slope, screen.conditional_slope) * screen.score_sd**2,
        ),
    ):
        assert np.array_equal(factor, np.tril(factor)), "not lower triangular"
        assert (np.diag(factor) > 0).all(), "a unique Cholesky factor has a positive diagonal"
        np.testing.assert_allclose(factor @ factor.T, matrix, atol=1e-14)


def test_the_baseline_conditional_covariance_has_a_repeated_eigenvalue(baseline) -> None:
    # This is what made V sqrt(L) machine-dependent: keep the test below meaningful.
    screen = Screen.from_scenario(baseline)
    covariance = screen.conditional_factor @ screen.conditional_factor.T
    _rotation_within_repeated_eigenspace(covariance)


def test_a_rotated_eigenbasis_gives_the_same_results(
    baseline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LAPACK may return any basis of a repeated eigenvalue's eigenspace; with it
    rotated, the draws and every statistic are unchanged."""
    before = sf.simulate(baseline, 3_000, seed=5, workers=1)
    real_eigh = np.linalg.eigh

    def rotated_eigh(matrix, *args, **kwargs):
        values, _ = real_eigh(matrix, *args, **kwargs)
        try:
            return values, _rotation_within_repeated_eigenspace(np.asarray(matrix))
        except AssertionError:
            return real_eigh(matrix, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "eigh", rotated_eigh)
    after = sf.simulate(baseline, 3_000, seed=5, workers=1)
    assert before.statistics.equals(after.statistics)
    assert before.candidates.equals(after.candidates)


def test_cholesky_of_a_rotated_reconstruction_is_the_same_factor(baseline) -> None:
    screen = Screen.from_scenario(baseline)
    covariance = screen.conditional_factor @ screen.conditional_factor.T
    values, _ = np.linalg.eigh(covariance)
    rotated = _rotation_within_repeated_eigenspace(covariance)
    rebuilt = (rotated * values) @ rotated.T
    np.testing.assert_allclose(linalg.cholesky(rebuilt), linalg.cholesky(covariance), atol=1e-14)


def test_singular_conditional_covariance_gets_zero_columns() -> None:
    # Validity 1 and no other CV weights: quality is a function of the CV score.
    scenario = sf.Scenario().with_overrides(
        {
            "screening.validity": 1.0,
            "screening.alignment_weight": 0.0,
            "screening.niche_weight": 0.0,
        }
    )
    screen = Screen.from_scenario(scenario)
    factor = screen.conditional_factor
    assert (factor[:, 0] == 0).all()
    np.testing.assert_allclose(
        factor @ factor.T,
        scenario.correlation_matrix
        - np.outer(screen.conditional_slope, screen.conditional_slope) * screen.score_sd**2,
        atol=1e-14,
    )
    result = sf.simulate(scenario, 2_000, seed=1, workers=1)
    assert 0 < result.summary().loc["offer_rate_interviewed", "value"] < 1


def test_cholesky_refuses_an_indefinite_matrix() -> None:
    with pytest.raises(ValueError, match="positive semi-definite"):
        linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_solve_and_transform_match_numpy() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4))
    spd = a @ a.T + 4 * np.eye(4)
    right = rng.standard_normal((4, 2))
    np.testing.assert_allclose(linalg.solve_spd(spd, right), np.linalg.solve(spd, right))
    noise = rng.standard_normal((7, 3, 4))
    np.testing.assert_allclose(linalg.transform(noise, a), noise @ a.T, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(linalg.matmul(a, right), a @ right, rtol=1e-13, atol=1e-13)


_FINGERPRINT = """
import hashlib, simfunnel as sf
scenario = sf.load_scenario({config!r})
result = sf.simulate(scenario, 3_000, seed=11, workers=1)
you = sf.you(scenario, quality_percentile=80, interviews=3, openings=300, seed=11)
digest = hashlib.sha256(result.statistics.to_numpy().tobytes())
digest.update(result.candidates.to_csv().encode())
digest.update(repr(you.offer).encode())
print(digest.hexdigest())
"""


def _dispatched_features() -> list[str]:
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]


@pytest.mark.slow
def test_same_bits_whatever_simd_code_numpy_dispatches() -> None:
    """NumPy picks CPU-specific SIMD loops (AVX-512 on this machine, AVX2 or SSE on
    others) for some functions, whose last bits differ. With every optional SIMD
    feature switched off, as on an older CPU, the run must be identical bit for bit.
    (BLAS is not involved: no BLAS or LAPACK call is on the simulation path.)"""
    features = _dispatched_features()
    script = _FINGERPRINT.format(config=str(CONFIGS / "baseline.yaml"))
    digests = []
    for disabled in ("", " ".join(features)):
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(done.stdout.strip())
    assert digests[0] == digests[1], f"differs with {features} disabled"


_KERNEL_FINGERPRINT = """
import hashlib, simfunnel as sf
scenario = sf.load_scenario({config!r})
digest = hashlib.sha256()
for overrides in ({{}}, {{"role.pause_share": 0.5, "manager.hiring_bar": 0.0}}):
    result = sf.simulate(
        scenario.with_overrides(overrides), 3_000, seed=11, workers=1, kernel={kernel!r}
    )
    digest.update(result.statistics.to_numpy().tobytes())
    digest.update(result.candidates.to_csv().encode())
print(digest.hexdigest())
"""


@pytest.mark.slow
def test_same_bits_whatever_cpu_numba_compiles_for(tmp_path) -> None:
    """Numba compiles the kernel for the host CPU (AVX-512 and FMA here). Compiled for a
    generic x86-64 instead, as on another machine, and with a cold cache each time,
    the statistics and candidates must have the same SHA-256, and the same as the
    NumPy reference path's."""
    config = str(CONFIGS / "baseline.yaml")
    runs = {
        "host": ("numba", {}),
        "generic": ("numba", {"NUMBA_CPU_NAME": "generic", "NUMBA_CPU_FEATURES": ""}),
        "numpy": ("numpy", {}),
    }
    digests = {}
    for name, (kernel, numba_env) in runs.items():
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CPU")}
        env.update(numba_env, NUMBA_CACHE_DIR=str(tmp_path / name))
        done = subprocess.run(
            [sys.executable, "-c", _KERNEL_FINGERPRINT.format(config=config, kernel=kernel)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        digests[name] = done.stdout.strip()
    assert digests["host"] == digests["generic"] == digests["numpy"], digests


def test_simulation_path_makes_no_blas_or_lapack_call(
    baseline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matrix products and factorisations go through BLAS/LAPACK, whose kernels
    depend on the CPU: the engine, attribution and `you` must not use them."""

    def refuse(*args, **kwargs):
        raise AssertionError("BLAS/LAPACK call on the simulation path")

    for name in ("eigh", "cholesky", "inv", "solve", "eig", "svd"):
        monkeypatch.setattr(np.linalg, name, refuse)
    monkeypatch.setattr(np, "dot", refuse)
    monkeypatch.setattr(np, "einsum", refuse)
    sf.simulate(baseline, 2_000, seed=2, workers=1)
    sf.you(baseline, quality_percentile=70, interviews=2, openings=100, seed=2)


def test_fingerprint_digest_is_stable_within_a_process(baseline) -> None:
    a = sf.simulate(baseline, 2_000, seed=3, workers=1).statistics.to_numpy().tobytes()
    b = sf.simulate(baseline, 2_000, seed=3, chunk_size=1_000, workers=1).statistics
    assert hashlib.sha256(a).digest() == hashlib.sha256(b.to_numpy().tobytes()).digest()


def test_cholesky_refuses_a_singular_indefinite_matrix_and_an_asymmetric_one() -> None:
    # A zero pivot whose column still has off-diagonal mass: not semi-definite.
    with pytest.raises(ValueError, match="positive semi-definite"):
        linalg.cholesky(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))
    with pytest.raises(ValueError, match="symmetric"):
        linalg.cholesky(np.array([[1.0, 0.5], [0.2, 1.0]]))
