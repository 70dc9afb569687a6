"""Write the example per-application table for ``simfunnel audit``.

    python scripts/make_example_applications.py      # examples/applications.csv

A made-up funnel, not the simulator: 60 requisitions of 15-35 applications, each with a
``gender`` and an ``ethnicity`` level drawn at fixed shares, a CV-screen score with a
bias of -0.3 SD against women (an assumption, for the example to show a gap), the top 6
of each requisition shortlisted, 70% of those interviewed, the best interview offered,
80% of offers accepted. The same seed always gives the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261207
REQUISITIONS = 60
SHORTLIST = 6
SCREEN_BIAS_WOMEN = -0.3  # SD units on the CV-screen score: an assumption
GENDER = {"woman": 0.45, "man": 0.55}
ETHNICITY = {"white": 0.6, "black": 0.15, "hispanic": 0.15, "asian": 0.1}


def make(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for requisition in range(1, REQUISITIONS + 1):
        n = int(rng.integers(15, 36))
        gender = rng.choice(list(GENDER), n, p=list(GENDER.values()))
        ethnicity = rng.choice(list(ETHNICITY), n, p=list(ETHNICITY.values()))
        quality = rng.normal(size=n)
        screen = quality + rng.normal(size=n) + SCREEN_BIAS_WOMEN * (gender == "woman")
        stage = np.full(n, "applied", dtype=object)
        shortlisted = np.argsort(-screen)[:SHORTLIST]
        stage[shortlisted] = "shortlisted"
        interviewed = shortlisted[rng.random(SHORTLIST) < 0.7]
        stage[interviewed] = "interviewed"
        if len(interviewed):
            interview = quality[interviewed] + rng.normal(size=len(interviewed))
            best = interviewed[np.argmax(interview)]
            stage[best] = "hired" if rng.random() < 0.8 else "offered"
        for i in range(n):
            rows.append(
                {
                    "requisition": f"R{requisition:03d}",
                    "gender": gender[i],
                    "ethnicity": ethnicity[i],
                    "furthest_stage": stage[i],
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    path = ROOT / "examples" / "applications.csv"
    make().to_csv(path, index=False)
    print(f"wrote {path}")
