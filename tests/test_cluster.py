"""One run's blocks on a Dask cluster: the same results, bit for bit, as one worker."""

from __future__ import annotations

import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.cli import main

from .conftest import CONFIGS


def test_a_run_on_a_local_cluster_is_identical_to_one_worker(
    baseline: sf.Scenario, tmp_path
) -> None:
    distributed = pytest.importorskip("distributed")
    # Several chunks per worker, a partial last block, attribution and kept frames.
    options = {"seed": 21, "chunk_size": 2_000, "keep_openings": 5_000}
    local = sf.simulate(baseline, 9_500, workers=1, **options)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = sf.simulate(baseline, 9_500, scheduler=cluster.scheduler_address, **options)
        with distributed.Client(cluster) as client:
            on_client = sf.simulate(baseline, 9_500, scheduler=client, **options)
            assert client.status == "running"  # a client passed in is left open
        out = tmp_path / "run"
        code = main(
            [
                "run",
                str(CONFIGS / "baseline.yaml"),
                "--openings",
                "3000",
                "--seed",
                "21",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(out),
                "--formats",
                "none",
                "--quiet",
            ]
        )
    assert code == 0
    for other in (remote, on_client):
        pd.testing.assert_frame_equal(local.statistics, other.statistics, check_exact=True)
        pd.testing.assert_frame_equal(local.openings, other.openings, check_exact=True)
        pd.testing.assert_frame_equal(local.candidates, other.candidates, check_exact=True)
    here = sf.simulate(baseline, 3_000, seed=21, workers=1)
    saved = pd.read_csv(out / "statistics.csv", index_col="metric")
    pd.testing.assert_frame_equal(saved, here.statistics, check_exact=False, rtol=1e-15)


def test_a_bad_scheduler_address_is_an_input_error(baseline: sf.Scenario) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(sf.InputError, match="scheduler nonsense://x:1: not a scheduler address"):
        sf.simulate(baseline, 1_000, seed=1, scheduler="nonsense://x:1")
