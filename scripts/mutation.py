"""A small, reproducible mutation-testing pass over simfunnel's model core.

Two kinds of mutant, both applied to a *copy* of the package (never to the
source tree this script reads):

- **curated**: :data:`CURATED`, plausible modelling mistakes written by hand
  (the wrong score for a metric, a decline parameter dropped, a sign flipped in
  the risk term, an off-by-one quarter, ...). Each is a literal text
  replacement; one that no longer matches the source is reported as *stale*
  and left out of the rate.
- **ast**: operator swaps (``+ -``, ``* /``, ``& |``), comparison flips
  (``< <= > >=``, ``== !=``), constant tweaks (``0 <-> 1``, ``0.5``, ``n+1``),
  a term removed from a sum, a unary operator dropped, a keyword argument
  dropped, and swaps between same-shape arrays (``interview_score``,
  ``felt_score``, ``quality``, ``score``, ...). All such mutants of a module
  are enumerated in a fixed order and ``--ast-per-module`` of them are sampled
  with ``random.Random(--seed)``: the same source and seed give the same
  mutants.

Each mutant is written into a scratch copy of the project (package, tests,
pyproject.toml; ``check_import`` verifies that the copy, not the
editable install, is what Python imports) and tested in two stages:

1. the existing fast tests (``TESTS``): the "before" status;
2. only if it survived them, the new model checks (``NEW_TESTS``): the "after"
   status is killed by either.

Killed means a test failed or errored; timeout (counted as killed, listed apart)
means it exceeded a CPU-time limit (RLIMIT_CPU, 3x the unmutated run's CPU
time, at least ``--cpu-limit``): CPU, not wall time, so a machine shared with
other work cannot turn a slow survivor into a timeout. Survivors judged
equivalent carry their reason in :data:`CURATED` or :data:`EQUIVALENT_AST`; the
kill rate is reported over all applicable mutants and over the non-equivalent
ones, before and after, per module.

Usage (from the repository root)::

    .venv/bin/python scripts/mutation.py --jobs 2 --json mutation.json     # the full pass
    .venv/bin/python scripts/mutation.py --source /tmp/mut    # mutate a copy of another checkout
    .venv/bin/python scripts/mutation.py --list               # list the mutants only
    .venv/bin/python scripts/mutation.py --report mutation.json          # re-print a report
    .venv/bin/python scripts/mutation.py --survivors-of mutation.json --new-only  # new tests only
    .venv/bin/python scripts/mutation.py --only curated:decision:risk-sd-to-variance

Golden tests, notebooks, charts and the hostile CLI/config tests are set aside
(``TESTS``); slow tests are deselected (``-m "not slow"``); ``--hypothesis-seed=0``
pins the property test, and ``.hypothesis`` is cleared before every run, so a
pass is deterministic apart from timing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parents[1]
MODULES = (
    "engine",
    "population",
    "interview",
    "decision",
    "attribution",
    "calendar",
    "you",
    "summary",
    "seasons",  # calendar maths moved here from calendar.py (last: earlier samples unchanged)
)
# AST mutants of summary.py are drawn from the metric definitions only.
AST_FUNCTIONS = {"summary": {"metric_columns", "loss_columns", "opening_outcome"}}
# Fast tests, most discriminating first (with -x a killed mutant stops early).
NEW_TESTS = ("tests/test_model_checks.py",)
TESTS = (
    "tests/test_decision.py",
    "tests/test_attribution.py",
    "tests/test_engine.py",
    "tests/test_you.py",
    "tests/test_equivalence.py",
    "tests/test_reproducibility.py",
    "tests/test_scenario.py",
    "tests/test_explore.py",
    "tests/test_cli.py",
)
COPY = ("simfunnel", "tests", "scripts", "pyproject.toml")


@dataclass(frozen=True)
class Mutant:
    id: str
    module: str
    kind: str  # curated | ast
    description: str
    old: str
    new: str
    equivalent: str | None = None  # why it cannot change behaviour, if so judged
    # ast mutants: exact span (1-based line, 0-based col) of ``old`` in the source
    span: tuple[int, int, int, int] | None = None


def M(module: str, name: str, old: str, new: str, equivalent: str | None = None) -> Mutant:  # noqa: N802
    return Mutant(f"curated:{module}:{name}", module, "curated", name, old, new, equivalent)


# ----------------------------------------------------------------- curated mutants
CURATED: tuple[Mutant, ...] = (
    # decision.py: the manager's score, the value of a hire, offers
    M(
        "decision",
        "risk-sd-to-variance",
        "weights.risk_aversion * np.sqrt(perceived_variance)",
        "weights.risk_aversion * perceived_variance",
    ),
    M(
        "decision",
        "risk-drops-narrative",
        ") * (1.0 - weights.narrative_weight * signals.narrative)",
        ")",
    ),
    M(
        "decision",
        "risk-narrative-sign",
        "(1.0 - weights.narrative_weight * signals.narrative)",
        "(1.0 + weights.narrative_weight * signals.narrative)",
    ),
    M(
        "decision",
        "risk-transfer-not-squared",
        "weights.transfer_risk**2 * (",
        "weights.transfer_risk * (",
    ),
    M(
        "decision",
        "risk-alignment-not-complemented",
        "weights.transfer_risk**2 * (\n        1.0 - signals.alignment\n    )",
        "weights.transfer_risk**2 * (\n        signals.alignment\n    )",
    ),
    M(
        "decision",
        "risk-drops-posterior-variance",
        "perceived_variance = signals.posterior_variance + ",
        "perceived_variance = 0.0 + ",
    ),
    M(
        "decision",
        "total-risk-sign",
        "self.expected_value + self.niche + self.culture - self.risk",
        "self.expected_value + self.niche + self.culture + self.risk",
    ),
    M(
        "decision",
        "total-drops-culture",
        "self.expected_value + self.niche + self.culture - self.risk",
        "self.expected_value + self.niche - self.risk",
    ),
    M(
        "decision",
        "culture-not-centred",
        "weights.affinity_weight * (signals.culture - 0.5)",
        "weights.affinity_weight * signals.culture",
    ),
    M(
        "decision",
        "onboarding-on-alignment",
        "weights.onboarding_cost * (1.0 - signals.alignment)",
        "weights.onboarding_cost * signals.alignment",
    ),
    M("decision", "value-drops-niche", "+ manager.niche_value * niche\n", "\n"),
    M(
        "decision",
        "value-transfer-sd-not-sqrt",
        "manager.transfer_risk * np.sqrt(misalignment) * transfer_noise",
        "manager.transfer_risk * misalignment * transfer_noise",
    ),
    M(
        "decision",
        "value-onboarding-sign",
        "- manager.onboarding_cost * misalignment",
        "+ manager.onboarding_cost * misalignment",
    ),
    M(
        "decision",
        "offers-ignore-declines",
        "accepted += (chosen & will_accept).sum(axis=0)",
        "accepted += chosen.sum(axis=0)",
    ),
    M(
        "decision",
        "hired-ignores-declines",
        "return offer.T, offer.T & ~declines",
        "return offer.T, offer.T",
    ),
    M("decision", "positions-off-by-one", "(accepted < positions)", "(accepted <= positions)"),
    M(
        "decision",
        "bar-inclusive",
        "open_score[open_score < hiring_bar]",
        "open_score[open_score <= hiring_bar]",
        equivalent="U is continuous: P(U == hiring_bar) = 0",
    ),
    M(
        "decision",
        "without-niche-keeps-narrative",
        "changes.update(niche_value=0.0, narrative_weight=0.0)",
        "changes.update(niche_value=0.0)",
    ),
    M(
        "decision",
        "weights-narrative-niche-swapped",
        "manager.narrative_weight,\n            manager.niche_value,",
        "manager.niche_value,\n            manager.narrative_weight,",
    ),
    # interview.py: interview noise, the posterior, the felt score
    M(
        "interview",
        "precision-drops-rounds",
        "return interview.rounds * rho**2 / (1.0 - rho**2)",
        "return rho**2 / (1.0 - rho**2)",
    ),
    M(
        "interview",
        "precision-rho-not-squared",
        "return interview.rounds * rho**2 / (1.0 - rho**2)",
        "return interview.rounds * rho / (1.0 - rho**2)",
    ),
    M(
        "interview",
        "score-noise-variance-not-sd",
        "quality + noise / np.sqrt(precision)",
        "quality + noise / precision",
    ),
    M(
        "interview",
        "internal-prior-sd-not-squared",
        "np.where(internal_slot, 1.0 / internal.quality_sd**2, 1.0)",
        "np.where(internal_slot, 1.0 / internal.quality_sd, 1.0)",
    ),
    M(
        "interview",
        "internal-prior-mean-unweighted",
        "internal_slot, internal.quality_mean / internal.quality_sd**2, 0.0",
        "internal_slot, internal.quality_mean, 0.0",
    ),
    M(
        "interview",
        "posterior-drops-known-precision",
        "precision = prior_precision + precision_x + known",
        "precision = prior_precision + precision_x",
    ),
    M(
        "interview",
        "posterior-variance-is-sd",
        "np.broadcast_to(1.0 / precision, score.shape)",
        "np.broadcast_to(1.0 / np.sqrt(precision), score.shape)",
    ),
    M(
        "interview",
        "posterior-variance-from-interviews-only",
        "np.broadcast_to(1.0 / precision, score.shape)",
        "np.broadcast_to(1.0 / (precision - prior_precision), score.shape)",
    ),
    M(
        "interview",
        "felt-drops-bias",
        "return score + assessment.bias + assessment.noise * noise",
        "return score + assessment.noise * noise",
    ),
    M(
        "interview",
        "known-observation-threshold",
        "if internal.known_precision > 0:",
        "if internal.known_precision > 1:",
    ),
    # engine.py: wiring of the stages
    M(
        "engine",
        "known-observation-noise-times-sd",
        'draws["internal"][:, 1] / np.sqrt(\n            internal.known_precision\n        )',
        'draws["internal"][:, 1] * np.sqrt(\n            internal.known_precision\n        )',
    ),
    M(
        "engine",
        "internal-decline-dropped",
        "internal_slot, offers.internal_decline_probability, offers.decline_probability",
        "internal_slot, offers.decline_probability, offers.decline_probability",
    ),
    M(
        "engine",
        "decline-probabilities-swapped",
        "internal_slot, offers.internal_decline_probability, offers.decline_probability",
        "internal_slot, offers.decline_probability, offers.internal_decline_probability",
    ),
    M(
        "engine",
        "internal-has-no-niche",
        'with_internal(external["niche"], True)',
        'with_internal(external["niche"], False)',
    ),
    M(
        "engine",
        "internal-narrative-is-culture",
        'with_internal(external["narrative"], internal.narrative)',
        'with_internal(external["narrative"], internal.culture)',
    ),
    M(
        "engine",
        "interviewed-ignores-cancellation",
        "interviewed = in_shortlist & (stage != cal.CANCELLED_BEFORE_INTERVIEWS)[:, None]",
        "interviewed = in_shortlist",
    ),
    M(
        "engine",
        "internal-presence-inverted",
        "[:, U_INTERNAL] < internal.probability",
        "[:, U_INTERNAL] > internal.probability",
    ),
    M("engine", "felt-from-quality", "felt_score(x_bar,", "felt_score(slate.quality,"),
    M(
        "engine",
        "value-from-posterior-mean",
        "realised_value(\n            slate.quality,",
        "realised_value(\n            decision.signals.posterior_mean,",
    ),
    M(
        "engine",
        "positions-side-left",
        'uniforms[:, U_POSITIONS], side="right"',
        'uniforms[:, U_POSITIONS], side="left"',
        equivalent="a uniform equals a CDF step with probability 0 (floats: ~2^-53)",
    ),
    M(
        "engine",
        "focal-beats-wrong-rank",
        "focal.screen_score > screened[rows, focal_slot]",
        "focal.screen_score > screened[rows, focal_slot - 1]",
    ),
    M("engine", "focal-small-pool-inclusive", "(others < shortlist)", "(others <= shortlist)"),
    M(
        "engine",
        "margin-winner-is-best-offered",
        "winner = np.where(offered, self.score, np.inf).argmin(axis=1)",
        "winner = np.where(offered, self.score, -np.inf).argmax(axis=1)",
    ),
    # population.py: screening and the exact sampler
    M(
        "population",
        "noise-sd-validity-not-squared",
        "np.sqrt(1.0 - screening.validity**2)",
        "np.sqrt(1.0 - screening.validity)",
    ),
    M(
        "population",
        "conditional-cov-uses-weights",
        "np.outer(covariance_zs, covariance_zs) / score_variance",
        "np.outer(weights, weights) / score_variance",
    ),
    M(
        "population",
        "slope-over-sd",
        "conditional_slope=covariance_zs / score_variance",
        "conditional_slope=covariance_zs / np.sqrt(score_variance)",
    ),
    M(
        "population",
        "slope-uses-weights",
        "conditional_slope=covariance_zs / score_variance",
        "conditional_slope=weights / score_variance",
    ),
    M(
        "population",
        "niche-cut-wrong-tail",
        "ndtri(1.0 - scenario.applicants.niche_share)",
        "ndtri(scenario.applicants.niche_share)",
    ),
    M(
        "population",
        "spacing-off-by-one",
        "pool_size[:, None] - np.arange(top)",
        "pool_size[:, None] - np.arange(1, top + 1)",
    ),
    M("population", "exact-score-unscaled", "-screen.score_sd * ndtri(", "-ndtri("),
    M(
        "population",
        "brute-noise-unscaled",
        "score = screen.noise_sd * pool_noise[..., N_LATENT]",
        "score = pool_noise[..., N_LATENT]",
    ),
    M(
        "population",
        "narrative-from-culture",
        '"narrative": ndtr(latent[..., NARRATIVE])',
        '"narrative": ndtr(latent[..., CULTURE])',
    ),
    M(
        "population",
        "alignment-not-mapped",
        '"alignment": ndtr(latent[..., ALIGNMENT])',
        '"alignment": latent[..., ALIGNMENT].clip(0, 1)',
    ),
    # calendar.py
    M(
        "seasons",
        "quarter-off-by-one",
        "(np.asarray(week) % WEEKS_PER_YEAR) // 13",
        "((np.asarray(week) + 1) % WEEKS_PER_YEAR) // 13",
    ),
    M(
        "seasons",
        "quarter-no-wrap",
        "(np.asarray(week) % WEEKS_PER_YEAR) // 13",
        "np.minimum(np.asarray(week) // 13, 3)",
    ),
    M(
        "seasons",
        "multipliers-not-normalised",
        "multipliers = multipliers / multipliers.mean()",
        "multipliers = multipliers",
        equivalent="h0 is solved for the target after scaling: h0 * g is unchanged",
    ),
    M(
        "calendar",
        "interviews-end-floor",
        "np.ceil(self.interview_at * process_weeks - 1e-12)",
        "np.floor(self.interview_at * process_weeks + 1e-12)",
    ),
    M(
        "calendar",
        "cancel-offset-off-by-one",
        "offset = first - 1 - posting_week",
        "offset = first - posting_week",
    ),
    M(
        "calendar",
        "cancel-window-one-week-long",
        "cancelled = offset <= process_weeks - 1",
        "cancelled = offset <= process_weeks",
    ),
    M(
        "calendar",
        "cancel-before-inclusive",
        "before = offset < self.interviews_end(process_weeks)",
        "before = offset <= self.interviews_end(process_weeks)",
    ),
    M(
        "calendar",
        "cancel-share-ignores-length-weight",
        "weight = week_probability[:, None] / len(lengths)",
        "weight = week_probability[:, None]",
    ),
    M(
        "seasons",
        "month-weights-not-per-week",
        "weights[month] / np.bincount(month, minlength=12)[month]",
        "weights[month] / 1.0",
    ),
    M(
        "calendar",
        "process-never-longest",
        "low + (uniform * (high - low + 1)).astype(np.int64)",
        "low + (uniform * (high - low)).astype(np.int64)",
    ),
    # attribution.py
    M(
        "decision",
        "niche-removal-keeps-narrative-risk",
        "(self.plain_risk if niche_removed else terms.risk)",
        "terms.risk",
    ),
    M(
        "attribution",
        "stages-not-cumulative",
        "loser_offer[list(accumulate(Mechanism, operator.or_))]",
        "loser_offer[list(Mechanism)]",
    ),
    M(
        "decision",
        "mechanism-order-swapped",
        "    SAFER_CANDIDATE = 4\n    CULTURE_MIRROR = 8\n",
        "    CULTURE_MIRROR = 4\n    SAFER_CANDIDATE = 8\n",
    ),
    M(
        "attribution",
        "gap-to-best-offered",
        "np.where(final_offer, final_score, np.inf).min(axis=1)",
        "np.where(final_offer, final_score, -np.inf).max(axis=1)",
    ),
    M(
        "attribution",
        "gap-inclusive",
        "gap < narrow_margin",
        "gap <= narrow_margin",
        equivalent="U is continuous: a gap exactly equal to the margin has probability 0",
    ),
    M(
        "attribution",
        "cancellation-not-voiding-loser",
        "loser_offer[removed] = at_loser & ~cancelled",
        "loser_offer[removed] = at_loser",
    ),
    M(
        "attribution",
        "shapley-weight-off-by-one",
        "factorial(s) * factorial(n - s - 1)",
        "factorial(s) * factorial(n - s)",
    ),
    M(
        "decision",
        "offers-cancel-bit-inverted",
        "if Mechanism.ROLE_CANCELLED not in removed:",
        "if Mechanism.ROLE_CANCELLED in removed:",
    ),
    M(
        "attribution",
        "good-loser-ignores-interviewed",
        "good & decision.interviewed & ~offer",
        "good & ~offer",
    ),
    M(
        "attribution",
        "shapley-reason-ties",
        "attribution.shapley.max(axis=-1) > 0",
        "attribution.shapley.max(axis=-1) >= 0",
    ),
    M(
        "attribution",
        "alone-from-cumulative",
        "alone = loser_offer[list(Mechanism)].T",
        "alone = loser_offer[list(accumulate(Mechanism, operator.or_))].T",
    ),
    # summary.py: which score each metric uses
    M(
        "summary",
        "good-from-felt",
        "good = interviewed & (funnel.interview_score >=",
        "good = interviewed & (funnel.felt_score >=",
    ),
    M(
        "summary",
        "felt-from-interview",
        "felt = interviewed & (funnel.felt_score >=",
        "felt = interviewed & (funnel.interview_score >=",
    ),
    M(
        "summary",
        "best-by-interview",
        "np.where(interviewed, funnel.quality, -np.inf).argmax",
        "np.where(interviewed, funnel.interview_score, -np.inf).argmax",
    ),
    M(
        "summary",
        "top-interview-by-u",
        "np.where(interviewed, funnel.interview_score, -np.inf).argmax",
        "np.where(interviewed, funnel.score, -np.inf).argmax",
    ),
    M(
        "summary",
        "bad-hire-by-quality",
        "bad = hired & (funnel.value <",
        "bad = hired & (funnel.quality <",
    ),
    M(
        "summary",
        "hire-value-is-quality",
        "np.where(hired, funnel.value, 0.0)",
        "np.where(hired, funnel.quality, 0.0)",
    ),
    M(
        "summary",
        "internal-win-all-hiring-openings",
        "(hired[:, -1], funnel.internal_present & any_hire)",
        "(hired[:, -1], any_hire)",
    ),
    M(
        "summary",
        "top-interview-over-all-openings",
        "(_at(offer, top_interview) & reached, reached)",
        "(_at(offer, top_interview), one)",
    ),
    M(
        "summary",
        "shortlisted-without-internal",
        "(funnel.shortlist + funnel.internal_present, one)",
        "(funnel.shortlist, one)",
    ),
    M(
        "summary",
        "loser-vs-winner-by-quality",
        "winner = np.where(funnel.hired, funnel.score, -np.inf)",
        "winner = np.where(funnel.hired, funnel.quality, -np.inf)",
    ),
    M(
        "summary",
        "outcome-internal-overwritten",
        '    outcome[hires > 0] = OUTCOMES.index("hired_external")\n'
        '    outcome[internal_hired] = OUTCOMES.index("hired_internal")\n',
        '    outcome[internal_hired] = OUTCOMES.index("hired_internal")\n'
        '    outcome[hires > 0] = OUTCOMES.index("hired_external")\n',
    ),
    M(
        "summary",
        "margin-inclusive",
        "np.nan_to_num(score_margin, nan=np.inf) <",
        "np.nan_to_num(score_margin, nan=np.inf) <=",
        equivalent="U is continuous: a margin exactly at the threshold has probability 0",
    ),
    # you.py
    M(
        "you",
        "felt-great-by-interview-score",
        "keep &= funnel.felt_score[index, slot] >= thresholds.good_interview",
        "keep &= funnel.interview_score[index, slot] >= thresholds.good_interview",
    ),
    M(
        "you",
        "cancel-after-since-posting",
        "(hazard[weeks + length] - hazard[start])",
        "(hazard[weeks + length] - hazard[weeks])",
    ),
    M(
        "you",
        "freeze-share-inverted",
        "< freeze_correlation, shared, own)",
        "> freeze_correlation, shared, own)",
    ),
    M(
        "you",
        "search-cancels-twice",
        'offer = outcomes["offer_uncancelled"][pick] & ~cancelled',
        'offer = outcomes["offer"][pick] & ~cancelled',
    ),
    M(
        "you",
        "runner-up-may-have-offer",
        '"runner_up": runner_up & passed_over[index, slot]',
        '"runner_up": runner_up',
        equivalent="differs only for a focal holding an uncancelled offer; then `visible` is "
        "already true, or the cancellation also voids the recontact",
    ),
    M(
        "you",
        "later-offer-never-cancelled",
        'later_offer = outcomes["offer_uncancelled"][later] & ~(',
        'later_offer = outcomes["offer_uncancelled"][later] | ~~(',
    ),
    M(
        "you",
        "niche-mean-dropped",
        "latent[:, NICHE] = mean[:, 0] + sd * normals[:, NICHE]",
        "latent[:, NICHE] = sd * normals[:, NICHE]",
    ),
    M(
        "you",
        "niche-truncation-swapped",
        "(cut, 1.0) if niche else (0.0, cut)",
        "(0.0, cut) if niche else (cut, 1.0)",
    ),
    M(
        "you",
        "focal-cv-drops-noise",
        "model.screen.noise_sd * focal_rng.standard_normal(",
        "0.0 * focal_rng.standard_normal(",
    ),
    M(
        "you",
        "percentile-upper-tail",
        "float(ndtri(quality_percentile / 100))",
        "float(ndtri(1 - quality_percentile / 100))",
    ),
    M("you", "simulated-off-by-one", "int(keep_rows[-1]) + 1", "int(keep_rows[-1])"),
    M(
        "you",
        "better-than-inclusive",
        "(quality < quality[index, slot][:, None])",
        "(quality <= quality[index, slot][:, None])",
        equivalent="qualities are continuous: ties between candidates have probability 0",
    ),
    M(
        "you",
        "offer-ci-n-minus-one",
        "math.sqrt(p * (1 - p) / n)",
        "math.sqrt(p * (1 - p) / (n - 1))",
    ),
)

# AST-sampled survivors judged equivalent: id -> reason. Filled in after reading them.
EQUIVALENT_AST: dict[str, str] = {
    "ast:attribution:attribute: drop keyword strict: `zip(weights[sizes[without]], gain, "
    "strict=True)` -> `zip(weights[sizes[without]], gain)`": (
        "both sequences always have 16 entries: strict only adds a check"
    ),
    "ast:calendar:cancellation: drop keyword side: `np.searchsorted(hazard, "
    "hazard[posting_week] + exponential, side='left')` -> `np.searchsorted(hazard, "
    "hazard[posting_week] + exponential)`": "side='left' is searchsorted's default",
    "ast:calendar:from_role: drop keyword xtol: `brentq(lambda h: cancel_share(h) - target, "
    "0.0, upper, xtol=1e-14, rtol=1e-12)` -> `brentq(lambda h: cancel_share(h) - target, 0.0, "
    "upper, rtol=1e-12)`": (
        "a root-finding tolerance: h0 moves by ~1e-12, far below any observable effect"
    ),
    "ast:you:<module>: constant: `20000` -> `20001`": (
        "the default number of simulated job searches: precision, not the estimand"
    ),
    "ast:calendar:from_role: comparison: `cancel_share(upper) < target` -> "
    "`cancel_share(upper) <= target`": (
        "only the bracket's upper end can change (one more doubling when the share equals "
        "the target exactly); brentq returns the same root h0 to 1e-12"
    ),
    "ast:interview:interview_score: operator: `quality + noise / np.sqrt(precision)` -> "
    "`quality - noise / np.sqrt(precision)`": (
        "the interview noise is N(0, 1) and used nowhere else: -noise has the same law"
    ),
    "ast:decision:make_offers: drop keyword dtype: `np.zeros(open_score.shape[1], "
    "dtype=np.int64)` -> `np.zeros(open_score.shape[1])`": (
        "a float count of acceptances compares with the integer positions exactly"
    ),
}

# ------------------------------------------------------------------ AST mutants
SWAP_GROUPS = (
    ("interview_score", "felt_score", "quality", "score", "value", "screen_score"),
    ("offer", "hired"),
    ("alignment", "culture", "narrative"),
    ("good", "felt"),
    ("offers", "hires"),
    ("x_bar", "felt"),
    ("mean", "variance"),
    ("decline_probability", "internal_decline_probability"),
    ("posting_week", "process_weeks"),
    ("applicants", "shortlist"),
    ("reached", "any_hire"),
)
BINOP_SWAPS = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Div],
    ast.Div: [ast.Mult],
    ast.Pow: [ast.Mult],
    ast.FloorDiv: [ast.Div],
    ast.BitAnd: [ast.BitOr],
    ast.BitOr: [ast.BitAnd],
    ast.Mod: [ast.FloorDiv],
}
CMP_SWAPS = {
    ast.Lt: [ast.LtE, ast.Gt],
    ast.LtE: [ast.Lt],
    ast.Gt: [ast.GtE, ast.Lt],
    ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
}


def _constant_tweaks(value: object) -> list[object]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    if value == 0:
        return [1]
    if value == 1:
        return [0]
    if value == 0.5:
        return [1.0]
    return [value + 1] if isinstance(value, int) else [value * 2]


def _skip_nodes(tree: ast.AST) -> set[int]:
    """Nodes that are not behaviour: docstrings, annotations, raise messages, f-strings."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise | ast.JoinedStr | ast.Assert):
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.AnnAssign | ast.arg) and node.annotation is not None:
            skip.update(id(n) for n in ast.walk(node.annotation))
        if isinstance(node, ast.FunctionDef) and node.returns is not None:
            skip.update(id(n) for n in ast.walk(node.returns))
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            skip.update(id(n) for d in node.decorator_list for n in ast.walk(d))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("range", "print", "field")
        ):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _enclosing_functions(tree: ast.AST) -> dict[int, str]:
    owner: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for child in ast.walk(node):
                owner.setdefault(id(child), node.name)
    # innermost wins: walk again so nested functions overwrite
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for stmt in node.body:
                for child in ast.walk(stmt):
                    if isinstance(child, ast.FunctionDef):
                        for c in ast.walk(child):
                            owner[id(c)] = child.name
    return owner


def ast_mutants(module: str, source: str) -> list[Mutant]:
    """Every AST mutant of ``module``, in a fixed order."""
    tree = ast.parse(source)
    skip, owner = _skip_nodes(tree), _enclosing_functions(tree)
    # Names loaded in each function: a swapped name must exist there (no NameError kills).
    names_in: dict[str, set[str]] = defaultdict(set)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names_in[owner.get(id(node), "<module>")].add(node.id)
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    only = AST_FUNCTIONS.get(module)
    out: list[Mutant] = []
    seen: Counter[str] = Counter()

    def add(node: ast.expr, replacement: ast.expr | str, what: str) -> None:
        old = ast.unparse(node)
        new = replacement if isinstance(replacement, str) else ast.unparse(replacement)
        if old == new:
            return
        function = owner.get(id(node), "<module>")
        key = f"{function}: {what}: `{old}` -> `{new}`"
        seen[key] += 1
        name = key if seen[key] == 1 else f"{key} #{seen[key]}"
        span = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        out.append(Mutant(f"ast:{module}:{name}", module, "ast", name, old, f"({new})", span=span))

    def copy_with(node: ast.AST, **changes: object) -> ast.AST:
        clone = ast.parse(ast.unparse(node), mode="eval").body
        for k, v in changes.items():
            setattr(clone, k, v)
        return clone

    for node in ast.walk(tree):
        if id(node) in skip or not hasattr(node, "lineno"):
            continue
        if only is not None and owner.get(id(node)) not in only:
            continue
        if isinstance(node, ast.BinOp):
            for op in BINOP_SWAPS.get(type(node.op), []):
                add(node, copy_with(node, op=op()), "operator")
            if isinstance(node.op, ast.Add | ast.Sub):
                add(node, node.left, "drop term")
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            for op in CMP_SWAPS.get(type(node.ops[0]), []):
                add(node, copy_with(node, ops=[op()]), "comparison")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Invert | ast.Not):
            add(node, node.operand, "drop unary")
        elif isinstance(node, ast.Constant):
            for value in _constant_tweaks(node.value):
                add(node, repr(value), "constant")
        elif isinstance(node, ast.Call) and node.keywords:
            for i, keyword in enumerate(node.keywords):
                if keyword.arg is None:
                    continue
                clone = copy_with(node)
                del clone.keywords[i]
                add(node, clone, f"drop keyword {keyword.arg}")
        elif isinstance(node, ast.Attribute | ast.Name):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                continue
            for group in SWAP_GROUPS:
                if name in group:
                    for other in group:
                        if other != name:
                            if isinstance(node, ast.Attribute):
                                if other in attributes:
                                    add(node, copy_with(node, attr=other), "swap")
                            elif other in names_in[owner.get(id(node), "<module>")]:
                                add(node, other, "swap")
    return out


# ------------------------------------------------------------------ applying mutants
def apply(mutant: Mutant, source: str) -> str | None:
    """The mutated source, or None if the mutant no longer matches (stale)."""
    if mutant.span is not None:
        lines = source.splitlines(keepends=True)
        l0, c0, l1, c1 = mutant.span
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line.encode()))
        data = source.encode()
        begin, end = starts[l0 - 1] + c0, starts[l1 - 1] + c1
        return (data[:begin] + mutant.new.encode() + data[end:]).decode()
    if source.count(mutant.old) != 1:
        return None
    return source.replace(mutant.old, mutant.new)


def module_path(source_root: Path, module: str) -> str:
    """``simfunnel/<module>.py`` or, in the layered package, ``simfunnel/<layer>/<module>.py``."""
    found = sorted(
        p.relative_to(source_root).as_posix()
        for p in (source_root / "simfunnel").rglob(f"{module}.py")
    )
    if not found:
        raise SystemExit(f"no simfunnel module named {module}")
    return min(found, key=len)


def all_mutants(source_root: Path, per_module: int, seed: int) -> list[Mutant]:
    rng = random.Random(seed)
    mutants = list(CURATED)
    for module in MODULES:
        text = (source_root / module_path(source_root, module)).read_text()
        candidates = ast_mutants(module, text)
        picked = sorted(rng.sample(range(len(candidates)), min(per_module, len(candidates))))
        for i in picked:
            m = candidates[i]
            reason = EQUIVALENT_AST.get(m.id)
            mutants.append(m if reason is None else Mutant(**{**asdict(m), "equivalent": reason}))
    return mutants


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | timeout | stale | identical | invalid
    seconds: float = 0.0
    detail: str = ""
    before: str = ""  # status under the existing tests alone (two-stage runs)


def prepare(source_root: Path, workdir: Path) -> None:
    for name in COPY:
        src = source_root / name
        if not src.exists():
            continue
        if src.is_dir():
            shutil.copytree(
                src,
                workdir / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "golden", ".hypothesis"),
            )
        else:
            shutil.copy2(src, workdir / name)


def environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(workdir),
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    return env


def check_import(workdir: Path) -> None:
    """The copy, not the editable install of the source tree, must be what gets imported."""
    out = subprocess.run(
        [sys.executable, "-c", "import simfunnel; print(simfunnel.__file__)"],
        cwd=workdir,
        env=environment(workdir),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(out).resolve().is_relative_to(workdir.resolve()):
        raise SystemExit(f"the copy is not imported: simfunnel comes from {out}")


def pytest_command(workdir: Path, tests: tuple[str, ...]) -> list[str]:
    present = [t for t in tests if (workdir / t).exists()]
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-x",
        "-q",
        "--no-header",
        "-m",
        "not slow",
        "--hypothesis-seed=0",
        "-W",
        "ignore::DeprecationWarning",
        *present,
    ]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tests(workdir: Path, tests: tuple[str, ...], cpu_limit: float) -> tuple[str, float, str]:
    """Run the tests on the copy in ``workdir``: (status, wall seconds, detail).

    The limit is on CPU time (RLIMIT_CPU), not wall time, so a machine shared with
    other work cannot turn a slow survivor into a "timeout"; the wall clock only
    guards against a hang that uses no CPU.
    """
    shutil.rmtree(workdir / ".hypothesis", ignore_errors=True)
    limit = int(cpu_limit)

    def limit_cpu() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))

    started = time.perf_counter()
    try:
        proc = subprocess.run(
            pytest_command(workdir, tests),
            cwd=workdir,
            env=environment(workdir),
            capture_output=True,
            text=True,
            timeout=20 * cpu_limit,
            preexec_fn=limit_cpu,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started, "wall clock"
    seconds = time.perf_counter() - started
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return "timeout", seconds, f"CPU limit {limit}s"
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    failed = next((ln.split(" ", 1)[1] for ln in lines if ln.startswith(("FAILED", "ERROR"))), "")
    tail = lines[-1] if lines else proc.stderr.strip()[-200:]
    if proc.returncode == 0:
        return "survived", seconds, tail
    return "killed", seconds, failed or tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to copy and mutate")
    parser.add_argument("--ast-per-module", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument(
        "--cpu-limit",
        type=float,
        default=60.0,
        help="CPU seconds per mutant (at least 3x the unmutated run's CPU time)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once")
    parser.add_argument("--only", nargs="*", help="mutant ids (or id prefixes) to run")
    parser.add_argument(
        "--survivors-of",
        type=Path,
        help="run only the mutants that survived the existing tests in this --json file",
    )
    parser.add_argument(
        "--new-only",
        action="store_true",
        help="with --survivors-of: skip the existing tests (known survivors), run the new ones",
    )
    parser.add_argument("--kind", choices=("curated", "ast"), help="run one kind only")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument(
        "--report", type=Path, help="re-print the report of a --json file (current annotations)"
    )
    parser.add_argument("--tests", nargs="*", default=list(TESTS), help="existing tests")
    parser.add_argument(
        "--new-tests",
        nargs="*",
        default=list(NEW_TESTS),
        help="tests run only on the survivors of --tests (the before/after split)",
    )
    args = parser.parse_args(argv)

    if args.report:
        outcomes = []
        for o in json.loads(args.report.read_text()):
            fields = {k: o[k] for k in Mutant.__dataclass_fields__}
            fields["span"] = tuple(fields["span"]) if fields["span"] else None
            if fields["kind"] == "ast":
                fields["equivalent"] = EQUIVALENT_AST.get(fields["id"])
            else:
                known = {m.id: m for m in CURATED}.get(fields["id"])
                fields["equivalent"] = known.equivalent if known else fields["equivalent"]
            outcomes.append(
                Outcome(
                    Mutant(**fields), o["status"], o["seconds"], o["detail"], o.get("before", "")
                )
            )
        report(outcomes)
        return 0
    source_root = args.source.resolve()
    mutants = all_mutants(source_root, args.ast_per_module, args.seed)
    if args.kind:
        mutants = [m for m in mutants if m.kind == args.kind]
    if args.only:
        mutants = [m for m in mutants if any(m.id.startswith(p) for p in args.only)]
    if args.survivors_of:
        previous = json.loads(args.survivors_of.read_text())
        # every survivor of the existing tests (both stages are run again, or with
        # --new-only only the new tests)
        survived = {o["id"] for o in previous if (o.get("before") or o["status"]) == "survived"}
        mutants = [m for m in mutants if m.id in survived]
    if args.list:
        for m in mutants:
            mark = "  [equivalent]" if m.equivalent else ""
            print(f"{m.id}{mark}")
        return 0

    tests = tuple(args.tests)
    new_tests = tuple(t for t in args.new_tests if (source_root / t).exists())
    base_tests = tuple(t for t in tests if t not in new_tests)
    if args.new_only:
        if not args.survivors_of:
            raise SystemExit("--new-only needs --survivors-of")
        base_tests = ()
    scratch = Path(tempfile.mkdtemp(prefix="simfunnel-mutation-"))
    workdirs: Queue[Path] = Queue()
    for j in range(max(1, args.jobs)):
        workdir = scratch / f"w{j}"
        workdir.mkdir()
        prepare(source_root, workdir)
        check_import(workdir)
        workdirs.put(workdir)
    print(f"source {source_root}; scratch {scratch}", flush=True)
    print(f"existing tests: {' '.join(base_tests)}\nnew tests: {' '.join(new_tests)}", flush=True)
    print(
        "command per mutant: PYTHONPATH=<copy> "
        + " ".join(pytest_command(source_root, base_tests)[1:]),
        flush=True,
    )

    # The unmutated copy must pass both stages, or every "kill" means nothing.
    limits = {}
    for stage, stage_tests in (("existing", base_tests), ("new", new_tests)):
        if not stage_tests:
            continue
        workdir = workdirs.get()
        cpu_before = _cpu_seconds()
        status, seconds, detail = run_tests(workdir, stage_tests, 10 * args.cpu_limit)
        cpu = _cpu_seconds() - cpu_before
        workdirs.put(workdir)
        print(
            f"unmutated, {stage} tests: {status} in {seconds:.1f}s wall, {cpu:.1f}s CPU ({detail})",
            flush=True,
        )
        if status != "survived":
            raise SystemExit("the unmutated copy fails its tests: fix that first")
        limits[stage] = max(args.cpu_limit, 3 * cpu)
    print(
        "CPU limits per mutant: " + ", ".join(f"{k} {v:.0f}s" for k, v in limits.items()),
        flush=True,
    )

    def one(mutant: Mutant) -> Outcome:
        path = module_path(source_root, mutant.module)
        original = (source_root / path).read_text()
        mutated = apply(mutant, original)
        if mutated is None:
            return Outcome(mutant, "stale", detail="text not found exactly once")
        if mutated == original:
            return Outcome(mutant, "identical")
        try:
            compile(mutated, path, "exec")
        except SyntaxError as error:
            return Outcome(mutant, "invalid", detail=str(error))
        workdir = workdirs.get()
        try:
            (workdir / path).write_text(mutated)
            # Stage 1: the existing tests ("before"). Stage 2, only for their
            # survivors: the new tests ("after" = killed by either).
            if base_tests:
                before, seconds, detail = run_tests(workdir, base_tests, limits["existing"])
            else:  # --new-only: survivors of the existing tests in an earlier pass
                before, seconds, detail = "survived", 0.0, ""
            status = before
            if before == "survived" and new_tests:
                status, more, detail = run_tests(workdir, new_tests, limits["new"])
                seconds += more
        finally:
            (workdir / path).write_text(original)
            workdirs.put(workdir)
        return Outcome(mutant, status, seconds, detail, before=before)

    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for i, outcome in enumerate(pool.map(one, mutants), 1):
            outcomes.append(outcome)
            m = outcome.mutant
            shown = (
                outcome.status
                if outcome.before in ("", outcome.status)
                else (f"{outcome.before}->{outcome.status}")
            )
            print(
                f"[{i}/{len(mutants)}] {shown:18s} {outcome.seconds:5.1f}s {m.id}"
                + (f"  <- {outcome.detail}" if outcome.status in ("killed", "timeout") else ""),
                flush=True,
            )
    shutil.rmtree(scratch, ignore_errors=True)
    report(outcomes)
    if args.json:
        rows = [
            {
                **asdict(o.mutant),
                "status": o.status,
                "before": o.before,
                "seconds": round(o.seconds, 1),
                "detail": o.detail,
            }
            for o in outcomes
        ]
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def _table(outcomes: list[Outcome], status_of, title: str) -> None:
    counted = [o for o in outcomes if status_of(o) in ("killed", "survived", "timeout")]
    print(f"\n{title}")
    print("module        mutants  killed  timeout  survived  (equiv)  kill rate  non-equiv rate")
    for module in [*MODULES, "TOTAL"]:
        rows = [o for o in counted if module in (o.mutant.module, "TOTAL")]
        if not rows:
            continue
        n = len(rows)
        killed = sum(status_of(o) == "killed" for o in rows)
        timeout = sum(status_of(o) == "timeout" for o in rows)
        survived = n - killed - timeout
        equivalent = sum(status_of(o) == "survived" and bool(o.mutant.equivalent) for o in rows)
        dead = killed + timeout
        print(
            f"{module:12s} {n:8d} {killed:7d} {timeout:8d} {survived:9d} {equivalent:8d}"
            f" {dead / n:10.1%} {dead / max(n - equivalent, 1):14.1%}"
        )
    for kind in ("curated", "ast"):
        sub = [o for o in counted if o.mutant.kind == kind]
        if sub:
            dead = sum(status_of(o) != "survived" for o in sub)
            print(f"  {kind}: {dead}/{len(sub)} killed")


def report(outcomes: list[Outcome]) -> None:
    if any(o.before for o in outcomes):
        _table(outcomes, lambda o: o.before or o.status, "BEFORE (existing tests only)")
        _table(outcomes, lambda o: o.status, "AFTER (existing + new tests)")
    else:
        _table(outcomes, lambda o: o.status, "RESULT")
    skipped = Counter(o.status for o in outcomes if o.status in ("stale", "identical", "invalid"))
    if skipped:
        print("not run:", dict(skipped))
        for o in outcomes:
            if o.status in ("stale", "invalid"):
                print(f"  {o.status}: {o.mutant.id}")
    print("\nkilled only by the new tests:")
    for o in outcomes:
        if o.before == "survived" and o.status != "survived":
            print(f"  {o.mutant.id}  <- {o.detail}")
    print("\nsurvivors:")
    for o in outcomes:
        if o.status == "survived":
            m = o.mutant
            note = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            print(f"  {m.id}{note}\n      {m.old.strip()!r} -> {m.new.strip()!r}")


if __name__ == "__main__":
    sys.exit(main())
