"""Published figures the baseline should reproduce: ``simfunnel validate --benchmarks``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    """A published figure the baseline should reproduce, and its band.

    ``metric`` is a summary metric, or ``"composite_validity"`` (a property of the
    scenario's interview, not a simulated rate).

    ``kind`` says what a miss means (``simfunnel validate --benchmarks``):

    - ``"input"``: the figure is set directly by the keys in ``set_by`` (applicants per
      opening *is* ``applicants.count``); shown, never judged.
    - ``"calibration"``: the baseline's keys in ``set_by`` were tuned to hit it; judged
      only for a scenario with the baseline's parameters (a story that changes them
      moves it by design).
    - ``"check"``: nothing was tuned to it; judged for every scenario.
    """

    metric: str
    label: str
    low: float
    high: float
    source: str
    kind: str = "check"
    set_by: tuple[str, ...] = ()


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "applicants_per_opening",
        "Applicants per opening",
        100,
        250,
        "Project premise 100-250; Glassdoor (2015): about 250 per corporate opening",
        kind="input",
        set_by=("applicants.count",),
    ),
    Benchmark(
        "offer_rate_interviewed",
        "Interviews that lead to an offer",
        0.17,
        0.28,
        "Jobvite Recruiting Benchmark Reports 2015-2017: 17-28%",
    ),
    Benchmark(
        "offer_rate_interviewed",
        "Interviews that lead to an offer (commonly quoted)",
        0.15,
        0.25,
        "Commonly quoted recruiting rule of thumb: 15-25%",
    ),
    Benchmark(
        "offer_acceptance_rate",
        "Offers accepted",
        0.83,
        0.90,
        "PwC Saratoga 2022: 84%; Jobvite: 88-90%; Glassdoor: 82.7%",
        kind="calibration",
        set_by=("offers.decline_probability",),
    ),
    Benchmark(
        "internal_share_of_hires",
        "Internal share of hires",
        0.17,
        0.20,
        "LinkedIn Global Talent Trends 2019-2020: 17-20%",
        kind="calibration",
        set_by=("internal.probability",),
    ),
    Benchmark(
        "days_to_fill",
        "Days to fill",
        36,
        44,
        "SHRM: 36-42 days to fill; Jobvite: 38-41 days to hire",
        kind="calibration",
        set_by=("role.process_weeks",),
    ),
    Benchmark(
        "composite_validity",
        "Validity of the whole interview process",
        0.19,
        0.25,
        "Sackett et al. (2022): unstructured interviews .19 (structured .42)",
        kind="input",
        set_by=("interview.rounds", "interview.validity", "interview.presence_share"),
    ),
)
"""Published figures with their bands: ``simfunnel validate --benchmarks`` and the README."""

BENCHMARK_KINDS = ("input", "calibration", "check")
