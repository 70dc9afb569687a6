"""The scenario's reference thresholds: what a "good interview" and a "narrow" loss mean.

Both are fixed per scenario, never per run (MODEL.md section 3): they come from the
reference stream (:data:`~simfunnel.model.rng.PILOT`, drawn from
:data:`~simfunnel.model.rng.REFERENCE_SEED`), so every run of a scenario, whatever
its seed or length, uses the same definitions.

The good-interview threshold is computed to a stated precision
(:func:`required_precision`: ``analysis.good_interview_precision``, in share units,
one standard error, made finer for runs long enough to need it), not from a fixed
sample. Given an interviewee's true quality ``q`` (and group, where a scenario has
groups) the mean interview score is normal, ``x_bar | q ~ N(m, noise_variance)`` with
``m = gain q`` plus any group shift (presence's own part and the rounds' noise are
drawn after who is interviewed is settled), so the share of interviewees above ``t``
is estimated by the conditional (Rao-Blackwellised) mean ``mean_i Phi((m_i - t) / sd)``
rather than by counting scores: on the baseline
this cuts the variance 46-fold. Chunks of the reference stream (only the stages up to
the interview) are added until the clustered standard error of that share at the
threshold is at most the precision, or :data:`MAX_REFERENCE_OPENINGS` are reached.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from simfunnel.analysis.options import DEFAULT_CHUNK
from simfunnel.analysis.summary import Thresholds
from simfunnel.model.engine import Model, expected_scores, interview_score_means, run_blocks
from simfunnel.model.interview import measurement
from simfunnel.model.rng import BLOCK_OPENINGS, PILOT, REFERENCE_SEED, Seed
from simfunnel.model.scenario import Scenario

# A cap on the reference sample: ~7 interviewees per opening as float64 is ~56 MB at
# 10^6 openings. Where the precision is not reached by then, the threshold's standard
# error is what the run's metadata reports.
MAX_REFERENCE_OPENINGS = 1_000_000
# Openings added per step while the precision is not reached.
_STEP_OPENINGS = 50_000


# The good-interview share's standard error at n openings is about 0.19 / sqrt(n) on
# the baseline (0.0006 at 10^5, 0.0002 at 10^6, measured); a threshold error of a
# third of it widens that CI by at most 5% (sqrt(1 + 1/9)).
_SHARE_SE_AT_ONE_OPENING = 0.19


def required_precision(scenario: Scenario, openings: int | None = None) -> float:
    """The precision the good-interview threshold is computed to for a run of ``openings``.

    ``analysis.good_interview_precision`` when the scenario sets it (then the threshold
    is a function of the scenario alone). By default, a third of the run's own standard
    error of the good-interview share (about 0.19 / sqrt(n)), rounded down to a step of
    ``0.0001 * 2**(k/2)``: 0.0002 for 100,000 openings, 0.00005 for 10^6, so the
    threshold's error widens no CI by more than 5% whatever the run's length, and short
    runs (a sweep's points) pay for no more reference openings than they need. Steps,
    not the formula itself, keep a scenario's distinct thresholds few: each is the same
    fixed reference stream read further. Without ``openings``: the 100,000-opening step.
    """
    fixed = scenario.analysis.good_interview_precision
    if fixed is not None:
        return fixed
    needed = _SHARE_SE_AT_ONE_OPENING / 3 / math.sqrt(openings or 100_000)
    return _STEP * 2 ** (math.floor(2 * math.log2(needed / _STEP)) / 2)


# The precision steps: 0.0001 times a power of sqrt(2).
_STEP = 1e-4


def reference_thresholds(model: Model, openings: int | None = None) -> Thresholds:
    """The scenario's thresholds for a run of ``openings``, kept in memory once computed.

    Labels, seed, the engine and the candidate table's size do not change them; the
    run's length only through :func:`required_precision`.
    """
    precision = required_precision(model.scenario, openings)
    key = model.scenario.model_dump_json(
        exclude={
            "name": True,
            "description": True,
            "openings": True,
            "seed": True,
            "engine": True,
            "analysis": {"candidate_openings", "attribution", "good_interview_precision"},
        }
    )
    key += f"|{precision!r}"
    if key not in _CACHE:
        if len(_CACHE) >= 64:
            _CACHE.pop(next(iter(_CACHE)))
        # Both engines draw the same funnel (tests/test_equivalence.py); the reference
        # sample is always the exact engine's, so a definition does not depend on the
        # sampler and the brute-force one (far slower per opening) never draws it.
        if model.scenario.engine != "exact":
            model = Model.build(model.scenario.model_copy(update={"engine": "exact"}), model.kernel)
        _CACHE[key] = _compute(model, precision)
    return _CACHE[key]


_CACHE: dict[str, Thresholds] = {}


def _compute(model: Model, precision: float) -> Thresholds:
    analysis = model.scenario.analysis
    seed = Seed(REFERENCE_SEED)
    # The narrow margin: the SD of the manager's score U among interviewees of the
    # first analysis.pilot_openings openings (whole pipeline, in chunks).
    blocks = math.ceil(analysis.pilot_openings / BLOCK_OPENINGS)
    step = max(1, DEFAULT_CHUNK // BLOCK_OPENINGS)
    manager_scores = []
    # The threshold: the same openings first (their expected scores read off the same
    # funnel, in the same chunks), then more until the precision is reached.
    threshold = _GoodInterview(model, analysis.good_interview_top_share)
    for first in range(0, blocks, step):
        funnel = run_blocks(model, seed, PILOT, first, min(step, blocks - first))
        manager_scores.append(funnel.score[funnel.interviewed])
        means = expected_scores(model, funnel.quality, funnel.extras)
        # Solved once, after the last chunk: the solution depends only on all the
        # means together (solving after each chunk gave the same value, in more time).
        threshold.add(
            [means[funnel.interviewed]],
            [funnel.interviewed.sum(axis=1)],
            solve=first + step >= blocks,
        )
    score_sd = float(np.std(np.concatenate(manager_scores)))
    done, per_step = blocks, _STEP_OPENINGS // BLOCK_OPENINGS
    while threshold.se > precision and done * BLOCK_OPENINGS < MAX_REFERENCE_OPENINGS:
        n = per_step
        means, interviewed = interview_score_means(model, seed, PILOT, done, n)
        threshold.add([means[interviewed]], [interviewed.sum(axis=1)])
        done += n
    blocks = done
    return Thresholds(
        good_interview=threshold.value,
        narrow_margin=analysis.narrow_margin * score_sd,
        bad_hire=analysis.bad_hire_threshold,
        good_interview_se=threshold.se,
        reference_openings=blocks * BLOCK_OPENINGS,
    )


class _GoodInterview:
    """The top-share quantile of interview scores among interviewees, by conditioning.

    Holds the interviewees' expected scores ``m_i = E[x_bar | q_i, group]``; ``value``
    solves ``mean_i Phi((m_i - t) / sd) = top_share`` and ``se`` is the standard error
    of that mean at the solution, clustered by opening (interviewees of one opening
    are not independent).
    """

    def __init__(self, model: Model, top_share: float) -> None:
        m = measurement(model.scenario.interview)
        self.sd, self.top_share = math.sqrt(m.noise_variance), top_share
        self.means: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.value, self.se = math.nan, math.inf

    def add(self, means: list[np.ndarray], counts: list[np.ndarray], solve: bool = True) -> None:
        """Add chunks of interviewees' expected scores and their counts per opening, and
        (``solve``) update ``value`` and ``se`` to all the chunks added so far."""
        self.means += means
        self.counts += counts
        if not solve:
            return
        means = np.concatenate(self.means)
        per_opening = np.concatenate(self.counts)
        if self.sd == 0:  # a noiseless interview: the score is its mean itself
            self.value = float(np.quantile(means, 1 - self.top_share))
            share = (means >= self.value).astype(float)
        else:

            def excess(t: float) -> float:
                return float(np.mean(ndtr((means - t) / self.sd))) - self.top_share

            low, high = float(means.min()) - 10 * self.sd, float(means.max()) + 10 * self.sd
            # Ten significant digits: the last bits of a sum could differ between CPUs.
            self.value = float(f"{brentq(excess, low, high, xtol=1e-12, rtol=1e-14):.10g}")
            share = ndtr((means - self.value) / self.sd)
        opening = np.repeat(np.arange(len(per_opening)), per_opening)
        residual = np.bincount(opening, share - self.top_share, minlength=len(per_opening))
        self.se = float(math.sqrt(np.sum(residual**2)) / len(means))
