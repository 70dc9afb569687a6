"""Published figures the baseline should reproduce: ``simfunnel validate --benchmarks``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    """A published figure the baseline should reproduce, and its band.

    ``metric`` is a summary metric, or ``"composite_validity"`` (a property of the
    scenario's interview, not a simulated rate).
    """

    metric: str
    label: str
    low: float
    high: float
    source: str


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "applicants_per_opening",
        "Applicants per opening",
        100,
        250,
        "Project premise 100-250; Glassdoor (2015): about 250 per corporate opening",
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
    ),
    Benchmark(
        "internal_share_of_hires",
        "Internal share of hires",
        0.17,
        0.20,
        "LinkedIn Global Talent Trends 2019-2020: 17-20%",
    ),
    Benchmark(
        "days_to_fill",
        "Days to fill",
        36,
        44,
        "SHRM: 36-42 days to fill; Jobvite: 38-41 days to hire",
    ),
    Benchmark(
        "composite_validity",
        "Validity of the whole interview process",
        0.19,
        0.25,
        "Sackett et al. (2022): unstructured interviews .19 (structured .42)",
    ),
)
"""Published figures with their bands: ``simfunnel validate --benchmarks`` and the README."""
