"""What the explorer shows by default (no Matplotlib: the CLI reads these for its help)."""

from __future__ import annotations

EXPLORER_KEYS: tuple[str, ...] = (
    "internal.quality_sd",
    "interview.validity",
    "offers.decline_probability",
    "screening.validity",
    "manager.niche_value",
    "internal.probability",
)
"""The sliders: the six keys that move the headline results most, in rank order.

From ``nice -n 10 .venv/bin/python scripts/explorer_keys.py`` (20,000 openings per
point, same seed; 24 s on this project's 2-core machine) on the baseline of the model
with composite interview validity, declines, withdrawals and pauses: every key of the
one-at-a-time sensitivity moved +-50% within its valid range, its swing in each
headline metric of the registry divided by the largest swing of any key in that
metric, averaged over the metrics. These six score 0.32, 0.31, 0.27, 0.27, 0.26 and
0.25; the next ones (when final interviews end 0.24, the most offers per opening 0.21,
the decline slope 0.19, cancellation 0.17) move the results less, and the manager's
risk aversion and culture-mirror bias, the talk's mechanisms, only 0.06 and 0.07 at
the baseline's values. At 100,000 openings per point the same six lead (0.32 down to
0.25; the third and fourth swap). ``keys=[...]`` (``sf.explore``) shows any other
numeric keys.
"""

DEFAULT_OPENINGS = 5_000
"""Openings per update. An update (simulation with its reference sample, loss
attribution, output and chart, presentation mode with the baseline's ghost) then costs
0.35-0.45 s of CPU (median of 36 updates of the loss-reasons chart,
``benchmarks/app_update.py``, 2026-12-08; 0.90 s before the explorer kept its draws,
layouts and text) on this project's 2-core machine while other jobs kept its load
average near 2. The
95% CIs at 5,000 openings: about +-0.9 points for the offer rate of good interviews
and for the larger loss reasons, +-2.1 for the internal win rate; a full
``simfunnel run`` of a saved scenario narrows them."""

DEFAULT_PORT = 5006  # Panel's and Bokeh's usual port

CHART_LABELS: dict[str, str] = {
    "funnel": "Funnel",
    "loss_reasons": "Why good interviews lose",
    "offer_probability": "Offer chance by rank in the slate",
    "offer_probability_by_quality": "Offer chance by true quality",
    "margins": "How close decisions are",
    "seasonality": "Cancellations by quarter",
    "felt_vs_actual": "Felt great vs went well",
    "time_to_fill": "Days to fill a role",
}
"""Every chart of one run (those of ``simfunnel run``), as the picker names them."""
