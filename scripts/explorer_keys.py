"""Which scenario keys move the headline results most: the explorer's sliders.

For every key of the one-at-a-time sensitivity (``sf.analysis.explore.default_ranges``:
each numeric key +-50% within its valid range), simulate the baseline at the low
and the high value on the same seed and read every headline metric of the
registry. A key's score is its swing in each headline metric divided by the
largest swing of any key in that metric, averaged over the metrics (1 = it moves
every headline result the most). The keys are printed best first as a Markdown
table; the explorer's sliders (``EXPLORER_KEYS`` in
``simfunnel/present/explorer/defaults.py``) are the top six of this list.

    nice -n 10 .venv/bin/python scripts/explorer_keys.py [--openings 20000]

About half a minute on 2 cores at 20,000 openings per point (8 s at 1,000, two
minutes at 100,000).
"""

from __future__ import annotations

import argparse

import pandas as pd

import simfunnel as sf
from simfunnel.analysis.explore import default_ranges
from simfunnel.analysis.points import points_of
from simfunnel.analysis.varied import compound_kind
from simfunnel.metrics import HEADLINE, METRICS, key_label


def ranking(scenario: sf.Scenario, openings: int) -> pd.DataFrame:
    """One row per key: its normalised swing score and its largest swing's metric."""
    # A slider is one number: ranges and role.positions (varied through their means in
    # a sensitivity analysis) have none, so they are not candidates here.
    ranges = {
        k: v for k, v in default_ranges(scenario).items() if compound_kind(scenario, k) is None
    }
    scenarios = [scenario.with_overrides({k: v}) for k in ranges for v in ranges[k]]
    options = sf.RunOptions(openings=openings, workers=None, attribution=True)
    points = points_of(scenarios, options)
    values = pd.DataFrame([p.summary["value"] for p in points])
    # The money value of a hire is a headline metric only where value.salary is set.
    headline = [name for name in HEADLINE if name in values.columns]
    values = values[headline]
    swings = abs(values.iloc[1::2].to_numpy() - values.iloc[0::2].to_numpy())
    swings = pd.DataFrame(swings, index=list(ranges), columns=headline)
    relative = swings / swings.max().where(swings.max() > 0)
    return (
        pd.DataFrame(
            {
                "label": [key_label(k) for k in swings.index],
                "range": [f"{ranges[k][0]:g}-{ranges[k][1]:g}" for k in swings.index],
                "score": relative.mean(axis=1),
                "moves most": relative.idxmax(axis=1).map(lambda m: METRICS[m].label),
            },
            index=swings.index,
        )
        .rename_axis("key")
        .sort_values("score", ascending=False)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="baseline")
    parser.add_argument("--openings", type=int, default=20_000)
    args = parser.parse_args()
    table = ranking(sf.load_scenario(args.config), args.openings)
    print("| rank | key | label | range | score | moves most |")
    print("| ---: | --- | --- | --- | ---: | --- |")
    for rank, (key, row) in enumerate(table.iterrows(), 1):
        print(
            f"| {rank} | `{key}` | {row['label']} | {row['range']} | {row['score']:.2f} "
            f"| {row['moves most']} |"
        )


if __name__ == "__main__":
    main()
