"""Compare, sweep, sensitivity, precision control, Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.analysis.explore import default_ranges, parse_vary, run_points
from simfunnel.cli import main

from .conftest import CONFIGS


def test_comparing_a_scenario_with_itself_gives_exactly_zero(baseline: sf.Scenario) -> None:
    twin = baseline.with_overrides({"name": "twin"})
    comparison = sf.compare([baseline, twin], 3_000, seed=1, attribution=False)
    differences = comparison.differences.dropna(subset=["difference"])
    assert (differences.difference == 0).all()
    assert (differences.se == 0).all()


def test_paired_ci_is_narrower_than_unpaired(baseline: sf.Scenario) -> None:
    panels = sf.load_scenario(CONFIGS / "structured_panels.yaml")
    comparison = sf.compare([baseline, panels], 10_000, seed=2, attribution=False)
    row = comparison.differences.set_index("metric").loc["good_interview_offer_rate"]
    paired, unpaired = row.ci_high - row.ci_low, row.unpaired_ci_high - row.unpaired_ci_low
    assert paired < 0.75 * unpaired
    # the paired SE is an honest one: it matches the spread of differences over seeds
    assert row.ci_low > 0  # structured interviews help good interviewees


@pytest.mark.slow
def test_paired_se_matches_spread_over_independent_seeds(baseline: sf.Scenario) -> None:
    panels = sf.load_scenario(CONFIGS / "structured_panels.yaml")
    estimates, ses = [], []
    for seed in range(12):
        row = sf.compare([baseline, panels], 2_000, seed=seed, attribution=False).differences
        row = row.set_index("metric").loc["good_interview_offer_rate"]
        estimates.append(row.difference)
        ses.append(row.se)
    ratio = np.std(estimates, ddof=1) / np.mean(ses)
    assert 0.5 < ratio < 1.6  # 12 replicates: the SD of an SD estimate is ~21%


def test_compare_results_equal_individual_runs(baseline: sf.Scenario) -> None:
    risky = sf.load_scenario(CONFIGS / "risk_averse_manager.yaml")
    comparison = sf.compare([baseline, risky], 2_000, seed=3)
    alone = sf.simulate(risky, 2_000, seed=3)
    pd.testing.assert_frame_equal(comparison.results[1].summary(), alone.summary())


def test_sweep_equals_individual_runs_and_workers_agree(baseline: sf.Scenario) -> None:
    vary = {"manager.risk_aversion": [0.0, 1.0, 2.0]}
    one = sf.sweep(baseline, vary, 2_000, seed=4, workers=1)
    two = sf.sweep(baseline, vary, 2_000, seed=4, workers=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    single = sf.simulate(
        baseline.with_overrides({"manager.risk_aversion": 1.0}), 2_000, seed=4, attribution=False
    )
    rows = one[one["manager.risk_aversion"] == 1.0].set_index("metric")
    np.testing.assert_array_equal(
        rows.value.to_numpy(), single.summary().loc[rows.index, "value"].to_numpy()
    )
    # every metric but those needing attribution, and money (no salary is set)
    assert len(one) == 3 * (len(sf.metrics.METRICS) - len(sf.metrics.ATTRIBUTION_METRICS) - 1)


def test_two_dimensional_sweep_and_parse_vary(baseline: sf.Scenario) -> None:
    key, values = parse_vary("interview.rounds=1:5:3", baseline)
    assert key == "interview.rounds" and values == [1, 3, 5]
    assert parse_vary("manager.risk_aversion=0,0.5", baseline)[1] == [0.0, 0.5]
    with pytest.raises(sf.InputError, match="did you mean"):
        parse_vary("manager.risk_aversoin=0:1:2", baseline)
    with pytest.raises(sf.InputError, match="only numeric keys"):
        parse_vary("engine=0:1:2", baseline)
    with pytest.raises(
        sf.InputError, match=r"^vary manager.risk_aversion: grid value 20 is invalid"
    ):
        sf.sweep(baseline, dict([parse_vary("manager.risk_aversion=0:30:4", baseline)]), 1_000)
    table = sf.sweep(
        baseline,
        {"interview.rounds": [1, 3], "interview.validity": [0.2, 0.4]},
        1_000,
        seed=5,
        metrics=["good_interview_offer_rate"],
        workers=1,
    )
    assert len(table) == 4 and set(table.columns) >= {
        "interview.rounds",
        "interview.validity",
        "value",
    }


def test_precision_control_stops_below_target(baseline: sf.Scenario) -> None:
    target = 0.01
    result = sf.simulate(
        baseline,
        200_000,
        seed=6,
        attribution=False,
        target_ci={"good_interview_offer_rate": target},
    )
    row = result.summary().loc["good_interview_offer_rate"]
    assert row.ci_high - row.value <= target
    assert result.metadata["openings"] < 200_000
    again = sf.simulate(
        baseline,
        200_000,
        seed=6,
        attribution=False,
        workers=2,
        chunk_size=3_000,
        target_ci={"good_interview_offer_rate": target},
    )
    assert again.metadata["openings"] == result.metadata["openings"]
    with pytest.raises(sf.InputError, match="unknown metric"):
        sf.simulate(baseline, 20_000, seed=6, target_ci={"nope": 0.1})


def test_sensitivity_ranks_parameters(baseline: sf.Scenario) -> None:
    ranges = default_ranges(baseline)
    assert ranges["manager.risk_aversion"] == (0.25, 0.75)
    assert ranges["interview.validity"] == pytest.approx((0.08, 0.24))
    picked = {
        k: ranges[k]
        for k in ("interview.validity", "manager.affinity_weight", "applicants.niche_share")
    }
    table = sf.sensitivity(baseline, ranges=picked, openings=4_000, seed=7, workers=1)
    assert table.parameter.iloc[0] == "interview.validity"  # interview noise moves it most
    assert table.swing.is_monotonic_decreasing


def test_dask_local_cluster_gives_identical_tables(baseline: sf.Scenario) -> None:
    distributed = pytest.importorskip("distributed")
    scenarios = [baseline.with_overrides({"manager.risk_aversion": r}) for r in (0.0, 1.0)]
    local = run_points(scenarios, 1_000, 8, workers=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_points(scenarios, 1_000, 8, scheduler=cluster.scheduler_address)
    for a, b in zip(local, remote, strict=True):
        pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
        assert (a.openings, a.seed) == (b.openings, b.seed)


def test_cli_compare_sweep_sensitivity(tmp_path, capsys) -> None:
    base, panels = str(CONFIGS / "baseline.yaml"), str(CONFIGS / "structured_panels.yaml")
    assert (
        main(
            [
                "compare",
                base,
                panels,
                "--openings",
                "2000",
                "--out",
                str(tmp_path / "c"),
                "--formats",
                "none",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert "width" in capsys.readouterr().out
    assert (tmp_path / "c" / "differences.csv").exists()
    assert (
        main(
            [
                "sweep",
                base,
                "--vary",
                "manager.risk_aversion=0:2:3",
                "--openings",
                "1000",
                "--metric",
                "internal_win_rate",
                "--out",
                str(tmp_path / "s"),
                "--formats",
                "none",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert (tmp_path / "s" / "sweep.csv").exists()
    assert (
        main(
            [
                "run",
                base,
                "--openings",
                "200000",
                "--target-ci",
                "hire_rate=0.01",
                "--out",
                str(tmp_path / "r"),
                "--formats",
                "none",
                "--quiet",
            ]
        )
        == 0
    )
    with pytest.raises(SystemExit) as info:
        main(["run", base, "--target-ci", "hire_rate"])
    assert info.value.code == 2
    assert main(["compare", base]) == 2
    assert "at least two scenarios" in capsys.readouterr().err


def test_sobol_finds_the_parameter_that_matters(baseline: sf.Scenario) -> None:
    pytest.importorskip("SALib")
    from simfunnel.analysis.explore import sobol

    ranges = {
        "interview.validity": (0.1, 0.6),
        "manager.affinity_weight": (0.0, 0.6),
        "offers.internal_decline_probability": (0.0, 0.1),
    }
    quick = baseline.with_overrides({"analysis.pilot_openings": 2_000})
    table = sobol(quick, ranges=ranges, samples=16, openings=1_000, seed=9, workers=1)
    assert table.parameter[0] == "interview.validity"
    top = table.iloc[0]
    assert top.ST > 0.5 and table.ST.iloc[1:].max() + 0.3 < top.ST


# ------------------------------------------------- bounded memory of grid points
def test_grid_points_keep_only_summary_rows(baseline: sf.Scenario, monkeypatch) -> None:
    import pickle

    from simfunnel.analysis import points as explore

    seen = []

    def spy(*args, **kwargs):
        result = sf.simulate(*args, **kwargs)
        seen.append(result)
        return result

    monkeypatch.setattr(explore, "simulate", spy)
    scenarios = [baseline.with_overrides({"manager.risk_aversion": r}) for r in (0.0, 1.0)]
    points = run_points(scenarios, 2_000, 8, workers=1, metrics=["hire_rate"])
    # the simulation itself keeps no per-opening or candidate rows ...
    assert all(r.openings.empty and r.candidates.empty for r in seen)
    # ... and a point is one summary row, a few hundred bytes pickled
    for point in points:
        assert isinstance(point, explore.Point)
        assert list(point.summary.index) == ["hire_rate"]
        assert list(point.summary.columns) == ["value", "ci_low", "ci_high", "se"]
        assert point.openings == 2_000 and point.seed == 8
        assert len(pickle.dumps(point)) < 4_000
    every = run_points(scenarios[:1], 2_000, 8, workers=1)[0]
    assert len(pickle.dumps(every)) < 16_000
    # the same numbers as a full run
    full = sf.simulate(scenarios[1], 2_000, 8, attribution=False).summary()
    assert points[1].summary.at["hire_rate", "value"] == full.at["hire_rate", "value"]


def test_sweep_refuses_a_key_varied_twice(baseline: sf.Scenario) -> None:
    vary = [("manager.risk_aversion", [0.0, 1.0]), ("manager.risk_aversion", [2.0])]
    with pytest.raises(sf.InputError, match=r"^vary manager.risk_aversion: given twice"):
        sf.sweep(baseline, vary, 1_000)
    table = sf.sweep(
        baseline, [("manager.risk_aversion", [0.0])], 1_000, seed=3, metrics=["hire_rate"]
    )
    assert len(table) == 1 and table.metric[0] == "hire_rate"
    assert table.attrs["openings"] == 1_000 and table.attrs["seed"] == 3


# ------------------------------------------------------- hostile --scheduler
@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never says a word."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []

    def serve() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for connection in accepted:
        connection.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_silent_scheduler_times_out(baseline: sf.Scenario, silent_server, monkeypatch) -> None:
    pytest.importorskip("distributed")
    import time

    from simfunnel.analysis import points as explore

    monkeypatch.setattr(explore, "CONNECT_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(sf.InputError, match=r"no Dask scheduler answered within 0.5 s"):
        run_points([baseline], 1_000, 1, scheduler=silent_server)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("nonsense://127.0.0.1:1", "not a scheduler address"),
        ("tcp://127.0.0.1:notaport", "not a scheduler address"),
        ("tcp://127.0.0.1:{closed}", "no Dask scheduler answered within 0.5 s"),
    ],
)
def test_bad_scheduler_addresses_are_input_errors(
    baseline: sf.Scenario, monkeypatch, address: str, message: str
) -> None:
    pytest.importorskip("distributed")
    from simfunnel.analysis import points as explore

    monkeypatch.setattr(explore, "CONNECT_TIMEOUT", 0.5)
    address = address.format(closed=_closed_port())
    with pytest.raises(sf.InputError, match=rf"^scheduler {address}: {message}"):
        run_points([baseline], 1_000, 1, scheduler=address)


def test_a_scheduler_without_workers_times_out(baseline: sf.Scenario, monkeypatch) -> None:
    distributed = pytest.importorskip("distributed")
    from simfunnel.analysis import points as explore

    monkeypatch.setattr(explore, "HEARTBEAT", 0.2)
    monkeypatch.setattr(explore, "NO_WORKERS_TIMEOUT", 0.5)
    with (
        distributed.LocalCluster(n_workers=0, dashboard_address=None) as cluster,
        pytest.raises(sf.InputError, match=r"no Dask worker connected within 0.5 s"),
    ):
        run_points([baseline], 1_000, 1, scheduler=cluster.scheduler_address)


def test_cli_reports_a_silent_scheduler_in_one_line(
    silent_server, monkeypatch, capsys, tmp_path
) -> None:
    pytest.importorskip("distributed")
    from simfunnel.analysis import points as explore

    monkeypatch.setattr(explore, "CONNECT_TIMEOUT", 0.5)
    argv = ["sweep", str(CONFIGS / "baseline.yaml"), "--vary", "manager.risk_aversion=0,1"]
    argv += ["--scheduler", silent_server, "--formats", "none", "--out", str(tmp_path / "s")]
    code = main(argv)
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "no Dask scheduler answered" in error


def test_default_ranges_read_bounds_from_the_fields(baseline: sf.Scenario) -> None:
    from simfunnel.analysis.sensitivities import _numeric_parameters
    from simfunnel.model.scenario import describe_keys

    found = {key: bounds for key, _, bounds in _numeric_parameters(baseline)}
    assert found["manager.risk_aversion"][0] == 0
    assert "applicants.count" not in found  # a range, not a number
    assert set(found) <= {row["key"] for row in describe_keys()}
    from simfunnel.analysis.varied import compound_kind, varied_scenario, varied_value

    for key, (low, high) in default_ranges(baseline).items():
        if compound_kind(baseline, key):  # a range or role.positions: through its mean
            assert low < varied_value(baseline, key) < high
        else:
            lower, upper = found[key]
            assert lower <= low < high <= upper
        varied_scenario(baseline, {key: low})  # both ends are valid values
        varied_scenario(baseline, {key: high})


def test_dying_or_mismatched_workers_are_input_errors() -> None:
    distributed = pytest.importorskip("distributed")
    from simfunnel.analysis.points import _collect

    class Failed:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def result(self):
            raise self.error

    died = Failed(distributed.KilledWorker("point-1", "tcp://10.0.0.2:4000", 3))
    with pytest.raises(sf.InputError, match=r"^scheduler tcp://x:1: Dask workers died"):
        _collect(died, "tcp://x:1")
    missing = Failed(ModuleNotFoundError("No module named 'simfunnel'"))
    with pytest.raises(sf.InputError, match="cannot run simfunnel tasks"):
        _collect(missing, "tcp://x:1")
    with pytest.raises(ZeroDivisionError):  # our own bugs stay internal errors
        _collect(Failed(ZeroDivisionError()), "tcp://x:1")


def test_compare_without_frames_keeps_names_and_numbers(baseline: sf.Scenario) -> None:
    risky = sf.load_scenario(CONFIGS / "risk_averse_manager.yaml")
    full = sf.compare([baseline, risky], 2_000, seed=3, attribution=False)
    lean = sf.compare([baseline, risky], 2_000, seed=3, attribution=False, keep_frames=False)
    assert all(r.openings.empty and r.candidates.empty for r in lean.results)
    assert not full.results[0].openings.empty and not full.results[0].candidates.empty
    pd.testing.assert_frame_equal(lean.table(), full.table())
    pd.testing.assert_frame_equal(lean.differences, full.differences)
