"""Fit a scenario to an applicant-tracking export: the method of simulated moments.

MODEL.md section 7 gives the method and why; in short:

1. **Summaries.** Each data set is reduced to statistics that the free parameters
   move: means and SDs of applicants, shortlist and interviewees, offers per
   interviewee, hires per offer, the share of requisitions hiring 2, 3, ...
   people, cancelled shares (overall, after interviews, by posting quarter),
   internal shares, and the process length from the dates (:data:`STATISTICS`).
2. **Estimate.** Gauss-Newton (Levenberg-Marquardt damped, inside the prior box)
   minimises the weighted distance between the observed summaries and those of
   ``replicates`` times as many simulated requisitions. Every evaluation reads the
   same random draws (common random numbers), so the objective is smooth in the
   parameters and finite-difference Jacobians are accurate.
3. **Uncertainty.** A parametric bootstrap: ``draws`` data sets of the observed
   size (and with its missing cells) simulated at the estimate, each refitted by
   one Gauss-Newton step from the estimate (the linearised refit). The spread of
   the refits is the estimator's sampling distribution; clipped to the prior box,
   it is reported as the "posterior" (``posterior.csv``), its 5-95% as the 90%
   interval.
4. **Identification.** A parameter is *identified* when its 90% interval is less
   than half as wide as its prior's and neither it nor its estimate reaches an end
   of the prior box (there the box, not the data, bounds it: an interval of 0-1.33 in
   a box of 0-5 is cut at 0). Parameters the counts cannot pin down
   (interview validity, risk aversion, culture-mirror weight) are not fitted: the
   same linearised refit, with them added, shows how wide their interval would be.
5. **Checks.** Posterior predictive p-values: one data set simulated per
   posterior draw (``checks`` of them), each summary of the data compared with
   its simulated distribution, including statistics the fit did not use.

Everything depends on the seed only: the fit's draws, the bootstrap and the
checks each read their own child stream of it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simfunnel.analysis.fit_checks import predictive_checks
from simfunnel.analysis.fit_flags import exclude_requisitions, flagged_requisitions
from simfunnel.analysis.fit_summaries import (
    FIT_BOOTSTRAP,
    FIT_SIMULATION,
    Simulator,
    Statistic,
    applicable,
    data_arrays,
    datasets,
    masked,
    shared_layout,
    split_datasets,
    summarise,
)
from simfunnel.analysis.resources import check_fit_resources
from simfunnel.errors import InputError
from simfunnel.io.ats import MIN_REQUISITIONS, AtsData, check_frame, read_ats
from simfunnel.model.names import plain_number, shown
from simfunnel.model.parameters import (
    Parameter,
    expand_key,
    field_at,
    project,
    scenario_at,
)
from simfunnel.model.rng import SCENARIO_SEED, SeedLike, resolve_seed
from simfunnel.model.scenario import Scenario
from simfunnel.model.uncertainty import refuse_uncertain

# What the counts identify, in dotted keys. Keys the scenario schema lacks are left
# out, so parameters added to the model (issue 10) join once their keys exist.
# A range key (low/high) frees both ends; `role.positions` the share of each
# number of positions but the smallest; `role.quarter_multipliers` Q2-Q4 relative to Q1.
DEFAULT_FREE = (
    "applicants.count",
    "screening.shortlist",
    "role.positions",
    "offers.decline_probability",
    "internal.probability",
    "withdrawal.weekly_hazard",
    "role.cancel_probability",
    "role.quarter_multipliers",
    "role.process_weeks",
)
# Not in the default set: the decline slope (counts give one acceptance rate, not how it
# varies with quality), the presence share (it changes who is chosen, not how many) and
# pauses (about 1 requisition in 100: too rare to fit from hundreds); --free KEY fits them.
# Columns (beyond the required ones) without which a default key is not freed.
NEEDS: dict[str, tuple[str, ...]] = {
    "internal.probability": ("internal_interviewed",),
    "withdrawal.weekly_hazard": ("shortlisted",),
    "role.quarter_multipliers": ("posted",),
    "role.process_weeks": ("posted", "closed"),
}
# Not identified by counts: kept at the scenario's values, checked and reported.
CHECKED = ("interview.validity", "manager.risk_aversion", "manager.affinity_weight")

IDENTIFIED_RATIO = 0.5  # identified: 90% interval at most half as wide as the prior's


def parse_free(items: Iterable[str]) -> dict[str, tuple[float, float] | None]:
    """``["offers.decline_probability=0:0.5", "internal.probability"]`` -> key: box or None.

    A box's ends are plain numbers (``0.5``, ``1e-3``; not ``1_000`` or other digits
    than 0-9); whether the key may be fitted and the box is a range of its values is
    checked with the scenario (:func:`resolve_parameters`).
    """
    free: dict[str, tuple[float, float] | None] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        box = None
        if sep:
            low_text, colon, high_text = text.partition(":")
            low, high = plain_number(low_text), plain_number(high_text)
            if colon and low is not None and high is not None:
                box = (low, high)
            if box is None:
                raise InputError(f"--free {shown(item)}: expected KEY or KEY=LOW:HIGH")
        if key in free:
            raise InputError(f"--free {shown(key)}: given twice")
        free[key] = box
    return free


def default_free(scenario: Scenario, data: AtsData) -> list[str]:
    """The keys of :data:`DEFAULT_FREE` this scenario has and these data can inform."""
    keys = []
    for key in DEFAULT_FREE:
        if field_at(scenario, key) is None:
            continue
        if not all(data.has(column) for column in NEEDS.get(key, ())):
            continue
        if key == "role.cancel_probability" and not data.counts("cancelled").any():
            continue
        keys.append(key)
    return keys


def resolve_parameters(
    scenario: Scenario, free: Mapping[str, tuple[float, float] | None]
) -> list[Parameter]:
    parameters: list[Parameter] = []
    for key, box in free.items():
        found = expand_key(scenario, key, box)
        if not found:
            raise InputError(f"--free {shown(key)}: not a scenario key (see `simfunnel keys`)")
        parameters += found
    keys = [p.key for p in parameters]
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice:
        raise InputError(f"--free {shown(twice)}: given twice")
    return parameters


def parse_priors(items: Iterable[str]) -> dict[str, tuple[float, float]]:
    """``["applicants.count.high=1:1000"]`` -> key: box; every item needs its box."""
    priors = {}
    for item in items:
        key, sep, _ = item.partition("=")
        if not sep:
            raise InputError(f"--prior {item[:60]}: expected KEY=LOW:HIGH")
        try:
            box = parse_free([item])[key.strip()]
        except InputError:
            box = None
        if box is None:
            raise InputError(
                f"--prior {item[:60]}: expected KEY=LOW:HIGH, e.g. applicants.count.high=1:1000"
            )
        if key.strip() in priors:
            raise InputError(f"--prior {key.strip()[:60]}: given twice")
        priors[key.strip()] = box
    return priors


def with_priors(
    scenario: Scenario, parameters: list[Parameter], priors: Mapping[str, tuple[float, float]]
) -> list[Parameter]:
    """``parameters`` with the boxes of ``priors`` (each key's own parameters replaced in
    place, a key not among them added): widen one prior, keep the free set."""
    out = list(parameters)
    for key, box in priors.items():
        try:
            found = expand_key(scenario, key, box)
        except InputError as exc:  # its words name --free: this is --prior
            raise InputError(str(exc).replace("--free", "--prior", 1)) from None
        if not found:
            raise InputError(f"--prior {key[:60]}: not a scenario key (see `simfunnel keys`)")
        for parameter in found:
            keys = [p.key for p in out]
            if parameter.key in keys:
                out[keys.index(parameter.key)] = parameter
            else:
                out.append(parameter)
    return out


# ----------------------------------------------------------------------- the fit
@dataclass
class FitSettings:
    """How hard the fit works. The defaults fit 500 requisitions in well under a minute.

    Attributes
    ----------
    replicates : int
        Simulated requisitions per observed one (at least 20,000 in all).
    draws : int
        Bootstrap data sets (rows of ``posterior.csv``).
    checks : int
        Posterior predictive data sets (p-values resolve down to 2 / (checks + 1)).
    max_iterations : int
        Gauss-Newton iterations.
    """

    replicates: int = 40
    draws: int = 400
    checks: int = 200
    max_iterations: int = 12
    min_simulated: int = 20_000
    max_simulated: int = 200_000


@dataclass
class FitState:
    """Everything :func:`fit` computed, for :class:`~simfunnel.analysis.outputs.fit.FitResult`."""

    data: AtsData
    base: Scenario
    scenario: Scenario
    parameters: list[Parameter]
    checked: list[Parameter]
    estimate: np.ndarray
    posterior: pd.DataFrame
    checked_draws: pd.DataFrame
    statistics: list[Statistic]
    observed: np.ndarray
    checks: pd.DataFrame
    distributions: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)


def fit(
    data: AtsData | pd.DataFrame | str,
    scenario: Scenario,
    free: Sequence[str] | Mapping[str, tuple[float, float] | None] | None = None,
    *,
    seed: SeedLike = SCENARIO_SEED,
    settings: FitSettings | None = None,
    columns: Mapping[str, str] | None = None,
    progress: bool = False,
    priors: Mapping[str, tuple[float, float]] | None = None,
    exclude: Sequence[str] = (),
) -> Any:
    """Fit ``scenario`` to an applicant-tracking export (see the module's method).

    Parameters
    ----------
    data : a checked export (:func:`simfunnel.io.ats.read_ats`), a DataFrame of its
        columns, or a path.
    scenario : the prior: values of every key that is not fitted, centres of the rest.
    free : keys to fit (``["offers.decline_probability", ...]``) or key -> (low, high)
        prior box; default: :func:`default_free`.
    seed : makes the fit reproducible (default: the scenario's seed).
    priors : key -> (low, high): widen (or narrow) these prior boxes and keep the rest
        of the free set (``--prior``); a key not in it is freed too.
    exclude : requisition ids to leave out (``--exclude``), e.g. the flagged outliers.

    Returns
    -------
    FitResult
    """
    refuse_uncertain(scenario, "fit")
    from simfunnel.analysis.outputs.fit import FitResult

    started = time.perf_counter()
    settings = settings or FitSettings()
    if isinstance(data, pd.DataFrame):
        data = check_frame(data, "<data>", columns)
    elif not isinstance(data, AtsData):
        data = read_ats(data, columns)
    if exclude:
        data = exclude_requisitions(data, list(exclude))
    if data.requisitions < MIN_REQUISITIONS:
        raise InputError(
            f"{data.source}: {data.requisitions} requisition rows; the fit needs at least "
            f"{MIN_REQUISITIONS}"
        )
    if free is None:
        free = default_free(scenario, data)
    boxes = dict(free) if isinstance(free, Mapping) else {k: None for k in free}
    parameters = with_priors(scenario, resolve_parameters(scenario, boxes), priors or {})
    if not parameters:
        raise InputError("--free: nothing to fit")
    checked = [p for key in CHECKED if key not in boxes for p in expand_key(scenario, key)]
    seed_value = resolve_seed(seed, scenario.seed)
    statistics = applicable(data, scenario)
    observed_arrays = data_arrays(data)
    observed = summarise(observed_arrays, statistics)
    usable = np.isfinite(observed)
    statistics = [s for s, ok in zip(statistics, usable, strict=True) if ok]
    observed = observed[usable]
    fitted = np.array([s.fit for s in statistics])
    n = data.requisitions
    mask = {k: np.isnan(v) for k, v in observed_arrays.items()}

    shortlists = [p for p in parameters if p.key.startswith("screening.shortlist.")]
    widest = max(shortlists, key=lambda p: p.high, default=None)
    top = int(max(scenario.screening.shortlist.high, widest.high if widest else 0))
    simulated = int(
        np.clip(settings.replicates * n, settings.min_simulated, settings.max_simulated)
    )
    # Every requisition is simulated at once, for the widest shortlist a box allows.
    check_fit_resources(
        shared_layout(scenario, top), simulated, widest.key if widest else "screening.shortlist"
    )
    replicates = simulated / n
    simulator = Simulator(scenario, seed_value, FIT_SIMULATION, simulated, top)
    bar = tqdm(total=None, unit=" simulations", delay=2, disable=not progress, desc="fit")

    def summaries_at(values: np.ndarray, which: Sequence[Parameter]) -> np.ndarray:
        # Statistics of data sets of the observed size (the sample minimum of 500 is
        # not that of 20,000), averaged over the simulated ones.
        arrays = masked(simulator.arrays(scenario_at(scenario, which, values)), mask)
        bar.update()
        pieces = split_datasets(arrays, n)
        return np.nanmean([summarise(piece, statistics) for piece in pieces], axis=0)

    start = project(parameters, np.array([p.start for p in parameters]), scenario)
    # Weights: 1 / variance of each statistic over data sets of the observed size, from
    # the simulated requisitions at the start cut into `replicates` such data sets.
    start_arrays = masked(simulator.arrays(scenario_at(scenario, parameters, start)), mask)
    pieces = split_datasets(start_arrays, n)
    variance = np.nanvar(np.array([summarise(p, statistics) for p in pieces]), axis=0, ddof=1)
    weights = np.where(fitted & (variance > 0), 1 / np.maximum(variance, 1e-12), 0.0)

    estimate, objective, jacobian = _gauss_newton(
        summaries_at, observed, weights, parameters, start, scenario, settings.max_iterations
    )
    at_estimate = scenario_at(scenario, parameters, estimate)
    simulated_at_estimate = summaries_at(estimate, parameters)

    # Parametric bootstrap: data sets of the observed size at the estimate.
    bootstrap = datasets(at_estimate, seed_value, FIT_BOOTSTRAP, settings.draws, n, mask)
    replicate_summaries = np.array([summarise(d, statistics) for d in bootstrap])
    bar.update()
    deviation = (replicate_summaries - simulated_at_estimate) * math.sqrt(1 + 1 / replicates)
    deviation = np.nan_to_num(deviation)
    integer = np.array([p.integer for p in parameters])
    draws = _linear_refits(jacobian, weights, deviation, estimate, integer)
    posterior = pd.DataFrame(
        np.array([project(parameters, d, scenario, whole=False) for d in draws]),
        columns=[p.key for p in parameters],
    )
    # The checked keys: how wide their interval would be if they were fitted too.
    checked_draws = pd.DataFrame()
    if checked:
        extended = [*parameters, *checked]
        values = np.concatenate([estimate, [p.start for p in checked]])
        extra = _jacobian(
            summaries_at, values, extended, scenario, len(observed),
            range(len(parameters), len(extended)),
        )  # fmt: skip
        full = _linear_refits(
            np.column_stack([jacobian, extra]), weights, deviation, values,
            np.concatenate([integer, [p.integer for p in checked]]),
        )  # fmt: skip
        checked_draws = pd.DataFrame(
            np.clip(full[:, len(parameters):], [p.low for p in checked], [p.high for p in checked]),
            columns=[p.key for p in checked],
        )  # fmt: skip
    fitted_values = _medians(parameters, posterior, scenario)
    fitted_scenario = scenario_at(scenario, parameters, fitted_values).with_overrides(
        {"name": _fitted_name(scenario.name)}
    )
    checks, distributions = predictive_checks(
        posterior, parameters, scenario, seed_value, settings.checks, n, mask, statistics,
        observed, observed_arrays, bar,
    )  # fmt: skip
    bar.close()
    state = FitState(
        data=data,
        base=scenario,
        scenario=fitted_scenario,
        parameters=parameters,
        checked=checked,
        estimate=estimate,
        posterior=posterior,
        checked_draws=checked_draws,
        statistics=statistics,
        observed=observed,
        checks=checks,
        distributions=distributions,
        flags=flagged_requisitions(data),
        metadata={
            "seed": seed_value.entropy,
            "excluded": list(exclude),
            "requisitions": n,
            "simulated_requisitions": simulated,
            "bootstrap_draws": settings.draws,
            "check_data_sets": settings.checks,
            "objective": objective,
            "degrees_of_freedom": int(fitted.sum()) - len(parameters),
            "simulations": simulator.runs,
            "elapsed_seconds": round(time.perf_counter() - started, 2),
            "source": data.source,
        },
    )
    return FitResult.from_state(state)


def _fitted_name(name: str) -> str:
    suffix = "_fitted"
    from simfunnel.model.names import MAX_NAME_CHARS

    return name[: MAX_NAME_CHARS - len(suffix)] + suffix


def _derivative(
    summaries_at: Callable[[np.ndarray, Sequence[Parameter]], np.ndarray],
    values: np.ndarray,
    parameters: Sequence[Parameter],
    j: int,
    base: Scenario,
) -> np.ndarray | None:
    """Central (one-sided at a bound) difference of the summaries in parameter ``j``;
    None where the parameter cannot move (a box of one integer)."""
    p = parameters[j]
    step = max(1.0, round(0.02 * abs(values[j]))) if p.integer else 0.02 * p.width
    up, down = values.copy(), values.copy()
    up[j] = min(values[j] + step, p.high)
    down[j] = max(values[j] - step, p.low)
    upper, lower = project(parameters, up, base), project(parameters, down, base)
    if upper[j] == lower[j]:
        return None
    difference = summaries_at(upper, parameters) - summaries_at(lower, parameters)
    return np.nan_to_num(difference) / (upper[j] - lower[j])


def _gauss_newton(
    summaries_at: Callable[[np.ndarray, Sequence[Parameter]], np.ndarray],
    observed: np.ndarray,
    weights: np.ndarray,
    parameters: Sequence[Parameter],
    start: np.ndarray,
    base: Scenario,
    max_iterations: int,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Levenberg-Marquardt-damped Gauss-Newton inside the prior box.

    Returns the estimate, its objective and the Jacobian of the summaries there.
    """
    prior_precision = np.array([12 / p.width**2 for p in parameters])

    def objective(summaries: np.ndarray) -> float:
        residual = np.nan_to_num(summaries - observed)
        return float(np.sum(weights * residual**2))

    values = start
    current = summaries_at(values, parameters)
    best = objective(current)
    jacobian = _jacobian(summaries_at, values, parameters, base, len(observed))
    damping = 1e-3
    for _ in range(max_iterations):
        residual = np.nan_to_num(current - observed)
        information = jacobian.T @ (weights[:, None] * jacobian)
        gradient = jacobian.T @ (weights * residual)
        moved = False
        for _ in range(6):
            # The prior's precision keeps directions the data do not inform from drifting.
            matrix = (
                information
                + damping * np.diag(np.diag(information))
                + 1e-6 * np.diag(prior_precision)
            )
            step = np.linalg.solve(matrix, -gradient)
            candidate = project(parameters, values + step, base)
            if np.array_equal(candidate, values):
                break
            summaries = summaries_at(candidate, parameters)
            value = objective(summaries)
            if value < best:
                moved = True
                change = np.abs(candidate - values)
                values, current, best = candidate, summaries, value
                damping = max(damping / 10, 1e-7)
                break
            damping *= 10
        if not moved:
            break
        jacobian = _jacobian(summaries_at, values, parameters, base, len(observed))
        small = all(
            c < (0.5 if p.integer else 1e-3 * p.width)
            for c, p in zip(change, parameters, strict=True)
        )
        if small:
            break
    return values, best, jacobian


def _jacobian(
    summaries_at: Callable[[np.ndarray, Sequence[Parameter]], np.ndarray],
    values: np.ndarray,
    parameters: Sequence[Parameter],
    base: Scenario,
    size: int,
    columns: Iterable[int] | None = None,
) -> np.ndarray:
    """Derivatives of the ``size`` summaries in each parameter (of ``columns``)."""
    derivatives = []
    for j in range(len(parameters)) if columns is None else columns:
        column = _derivative(summaries_at, values, parameters, j, base)
        derivatives.append(np.zeros(size) if column is None else column)
    return np.column_stack(derivatives)


def _linear_refits(
    jacobian: np.ndarray,
    weights: np.ndarray,
    deviation: np.ndarray,
    estimate: np.ndarray,
    integer: np.ndarray | None = None,
) -> np.ndarray:
    """One Gauss-Newton step from the estimate for each bootstrap data set.

    ``deviation`` has shape (draws, statistics); returns shape (draws, parameters).
    Directions the statistics do not inform get an enormous spread (a pseudo-inverse
    of a near-singular matrix), which the prior box then clips: "not identified".

    ``integer`` (a mask of the parameters) marks keys the fit moves in whole steps.
    The other keys are refitted as the fit would: with the integer keys at their
    refitted values rounded. A continuous step would let an integer key (the shortlist
    range) soak up noise (a data set's shortlists longer than average) that the fit,
    unable to move it by a fraction, puts on the other keys (the withdrawal hazard),
    whose intervals would then be too narrow. The integer keys' own draws stay
    continuous (their intervals are floored and ceiled).
    """
    information = jacobian.T @ (weights[:, None] * jacobian)
    mapping = np.linalg.pinv(information, rcond=1e-12) @ (jacobian.T * weights)
    draws = estimate + deviation @ mapping.T
    if integer is None or not integer.any() or integer.all():
        return draws
    whole = np.round(draws[:, integer])
    rest = ~integer
    part = jacobian[:, rest]
    information = part.T @ (weights[:, None] * part)
    mapping = np.linalg.pinv(information, rcond=1e-12) @ (part.T * weights)
    remaining = deviation - (whole - estimate[integer]) @ jacobian[:, integer].T
    draws[:, rest] = estimate[rest] + remaining @ mapping.T
    return draws


def _medians(
    parameters: Sequence[Parameter], posterior: pd.DataFrame, base: Scenario
) -> np.ndarray:
    medians = posterior.median().to_numpy()
    return project(parameters, medians, base)
