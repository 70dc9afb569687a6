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
   than half as wide as its prior's. Parameters the counts cannot pin down
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from tqdm import tqdm

from simfunnel.analysis.requisitions import requisition_arrays
from simfunnel.errors import InputError
from simfunnel.io.ats import MIN_REQUISITIONS, NUMBERS, AtsData, check_frame, read_ats
from simfunnel.model.engine import Model, draw_blocks, draw_layout, simulate_funnel
from simfunnel.model.parameters import (
    Parameter,
    expand_key,
    field_at,
    project,
    scenario_at,
)
from simfunnel.model.rng import BLOCK_OPENINGS, SCENARIO_SEED, Seed, SeedLike, resolve_seed
from simfunnel.model.scenario import IntRange, Scenario
from simfunnel.model.uncertainty import refuse_uncertain

# Child streams of the fit's seed (distinct from simfunnel.model.rng's 0-4).
FIT_SIMULATION, FIT_BOOTSTRAP, FIT_CHECKS = 100, 101, 102

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
INTERVAL = (0.05, 0.95)
EXTREME_P = 0.01  # a posterior predictive p-value at most this is "extreme"


def parse_free(items: Iterable[str]) -> dict[str, tuple[float, float] | None]:
    """``["offers.decline_probability=0:0.5", "internal.probability"]`` -> key: box or None."""
    free: dict[str, tuple[float, float] | None] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        box = None
        if sep:
            low, colon, high = text.partition(":")
            try:
                box = (float(low), float(high))
            except ValueError:
                box = None
            if not colon or box is None or not all(math.isfinite(v) for v in box):
                raise InputError(f"--free {item[:60]}: expected KEY or KEY=LOW:HIGH")
        if key in free:
            raise InputError(f"--free {key[:60]}: given twice")
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
            raise InputError(f"--free {key[:60]}: not a scenario key (see `simfunnel keys`)")
        parameters += found
    keys = [p.key for p in parameters]
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice:
        raise InputError(f"--free {twice}: given twice")
    return parameters


# ---------------------------------------------------------------------- summaries
def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> float:
    known = ~(np.isnan(numerator) | np.isnan(denominator))
    total = denominator[known].sum()
    return float(numerator[known].sum() / total) if total > 0 else np.nan


def _mean(values: np.ndarray, where: np.ndarray | None = None) -> float:
    if where is not None:
        values = values[where]
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else np.nan


def _sd(values: np.ndarray, where: np.ndarray | None = None) -> float:
    if where is not None:
        values = values[where]
    values = values[~np.isnan(values)]
    return float(values.std(ddof=1)) if values.size > 1 else np.nan


def _extreme(values: np.ndarray, largest: bool, where: np.ndarray | None = None) -> float:
    if where is not None:
        values = values[where]
    values = values[~np.isnan(values)]
    if not values.size:
        return np.nan
    return float(values.max() if largest else values.min())


def _rate_per_requisition(a: dict[str, np.ndarray]) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a["interviewed"] > 0, a["offers"] / a["interviewed"], np.nan)


@dataclass(frozen=True)
class Statistic:
    """A summary of a data set of requisitions.

    ``needs``: the columns it reads (all must be in the data); ``fit``: used by the
    fit (else only checked); ``label``: what the report calls it.
    """

    name: str
    label: str
    needs: tuple[str, ...]
    compute: Callable[[dict[str, np.ndarray]], float]
    fit: bool = True


def _held(a: dict[str, np.ndarray]) -> np.ndarray:
    return a["interviewed"] > 0


def _hired(a: dict[str, np.ndarray]) -> np.ndarray:
    return a["hires"] > 0


def _decided(a: dict[str, np.ndarray]) -> np.ndarray:
    return a["cancelled"] == 0


def _quarter(a: dict[str, np.ndarray], q: int) -> np.ndarray:
    return (a["posting_week"] // 13) == q


STATISTICS: tuple[Statistic, ...] = (
    Statistic(
        "applicants_mean", "applicants, mean", ("applicants",), lambda a: _mean(a["applicants"])
    ),
    Statistic("applicants_sd", "applicants, SD", ("applicants",), lambda a: _sd(a["applicants"])),
    Statistic(
        "applicants_min",
        "applicants, fewest",
        ("applicants",),
        lambda a: _extreme(a["applicants"], False),
    ),
    Statistic(
        "applicants_max",
        "applicants, most",
        ("applicants",),
        lambda a: _extreme(a["applicants"], True),
    ),
    Statistic(
        "shortlisted_min",
        "shortlisted, fewest",
        ("shortlisted",),
        lambda a: _extreme(a["shortlisted"], False),
    ),
    Statistic(
        "shortlisted_max",
        "shortlisted, most",
        ("shortlisted",),
        lambda a: _extreme(a["shortlisted"], True),
    ),
    Statistic(
        "shortlisted_mean", "shortlisted, mean", ("shortlisted",), lambda a: _mean(a["shortlisted"])
    ),
    Statistic(
        "shortlisted_sd", "shortlisted, SD", ("shortlisted",), lambda a: _sd(a["shortlisted"])
    ),
    Statistic(
        "no_interviews_share",
        "share with nobody interviewed",
        ("interviewed",),
        lambda a: _mean((a["interviewed"] == 0) + 0.0),
    ),
    Statistic(
        "interviewed_mean",
        "interviewed (when any), mean",
        ("interviewed",),
        lambda a: _mean(a["interviewed"], _held(a)),
    ),
    Statistic(
        "interviewed_sd",
        "interviewed (when any), SD",
        ("interviewed",),
        lambda a: _sd(a["interviewed"], _held(a)),
    ),
    Statistic(
        "internal_share",
        "share of interview slates with an internal",
        ("interviewed", "internal_interviewed"),
        lambda a: _mean(
            (a["internal_interviewed"] > 0) + 0.0, _held(a) & ~np.isnan(a["internal_interviewed"])
        ),
    ),
    Statistic(
        "offer_rate",
        "offers per interviewee",
        ("offers", "interviewed"),
        lambda a: _ratio(a["offers"], a["interviewed"]),
    ),
    Statistic(
        "acceptance_rate",
        "hires per offer",
        ("hires", "offers"),
        lambda a: _ratio(a["hires"], a["offers"]),
    ),
    Statistic(
        "hires_2_share",
        "share of hiring requisitions with 2+ hires",
        ("hires",),
        lambda a: _mean((a["hires"] >= 2) + 0.0, _hired(a)),
    ),
    Statistic(
        "hires_3_share",
        "share of hiring requisitions with 3+ hires",
        ("hires",),
        lambda a: _mean((a["hires"] >= 3) + 0.0, _hired(a)),
    ),
    Statistic(
        "cancelled_share",
        "share cancelled or closed without a hire",
        ("cancelled",),
        lambda a: _mean(a["cancelled"]),
    ),
    Statistic(
        "cancelled_after_interviews_share",
        "share cancelled after interviews",
        ("cancelled", "interviewed"),
        lambda a: _mean(((a["cancelled"] == 1) & _held(a)) + 0.0),
    ),
    Statistic(
        "internal_hire_share",
        "internal share of hires",
        ("internal_hires", "hires"),
        lambda a: _ratio(a["internal_hires"], a["hires"]),
    ),
    *(
        Statistic(
            f"cancelled_share_q{q + 1}",
            f"share cancelled, posted in Q{q + 1}",
            ("cancelled", "posted"),
            lambda a, q=q: _mean(a["cancelled"], _quarter(a, q)),
        )
        for q in range(4)
    ),
    Statistic(
        "process_weeks_mean",
        "weeks to an accepted offer, mean",
        ("posted", "closed"),
        lambda a: _mean(a["process_weeks"], _decided(a)),
    ),
    Statistic(
        "process_weeks_sd",
        "weeks to an accepted offer, SD",
        ("posted", "closed"),
        lambda a: _sd(a["process_weeks"], _decided(a)),
    ),
    Statistic(
        "process_weeks_min",
        "weeks to an accepted offer, fewest",
        ("posted", "closed"),
        lambda a: _extreme(np.round(a["process_weeks"]), False, _decided(a)),
    ),
    Statistic(
        "process_weeks_max",
        "weeks to an accepted offer, most",
        ("posted", "closed"),
        lambda a: _extreme(np.round(a["process_weeks"]), True, _decided(a)),
    ),
    # Checked, not fitted: aspects the fit did not aim at.
    Statistic(
        "offers_sd", "offers per requisition, SD", ("offers",), lambda a: _sd(a["offers"]), False
    ),
    Statistic(
        "offer_rate_sd",
        "offers/interviewed per requisition, SD",
        ("offers", "interviewed"),
        lambda a: _sd(_rate_per_requisition(a)),
        False,
    ),
    Statistic(
        "all_offered_share",
        "share offering every interviewee",
        ("offers", "interviewed"),
        lambda a: _mean((a["offers"] == a["interviewed"]) + 0.0, _held(a)),
        False,
    ),
    Statistic(
        "no_offer_share",
        "share interviewing without any offer",
        ("offers", "interviewed"),
        lambda a: _mean((a["offers"] == 0) + 0.0, _held(a)),
        False,
    ),
)


def data_arrays(data: AtsData) -> dict[str, np.ndarray]:
    """The export as the arrays :func:`requisition_arrays` gives for simulations."""
    arrays = {c: data.counts(c) for c in NUMBERS}
    arrays["posting_week"] = data.posting_week()
    arrays["process_weeks"] = data.process_weeks()
    return arrays


def _columns(data: AtsData) -> set[str]:
    return {c for c in data.frame.columns if data.has(c)}


def applicable(data: AtsData, scenario: Scenario) -> list[Statistic]:
    """The statistics these data can compute (and the scenario can produce)."""
    present = _columns(data)
    most = max(scenario.role.positions)
    return [
        s
        for s in STATISTICS
        if set(s.needs) <= present
        and not (s.name.startswith("hires_") and int(s.name.split("_")[1]) > max(most, 2))
    ]


def summarise(arrays: dict[str, np.ndarray], statistics: Sequence[Statistic]) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.array([s.compute(arrays) for s in statistics])


def _masked(arrays: dict[str, np.ndarray], mask: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Simulated requisitions with the data's missing cells (row i gets data row i % n's)."""
    rows = len(arrays["applicants"])
    out = {}
    for name, values in arrays.items():
        missing = mask.get(name)
        if missing is None:
            out[name] = values
            continue
        tiled = np.resize(missing, rows)
        out[name] = np.where(tiled, np.nan, values)
    return out


# --------------------------------------------------------------------- simulation
class Simulator:
    """Simulated requisitions of scenarios that differ only in parameter values, all
    from the same random draws (common random numbers).

    Draws are made once for the largest shortlist any parameter value can ask for;
    a scenario with a shorter shortlist reads the first slots and the internal's slot,
    exactly what its own draws would hold (the exact top-k sampler is prefix-consistent).
    """

    def __init__(
        self,
        base: Scenario,
        seed: Seed,
        stream: int,
        openings: int,
        top: int,
        first_block: int = 0,
    ):
        self.base = base.model_copy(update={"engine": "exact"})
        layout_scenario = self.base.model_copy(
            update={
                "screening": self.base.screening.model_copy(
                    update={"shortlist": IntRange.model_construct(low=1, high=top)}
                )
            }
        )
        self.top = top
        self.openings = openings
        blocks = math.ceil(openings / BLOCK_OPENINGS)
        self.draws = {
            name: values[:openings]
            for name, values in draw_blocks(
                layout_scenario, seed, stream, first_block, blocks
            ).items()
        }
        self.layout = {name: shape for name, shape, _ in draw_layout(layout_scenario)}
        self.runs = 0

    def _draws_for(self, scenario: Scenario) -> dict[str, np.ndarray]:
        own_top = scenario.screening.shortlist.high
        out = {}
        for name, shape, _ in draw_layout(scenario):
            full = self.draws[name]
            if shape == self.layout.get(name):
                out[name] = full
            elif shape[0] == own_top + 1 and self.layout[name][0] == self.top + 1:
                out[name] = full[:, [*range(own_top), self.top]]
            elif shape[0] == own_top and self.layout[name][0] == self.top:
                out[name] = full[:, :own_top]
            else:  # pragma: no cover - a new draw of another shape: no slicing rule
                raise RuntimeError(f"cannot share draws {name!r} of shape {shape}")
        return out

    def arrays(self, scenario: Scenario) -> dict[str, np.ndarray]:
        self.runs += 1
        scenario = scenario.model_copy(update={"engine": "exact"})
        funnel = simulate_funnel(Model.build(scenario), self._draws_for(scenario))
        return requisition_arrays(funnel)


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


def fit(
    data: AtsData | pd.DataFrame | str,
    scenario: Scenario,
    free: Sequence[str] | Mapping[str, tuple[float, float] | None] | None = None,
    *,
    seed: SeedLike = SCENARIO_SEED,
    settings: FitSettings | None = None,
    columns: Mapping[str, str] | None = None,
    progress: bool = False,
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
    if data.requisitions < MIN_REQUISITIONS:
        raise InputError(
            f"{data.source}: {data.requisitions} requisition rows; the fit needs at least "
            f"{MIN_REQUISITIONS}"
        )
    if free is None:
        free = default_free(scenario, data)
    boxes = dict(free) if isinstance(free, Mapping) else {k: None for k in free}
    parameters = resolve_parameters(scenario, boxes)
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

    shortlists = [p.high for p in parameters if p.key.startswith("screening.shortlist.")]
    top = int(max([scenario.screening.shortlist.high, *shortlists]))
    simulated = int(
        np.clip(settings.replicates * n, settings.min_simulated, settings.max_simulated)
    )
    replicates = simulated / n
    simulator = Simulator(scenario, seed_value, FIT_SIMULATION, simulated, top)
    bar = tqdm(total=None, unit=" simulations", delay=2, disable=not progress, desc="fit")

    def summaries_at(values: np.ndarray, which: Sequence[Parameter]) -> np.ndarray:
        # Statistics of data sets of the observed size (the sample minimum of 500 is
        # not that of 20,000), averaged over the simulated ones.
        arrays = _masked(simulator.arrays(scenario_at(scenario, which, values)), mask)
        bar.update()
        return np.nanmean([summarise(piece, statistics) for piece in _split(arrays, n)], axis=0)

    start = project(parameters, np.array([p.start for p in parameters]), scenario)
    # Weights: 1 / variance of each statistic over data sets of the observed size, from
    # the simulated requisitions at the start cut into `replicates` such data sets.
    start_arrays = _masked(simulator.arrays(scenario_at(scenario, parameters, start)), mask)
    pieces = _split(start_arrays, n)
    variance = np.nanvar(np.array([summarise(p, statistics) for p in pieces]), axis=0, ddof=1)
    weights = np.where(fitted & (variance > 0), 1 / np.maximum(variance, 1e-12), 0.0)

    estimate, objective, jacobian = _gauss_newton(
        summaries_at, observed, weights, parameters, start, scenario, settings.max_iterations
    )
    at_estimate = scenario_at(scenario, parameters, estimate)
    simulated_at_estimate = summaries_at(estimate, parameters)

    # Parametric bootstrap: data sets of the observed size at the estimate.
    bootstrap = _datasets(at_estimate, seed_value, FIT_BOOTSTRAP, settings.draws, n, mask)
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
    checks, distributions = _predictive_checks(
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
        metadata={
            "seed": seed_value.entropy,
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


def _split(arrays: dict[str, np.ndarray], n: int) -> list[dict[str, np.ndarray]]:
    rows = len(arrays["applicants"])
    return [{k: v[i : i + n] for k, v in arrays.items()} for i in range(0, rows - n + 1, n)]


BOOTSTRAP_CHUNK = 50_000  # requisitions simulated at once for the bootstrap (memory)


def _datasets(
    scenario: Scenario,
    seed: Seed,
    stream: int,
    count: int,
    n: int,
    mask: dict[str, np.ndarray],
) -> Iterator[dict[str, np.ndarray]]:
    """``count`` independent data sets of ``n`` requisitions, with the data's missing cells.

    Simulated a chunk of whole blocks at a time, so memory does not grow with ``count``.
    """
    per_chunk = max(1, BOOTSTRAP_CHUNK // n)
    first_block = 0
    for start in range(0, count, per_chunk):
        sets = min(per_chunk, count - start)
        simulator = Simulator(
            scenario, seed, stream, sets * n, scenario.screening.shortlist.high, first_block
        )
        first_block += math.ceil(sets * n / BLOCK_OPENINGS)
        yield from _split(_masked(simulator.arrays(scenario), mask), n)


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


# ------------------------------------------------------- posterior predictive checks
# The export's numbers, the weeks its dates give and offers per interviewee.
DISTRIBUTION_COLUMNS = (*NUMBERS, "process_weeks", "offer_rate")


def _values(arrays: dict[str, np.ndarray], column: str) -> np.ndarray:
    if column == "offer_rate":
        values = _rate_per_requisition(arrays)
    elif column == "process_weeks":
        values = np.where(arrays["cancelled"] == 0, arrays["process_weeks"], np.nan)
    else:
        values = arrays[column]
    return values[~np.isnan(values)]


def _bins(observed: np.ndarray, column: str) -> np.ndarray:
    if column == "offer_rate":
        return np.linspace(0, 1, 11)
    # The observed range: simulated values outside it count in the end bins.
    low, high = np.floor(observed.min()), np.ceil(observed.max())
    if high - low <= 15:
        return np.arange(low - 0.5, high + 1.5)  # one bin per count
    return np.linspace(low, high + 1e-9, 13)


def _shares(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(values, bins[0], bins[-1]), bins)
    return counts / max(values.size, 1)


def predictive_p_values(
    replicated: np.ndarray, observed: np.ndarray, smooth: np.ndarray | None = None
) -> np.ndarray:
    """Two-sided posterior predictive p-values, ``2 min(P(T* >= T), P(T* <= T))``.

    ``replicated`` has shape (data sets, statistics). Counted with the +1 correction,
    a p-value cannot go below ``2 / (data sets + 1)``: 0.0198 with 100 data sets, twice
    the 0.01 that is called extreme, so counting alone cannot tell an observation just
    past every simulated one from one far beyond them. There, for the statistics marked
    ``smooth`` (means, SDs, shares: near normal; default all), the p-value is the normal
    tail of the simulated distribution if that is smaller. The fewest and most of a
    column are skewed and bounded, so they keep the count, except that a value the
    simulations never vary from (the fewest applicants, when the range is known) makes
    any other value extreme.
    """
    smooth = np.ones(observed.shape, bool) if smooth is None else np.asarray(smooth, bool)
    count = np.sum(~np.isnan(replicated), axis=0)
    above = np.nansum(replicated >= observed, axis=0)
    below = np.nansum(replicated <= observed, axis=0)
    p_values = np.minimum(1.0, 2 * (np.minimum(above, below) + 1) / (count + 1))
    beyond = (np.minimum(above, below) == 0) & (count > 1)
    if beyond.any():
        known = replicated[:, beyond]
        mean = np.array([np.mean(c[~np.isnan(c)]) for c in known.T])
        sd = np.array([np.std(c[~np.isnan(c)], ddof=1) for c in known.T])
        with np.errstate(divide="ignore"):
            z = np.abs(observed[beyond] - mean) / sd  # inf where the spread is 0
        tail = np.where(smooth[beyond] | (sd == 0), 2 * ndtr(-z), 1.0)
        p_values[beyond] = np.minimum(p_values[beyond], tail)
    return p_values


def _predictive_checks(
    posterior: pd.DataFrame,
    parameters: Sequence[Parameter],
    base: Scenario,
    seed: Seed,
    count: int,
    n: int,
    mask: dict[str, np.ndarray],
    statistics: Sequence[Statistic],
    observed: np.ndarray,
    observed_arrays: dict[str, np.ndarray],
    bar: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One data set per posterior draw (the first ``count``): p-values and histograms."""
    blocks = math.ceil(n / BLOCK_OPENINGS)
    columns = [
        c for c in DISTRIBUTION_COLUMNS
        if _values(observed_arrays, c).size and (c != "process_weeks" or "process_weeks" in mask)
    ]  # fmt: skip
    bins = {c: _bins(_values(observed_arrays, c), c) for c in columns}
    replicated, histograms = [], {c: [] for c in columns}
    rows = posterior.to_numpy()
    for b in range(count):
        scenario = scenario_at(base, parameters, rows[b % len(rows)])
        scenario = scenario.model_copy(update={"engine": "exact"})
        draws = draw_blocks(scenario, seed, FIT_CHECKS, b * blocks, blocks)
        arrays = requisition_arrays(simulate_funnel(Model.build(scenario), draws))
        arrays = _masked({k: v[:n] for k, v in arrays.items()}, mask)
        replicated.append(summarise(arrays, statistics))
        for c in columns:
            histograms[c].append(_shares(_values(arrays, c), bins[c]))
        bar.update()
    replicated_summaries = np.array(replicated)
    extremes = np.array([s.name.endswith(("_min", "_max")) for s in statistics], bool)
    p_values = predictive_p_values(replicated_summaries, observed, ~extremes)
    checks = pd.DataFrame(
        {
            "statistic": [s.name for s in statistics],
            "label": [s.label for s in statistics],
            "used_in_fit": [s.fit for s in statistics],
            "observed": observed,
            "simulated_median": np.nanmedian(replicated_summaries, axis=0),
            "simulated_q05": np.nanquantile(replicated_summaries, INTERVAL[0], axis=0),
            "simulated_q95": np.nanquantile(replicated_summaries, INTERVAL[1], axis=0),
            "p_value": p_values,
        }
    )
    checks["extreme"] = checks["p_value"] <= EXTREME_P
    rows_out = []
    for c in columns:
        shares = np.array(histograms[c])
        seen = _shares(_values(observed_arrays, c), bins[c])
        for i in range(len(bins[c]) - 1):
            rows_out.append(
                {
                    "column": c,
                    "bin_low": bins[c][i],
                    "bin_high": bins[c][i + 1],
                    "observed_share": seen[i],
                    "simulated_median": float(np.median(shares[:, i])),
                    "simulated_q05": float(np.quantile(shares[:, i], INTERVAL[0])),
                    "simulated_q95": float(np.quantile(shares[:, i], INTERVAL[1])),
                }
            )
    return checks, pd.DataFrame(rows_out)
