"""The bias audit of a per-application table: its tests, its table and its command."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, fisher_exact

from simfunnel.analysis.audit import (
    END_TO_END,
    MIN_EXPECTED,
    audit,
    mid_p,
    ratio_ci,
    two_proportion_z,
)
from simfunnel.cli import main
from simfunnel.io.audit_table import check_applications

COUNTS = [(12, 80, 30, 100), (3, 20, 9, 21), (40, 400, 41, 350), (0, 15, 6, 30), (7, 7, 5, 9)]


def _frame(counts: dict[str, tuple[int, int]], requisitions: int = 40, seed: int = 0):
    """Applications with exactly ``selected`` of ``considered`` hired per level."""
    rng = np.random.default_rng(seed)
    rows = []
    for level, (selected, considered) in counts.items():
        hired = np.zeros(considered, dtype=int)
        hired[:selected] = 1
        for flag in rng.permutation(hired):
            rows.append(
                {
                    "requisition": f"R{rng.integers(requisitions)}",
                    "gender": level,
                    "hired": flag,
                    "name": "Private Person",  # never read, never written
                }
            )
    return pd.DataFrame(rows)


def _audit(counts: dict[str, tuple[int, int]], **kwargs):
    return audit(check_applications(_frame(counts, **kwargs).astype(str), ["gender"]))


# ------------------------------------------------------------- tests against SciPy
@pytest.mark.parametrize(("a", "n", "b", "m"), COUNTS)
def test_fisher_p_in_the_table_equals_scipys_on_the_same_counts(a, n, b, m) -> None:
    table = _audit({"focal": (a, n), "other": (b, m)}, requisitions=10).to_df()
    focal = table[table["level"] == ("focal" if a / n <= b / m else "other")].iloc[0]
    reference = table[table["level"] == focal["reference"]].iloc[0]
    counts = [
        [focal["selected"], focal["considered"] - focal["selected"]],
        [reference["selected"], reference["considered"] - reference["selected"]],
    ]
    if focal["tested"]:
        assert focal["fisher_p"] == pytest.approx(fisher_exact(counts).pvalue, rel=1e-12)
    else:  # too few to test: no p-value at all, never a reassuring one
        assert np.isnan(focal["fisher_p"]) and focal["verdict"].startswith("too few")


@pytest.mark.parametrize(("a", "n", "b", "m"), COUNTS)
def test_mid_p_equals_brute_force_enumeration_of_the_hypergeometric(a, n, b, m) -> None:
    total, chosen = n + m, a + b
    low, high = max(0, chosen - m), min(chosen, n)

    def probability(x: int) -> float:
        return math.comb(n, x) * math.comb(m, chosen - x) / math.comb(total, chosen)

    below = sum(probability(x) for x in range(low, a)) + 0.5 * probability(a)
    above = sum(probability(x) for x in range(a + 1, high + 1)) + 0.5 * probability(a)
    assert mid_p(a, n, b, m) == pytest.approx(min(1.0, 2 * min(below, above)), abs=1e-12)
    assert mid_p(a, n, b, m) <= fisher_exact([[a, n - a], [b, m - b]]).pvalue + 1e-12


@pytest.mark.parametrize(("a", "n", "b", "m"), [c for c in COUNTS if 0 < c[0] + c[2] < c[1] + c[3]])
def test_two_proportion_z_is_scipys_chi_square_without_correction(a, n, b, m) -> None:
    z, p = two_proportion_z(a, n, b, m)
    chi2, p_chi2, _, _ = chi2_contingency([[a, n - a], [b, m - b]], correction=False)
    assert z**2 == pytest.approx(chi2, rel=1e-10)
    assert p == pytest.approx(p_chi2, rel=1e-10)
    assert np.sign(z) == np.sign(a / n - b / m)


def test_two_proportion_z_matches_statsmodels() -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for a, n, b, m in COUNTS[:3]:
        z, p = proportion.proportions_ztest([a, b], [n, m])
        assert two_proportion_z(a, n, b, m) == pytest.approx((z, p), rel=1e-10)


def test_clustered_ci_with_one_application_per_cluster_is_katzs_interval() -> None:
    a, n, b, m = 30, 200, 60, 250
    # One application per cluster: focal ones first, then the reference's.
    focal = np.r_[np.ones(a), np.zeros(n - a), np.zeros(m)]
    focal_n = np.r_[np.ones(n), np.zeros(m)]
    reference = np.r_[np.zeros(n), np.ones(b), np.zeros(m - b)]
    reference_n = np.r_[np.zeros(n), np.ones(m)]
    low, high = ratio_ci(focal, focal_n, reference, reference_n)
    clusters = n + m
    se = math.sqrt((1 / a - 1 / n + 1 / b - 1 / m) * clusters / (clusters - 1))
    ratio = (a / n) / (b / m)
    assert low == pytest.approx(ratio * math.exp(-1.959963984540054 * se), rel=1e-10)
    assert high == pytest.approx(ratio * math.exp(1.959963984540054 * se), rel=1e-10)


# ------------------------------------------------------------- the table and finding
def test_impact_ratio_four_fifths_and_shortfall_from_counts() -> None:
    table = _audit({"a": (30, 100), "b": (40, 200)}).to_df()
    b = table[table["level"] == "b"].iloc[0]
    assert b["reference"] == "a" and b["impact_ratio"] == pytest.approx(0.2 / 0.3)
    assert b["below_four_fifths"] and b["tested"]
    assert b["shortfall"] == pytest.approx(200 * 0.3 - 40)  # hires at the reference's rate
    assert b["ci_low"] < b["impact_ratio"] < b["ci_high"]


def test_a_level_too_small_is_never_reported_as_free_of_impact() -> None:
    # 4 applicants at a pooled rate near 0.25: one expected hire, under Cochran's 5.
    table = _audit({"large": (50, 200), "tiny": (1, 4), "mid": (30, 150)}).to_df()
    tiny = table[table["level"] == "tiny"].iloc[0]
    assert MIN_EXPECTED > 4 * 81 / 354
    assert not tiny["tested"] and np.isnan(tiny["fisher_p"]) and np.isnan(tiny["ci_low"])
    assert tiny["verdict"].startswith("too few to test")
    assert "not flagged" not in tiny["verdict"]


def test_stages_end_to_end_and_intersections() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    frame = pd.DataFrame(
        {
            "requisition_id": rng.integers(0, 50, n),
            "sex": rng.choice(["f", "m"], n),
            "race": rng.choice(["x", "y", "z"], n),
            "furthest_stage": rng.choice(
                ["applied", "screened", "interviewed", "offered", "hired"],
                n,
                p=[0.6, 0.2, 0.1, 0.03, 0.07],
            ),
        }
    )
    result = audit(check_applications(frame.astype(str), ["sex", "race"]))
    table = result.to_df()
    assert result.attributes == ("sex", "race", "sex × race")
    assert list(dict.fromkeys(table["stage"])) == [
        "shortlisted",
        "interviewed",
        "offered",
        "hired",
        END_TO_END,
    ]
    assert set(table.loc[table["attribute"] == "sex × race", "level"]) == {
        f"{s} × {r}" for s in "fm" for r in "xyz"
    }
    hired = (frame["furthest_stage"] == "hired") & (frame["sex"] == "f")
    end = table[(table["stage"] == END_TO_END) & (table["level"] == "f")].iloc[0]
    assert end["selected"] == hired.sum() and end["considered"] == (frame["sex"] == "f").sum()
    # Each stage's considered are the stage before's selected.
    f = table[(table["level"] == "f") & (table["stage"] != END_TO_END)]
    assert (f["considered"].to_numpy()[1:] == f["selected"].to_numpy()[:-1]).all()


def test_the_finding_names_the_confirmed_gap() -> None:
    result = _audit({"a": (60, 200), "b": (20, 200)})
    assert result.finding.startswith("Applicants with gender b are hired at 0.33")
    assert "Fisher p < 0.001" in result.finding
    quiet = _audit({"a": (50, 200), "b": (49, 200)})
    assert quiet.finding.startswith("No level of gender is selected at under four-fifths")


def test_the_chart_draws_a_row_per_stage_and_a_bar_per_level(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    result = _audit({"a": (60, 200), "b": (20, 200)})
    ax = result.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["hired\n(of applicants)"]
    assert len(ax.patches) == 4  # a track and a bar per level
    assert ax.get_title(loc="left").startswith("Applicants with gender b")


# ------------------------------------------------------------- the command
def _write(tmp_path: Path, frame: pd.DataFrame) -> str:
    path = tmp_path / "applications.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_audit_command_writes_the_table_and_charts(tmp_path: Path, capsys) -> None:
    data = _write(tmp_path, _frame({"a": (60, 200), "b": (20, 200)}))
    out = tmp_path / "audit"
    assert main(["audit", data, "--group", "gender", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "below four-fifths, significant" in printed
    assert {"audit.csv", "audit.md", "rates_gender.png"} <= {p.name for p in out.iterdir()}
    written = "".join(p.read_text() for p in out.glob("audit.*"))
    assert "Private Person" not in written and "Private Person" not in printed
    assert pd.read_csv(out / "audit.csv")["level"].tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.drop(columns="gender"), "--group 'gender': no such column"),
        (lambda f: f.assign(gender="a"), "one level only"),
        (lambda f: f.assign(gender=f["gender"].where(f.index != 5)), "row 7, column gender: miss"),
        (lambda f: f.assign(gender=f["name"] + f.index.astype(str)), "distinct values"),
        (lambda f: f.drop(columns="requisition"), "missing required column requisition"),
        (lambda f: f.drop(columns="hired"), "no stage outcomes"),
        (
            lambda f: f.assign(hired=f["hired"].astype(str).where(f.index != 3, "maybe")),
            "row 5, column hired: expected 1 or 0",
        ),
        (lambda f: f.assign(offered=0), "1 after a 0 at an earlier stage"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, change, expected) -> None:
    frame = change(_frame({"a": (60, 200), "b": (20, 200)}))
    data = _write(tmp_path, frame)
    code = main(["audit", data, "--group", "gender", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err
    assert "Private Person" not in err
    assert not (tmp_path / "out").exists()


def test_too_many_rows_are_refused_not_cut(tmp_path: Path, capsys, monkeypatch) -> None:
    import dataclasses

    import simfunnel.io.audit_table as audit_table

    small = dataclasses.replace(audit_table.AUDIT_TABLE, max_rows=50)
    monkeypatch.setattr(audit_table, "AUDIT_TABLE", small)
    data = _write(tmp_path, _frame({"a": (30, 60), "b": (20, 60)}))
    assert main(["audit", data, "--group", "gender", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "too many rows (over 50)" in err and err.count("\n") == 1


def test_level_names_are_printable_and_short() -> None:
    frame = _frame({"a\x1b[31m" + "x" * 60: (30, 100), "b": (20, 100)}).astype(str)
    table = audit(check_applications(frame, ["gender"])).to_df()
    assert all(name.isprintable() and len(name) <= 40 for name in table["level"])
