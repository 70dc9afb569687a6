"""What the fit compares: summaries of a data set of requisitions, and simulated data sets.

:data:`STATISTICS` reduce an export (or a simulated one) to the numbers the fit matches
and the checks compare (MODEL.md section 7); :class:`Simulator` turns a scenario into
requisitions on fixed random draws (common random numbers), and :func:`datasets`
simulates independent data sets of the export's size with its missing cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from simfunnel.analysis.requisitions import requisition_arrays
from simfunnel.io.ats import NUMBERS, AtsData
from simfunnel.model.engine import Model, draw_blocks, draw_layout, simulate_funnel
from simfunnel.model.rng import BLOCK_OPENINGS, Seed
from simfunnel.model.scenario import IntRange, Scenario

# Child streams of the fit's seed (distinct from simfunnel.model.rng's 0-5).
FIT_SIMULATION, FIT_BOOTSTRAP, FIT_CHECKS = 100, 101, 102
INTERVAL = (0.05, 0.95)  # the fit's intervals and the checks' simulated ranges: 90%


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


def rate_per_requisition(a: dict[str, np.ndarray]) -> np.ndarray:
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
        lambda a: _sd(rate_per_requisition(a)),
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


def masked(arrays: dict[str, np.ndarray], mask: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
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
def shared_layout(base: Scenario, top: int) -> Scenario:
    """The scenario whose draws :class:`Simulator` makes: ``base`` on the exact engine
    with shortlists of up to ``top`` (not validated: only its draw layout is used)."""
    exact = base.model_copy(update={"engine": "exact"})
    return exact.model_copy(
        update={
            "screening": exact.screening.model_copy(
                update={"shortlist": IntRange.model_construct(low=1, high=top)}
            )
        }
    )


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
        layout_scenario = shared_layout(base, top)
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


def split_datasets(arrays: dict[str, np.ndarray], n: int) -> list[dict[str, np.ndarray]]:
    rows = len(arrays["applicants"])
    return [{k: v[i : i + n] for k, v in arrays.items()} for i in range(0, rows - n + 1, n)]


BOOTSTRAP_CHUNK = 50_000  # requisitions simulated at once for the bootstrap (memory)


def datasets(
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
        yield from split_datasets(masked(simulator.arrays(scenario), mask), n)
