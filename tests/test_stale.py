"""Nothing stale: transcripts, quoted defaults and pictures come from the current code."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
import yaml

import simfunnel as sf

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("transcripts", ROOT / "scripts" / "transcripts.py")
transcripts = importlib.util.module_from_spec(_spec)
sys.modules["transcripts"] = transcripts  # dataclasses look their module up
_spec.loader.exec_module(transcripts)


def test_the_readme_has_transcripts_and_they_are_recognised() -> None:
    found = transcripts.transcripts()
    readme = [t.command for t in found if t.path.name == "README.md"]
    assert any(c.startswith("simfunnel run") for c in readme), readme
    assert any(t.command.startswith("simfunnel you") for t in found)
    assert transcripts.same("simulated in 2.2 s\nA", "simulated in 14.7 s\nA")
    assert not transcripts.same("P(offer) 21.0%", "P(offer) 21.9%")


@pytest.mark.slow
@pytest.mark.parametrize(
    "transcript", transcripts.transcripts(), ids=lambda t: f"{t.path.name}:{t.command[:40]}"
)
def test_every_transcript_is_what_its_command_prints(transcript) -> None:
    printed = transcripts.run(transcript.command)
    assert transcripts.same(transcript.shown, printed), (
        f"stale transcript in {transcript.path.name}: run python scripts/transcripts.py"
    )


_QUOTED_DEFAULT = re.compile(r"`((?:[a-z_]+\.)+[a-z_0-9]+)`([^`()]{0,60})\(?default `?([^`),:\s]+)")


def _default(key: str):
    value = sf.model.scenario.build_scenario({"name": "defaults"})
    for part in key.split("."):
        value = getattr(value, part)
    return value


def test_every_default_model_md_quotes_is_the_schema_default() -> None:
    """`key` ... (default X) in MODEL.md names the schema's default of that key."""
    text = (ROOT / "docs" / "MODEL.md").read_text().replace("\n  ", " ")
    checked = 0
    for key, _, quoted in _QUOTED_DEFAULT.findall(text):
        try:
            expected = _default(key)
        except AttributeError:
            continue
        try:
            value = yaml.safe_load(quoted.strip().rstrip("."))
        except yaml.YAMLError:  # a mapping cut at its comma: role.positions, below
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert float(expected) == pytest.approx(value), (key, quoted, expected)
            checked += 1
    text = (ROOT / "docs" / "MODEL.md").read_text()
    positions = re.search(r"`role\.positions`, default `(\{[^`]+\})`", text.replace("\n  ", " "))
    assert positions and yaml.safe_load(positions[1]) == _default("role.positions")
    assert checked >= 3


def test_a_title_states_the_run_tables_figure_not_a_subsample(baseline_result) -> None:
    """The best interview's bar and title come from the whole run (its summary row),
    though the other ranks come from the kept candidates' subsample, which says so."""
    from simfunnel.analysis.outputs import OfferProbability
    from simfunnel.analysis.outputs.rates import percent

    output = OfferProbability.from_result(baseline_result, "rank")
    whole = baseline_result.summary().loc["top_interview_offer_rate"]
    table = output.to_df()
    best = table[(table["ranked_by"] == "interview score") & (table["rank"] == 1)]
    assert float(best["rate"].iloc[0]) == float(whole["value"])
    assert float(best["ci_low"].iloc[0]) == float(whole["ci_low"])
    assert percent(float(whole["value"])) in output.finding
    assert "(best interview: all)" in output.note
    kept = baseline_result.candidates
    subsample = kept.loc[kept["interview_rank"] == 1, "offer"].mean()
    assert subsample != float(whole["value"])  # the two samples differ: the test can fail


def test_the_tornado_says_how_long_its_base_run_was() -> None:
    import pandas as pd

    from simfunnel.analysis.outputs import Sensitivity

    table = pd.DataFrame(
        {
            "parameter": ["interview.validity"],
            "low": [0.1],
            "high": [0.3],
            "value_low": [0.3],
            "value_high": [0.5],
            "swing": [0.2],
        }
    )
    table.attrs.update(metric="good_interview_offer_rate", base=0.411, openings=20_000)
    assert "41.1% at 20,000 openings per point" in Sensitivity.from_table(table).note
