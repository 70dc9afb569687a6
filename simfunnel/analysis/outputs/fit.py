"""The result of ``simfunnel fit``: parameters, draws, checks, and the fitted scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simfunnel.analysis.outputs.base import Output
from simfunnel.errors import InputError
from simfunnel.io.files import atomic_write
from simfunnel.model.parameters import widened_box

PARAMETER_COLUMNS = (
    "parameter",
    "role",
    "prior_low",
    "prior_high",
    "prior_value",
    "median",
    "q05",
    "q95",
    "width_ratio",
    "at_edge",
    "widen",
    "identified",
)
# Files of a fit folder, besides the charts and the manifest.
FIT_FILES = (
    "fitted.yaml",
    "base_scenario.yaml",
    "posterior.csv",
    "parameters.csv",
    "checks.csv",
    "distributions.csv",
    "flagged.csv",
    "fit.json",
)
# Charts of a fit folder: posterior predictive checks.
FIT_CHARTS = ("check_offer_rate", "check_columns")


EDGE_TOLERANCE = 1e-3  # of the box's width: an interval end this close is at the edge


def at_edge(parameter: Any, median: float, q05: float, q95: float) -> str:
    """``"low"``/``"high"`` when the estimate or its 90% interval reaches that end of
    the prior box (the box then bounds the parameter, not the data), else ``""``."""
    tolerance = EDGE_TOLERANCE * parameter.width
    if median <= parameter.low + tolerance or q05 <= parameter.low + tolerance:
        return "low"
    if median >= parameter.high - tolerance or q95 >= parameter.high - tolerance:
        return "high"
    return ""


def _listed(names: list[str], shown: int = 3, separator: str = ", ") -> str:
    """``a, b, c and 14 more``."""
    if len(names) <= shown + 1:
        return separator.join(names)
    return f"{separator.join(names[:shown])} and {len(names) - shown} more"


def format_value(value: float, integer: bool = False) -> str:
    if integer:
        return f"{round(value):d}"
    if value == 0:
        return "0"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


class FitResult(Output):
    """A fitted scenario with its uncertainty and its posterior predictive checks.

    Attributes
    ----------
    scenario : Scenario
        The given scenario with every fitted key at its posterior median.
    base : Scenario
        The given scenario (the prior).
    posterior : DataFrame, shape (draws, free parameters)
        Draws of the free parameters (parametric bootstrap, clipped to the prior box).
    checks : DataFrame
        One row per summary statistic: observed, simulated 90% range, p-value.
    distributions : DataFrame
        Per column and bin: observed share of requisitions and the simulated 90% band.
    flags : DataFrame
        Requisitions to look at, by id: far outliers, two or more internals, open ones
        (:func:`~simfunnel.analysis.fit_flags.flagged_requisitions`).
    metadata : dict
        Seed, sizes, elapsed seconds.
    """

    chart = "fit:draw_offer_rate_check"

    def __init__(self, table, finding, note="", *, scenario=None, base=None, posterior=None,
                 checks=None, distributions=None, metadata=None, flags=None) -> None:  # fmt: skip
        super().__init__(table, finding, note)
        self.scenario = scenario
        self.base = base
        self.posterior = posterior if posterior is not None else pd.DataFrame()
        self.checks = checks if checks is not None else pd.DataFrame()
        self.distributions = distributions if distributions is not None else pd.DataFrame()
        self.metadata = dict(metadata or {})
        self.flags = flags if flags is not None else pd.DataFrame()

    @property
    def uncertain_scenario(self) -> Any:
        """The fitted scenario drawing its fitted keys from the posterior, one draw per
        block of openings: its runs carry the fit's uncertainty (MODEL.md section 8)."""
        values = self.posterior.to_numpy(dtype=float).tolist()
        draws = {"columns": list(self.posterior.columns), "draws": values, "source": "fit"}
        return self.scenario.with_overrides({"posterior": draws, "name": self.scenario.name})

    @classmethod
    def from_state(cls, state: Any) -> FitResult:
        """From what :func:`simfunnel.analysis.fit.fit` computed."""
        rows = []
        for role, parameters, draws in (
            ("fitted", state.parameters, state.posterior),
            ("kept", state.checked, state.checked_draws),
        ):
            for p in parameters:
                values = draws[p.key].to_numpy()
                q05, median, q95 = np.quantile(values, [0.05, 0.5, 0.95])
                if p.integer:
                    q05, median, q95 = np.floor(q05), np.round(median), np.ceil(q95)
                ratio = (q95 - q05) / (0.9 * p.width)
                edge = at_edge(p, median if role == "fitted" else p.start, q05, q95)
                wider = widened_box(state.base, p, edge) if edge else None
                rows.append(
                    {
                        "parameter": p.key,
                        "role": role,
                        "prior_low": p.low,
                        "prior_high": p.high,
                        "prior_value": p.start,
                        "median": median if role == "fitted" else p.start,
                        "q05": q05,
                        "q95": q95,
                        "width_ratio": ratio,
                        "at_edge": edge,
                        "widen": (
                            f"--prior {p.key}={format_value(wider[0], p.integer)}:"
                            f"{format_value(wider[1], p.integer)}"
                            if wider
                            else ""
                        ),
                        # The prior box, not the data, bounds a parameter at its edge:
                        # its interval is cut there, so its width proves nothing.
                        "identified": bool(ratio <= 0.5) and not edge,
                        "integer": p.integer,
                    }
                )
        table = pd.DataFrame(rows)
        fitted = table[table["role"] == "fitted"]
        checks = state.checks
        extreme = checks[checks["extreme"]]
        identified = int(fitted["identified"].sum())
        finding = (
            f"{identified} of {len(fitted)} fitted parameters are identified by "
            f"{state.metadata['requisitions']:,} requisitions"
        )
        at_edges = fitted[fitted["at_edge"] != ""]
        if len(at_edges):
            how = [
                f"{row.parameter}: widen with {row.widen}"
                if row.widen
                else f"{row.parameter}: at the {row.at_edge} limit the key allows"
                for row in at_edges.itertuples()
            ]
            one = len(at_edges) == 1
            finding += (
                f"; {len(at_edges)} {'sits' if one else 'sit'} at the edge of "
                f"{'its' if one else 'their'} prior box, bounded by the prior, not the data "
                f"({_listed(how, separator='; ')})"
            )
        finding += (
            f"; the fitted model reproduces every checked statistic ({len(checks)} checks)"
            if extreme.empty
            else f"; the fitted model fails {len(extreme)} of {len(checks)} checks, "
            f"so the model cannot reproduce {_listed(extreme['label'].tolist(), separator='; ')}"
        )
        flags = state.flags
        outliers = (
            sorted(set(flags.loc[flags["kind"] == "outlier", "requisition_id"]))
            if len(flags)
            else []
        )
        if outliers:
            finding += (
                f"; {len(outliers)} requisition{'s look' if len(outliers) > 1 else ' looks'} "
                f"like {'outliers' if len(outliers) > 1 else 'an outlier'} ({_listed(outliers)}"
                f": refit without them with --exclude {','.join(outliers[:10])}"
                f"{',...' if len(outliers) > 10 else ''})"
            )
        note = (
            f"{state.data.source} · method of simulated moments, 90% intervals from "
            f"{state.metadata['bootstrap_draws']} parametric-bootstrap refits · seed "
            f"{state.metadata['seed']}"
        )
        return cls(
            table,
            finding,
            note,
            scenario=state.scenario,
            base=state.base,
            posterior=state.posterior,
            checks=checks,
            distributions=state.distributions,
            metadata=state.metadata,
            flags=flags,
        )

    # ----------------------------------------------------------------- reading
    def parameter(self, key: str) -> pd.Series:
        """The row of one parameter (prior, median, 90% interval, identified)."""
        table = self._table.set_index("parameter")
        if key not in table.index:
            raise KeyError(f"{key!r} was neither fitted nor checked; have {list(table.index)}")
        return table.loc[key]

    @property
    def p_values(self) -> pd.Series:
        """Posterior predictive p-value of each statistic, by name."""
        return self.checks.set_index("statistic")["p_value"]

    # ----------------------------------------------------------------- writing
    def fitted_yaml(self, extends: str = "base_scenario.yaml") -> str:
        """A scenario file that extends the given one with the fitted values; each
        fitted line carries its 90% interval as a comment."""
        table = self._table[self._table["role"] == "fitted"].set_index("parameter")
        fitted = self.scenario.to_dict()
        tree: dict[str, Any] = {}
        comments: dict[str, str] = {}
        for key, row in table.iterrows():
            *parent, last = key.split(".")
            element = last.isdigit()
            leaf = ".".join(parent) if element else key
            value: Any = fitted
            for part in leaf.split("."):
                value = value[part]
            node = tree
            *sections, name = leaf.split(".")
            for part in sections:
                node = node.setdefault(part, {})
            node[name] = value
            interval = (
                f"{last}: {format_value(row['q05'], row['integer'])}-"
                f"{format_value(row['q95'], row['integer'])}"
                if element
                else f"{format_value(row['q05'], row['integer'])}-"
                f"{format_value(row['q95'], row['integer'])}"
            )
            comments[leaf] = f"{comments[leaf]}; {interval}" if leaf in comments else interval
        lines = [
            f"# Fitted by `simfunnel fit` to {self.metadata.get('source', 'data')} "
            f"({self.metadata.get('requisitions', 0):,} requisitions, seed "
            f"{self.metadata.get('seed')}).",
            "# Values are posterior medians; comments give 90% intervals. Every other key is",
            f"# {extends}'s (the scenario the fit started from).",
            f"extends: {extends}",
            f"name: {self.scenario.name}",
            f"description: {json.dumps(self._description())}",
        ]
        lines += _yaml_lines(tree, comments, "", 0)
        return "\n".join(lines) + "\n"

    def _description(self) -> str:
        text = f"{self.base.name} fitted to {Path(str(self.metadata.get('source', 'data'))).name}"
        return text[:300]

    def save(self, directory: str | Path) -> None:
        """Write the fitted scenario and every table into ``directory`` (an existing
        folder, e.g. an :class:`~simfunnel.io.files.OutputFolder`'s staging path).
        :func:`simfunnel.present.fit_report.save_fit` adds the report and the charts."""
        if not str(directory).strip():  # Path("") is the current folder
            raise InputError("fit: expected a folder to save into, got an empty name")
        folder = Path(directory)
        text = self.fitted_yaml()
        atomic_write(folder / "fitted.yaml", lambda p: p.write_text(text, encoding="utf-8"))
        base_text = self.base.to_yaml()
        atomic_write(
            folder / "base_scenario.yaml", lambda p: p.write_text(base_text, encoding="utf-8")
        )
        atomic_write(folder / "posterior.csv", lambda p: self.posterior.to_csv(p, index=False))
        table = self.to_df()
        atomic_write(folder / "parameters.csv", lambda p: table.to_csv(p, index=False))
        atomic_write(folder / "checks.csv", lambda p: self.checks.to_csv(p, index=False))
        atomic_write(
            folder / "distributions.csv", lambda p: self.distributions.to_csv(p, index=False)
        )
        atomic_write(folder / "flagged.csv", lambda p: self.flags.to_csv(p, index=False))
        meta = json.dumps(self.metadata, indent=2, default=str)
        atomic_write(folder / "fit.json", lambda p: p.write_text(meta, encoding="utf-8"))


def _yaml_lines(
    tree: dict[str, Any], comments: dict[str, str], prefix: str, depth: int
) -> list[str]:
    lines = []
    indent = "  " * depth
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in comments:
            lines.append(f"{indent}{name}:")
            lines += _yaml_lines(value, comments, key + ".", depth + 1)
            continue
        shown = yaml.safe_dump(_rounded(value), default_flow_style=True, width=1000).strip()
        shown = shown.removesuffix("\n...").removesuffix("...").strip()
        lines.append(f"{indent}{name}: {shown}  # 90% interval {comments[key]}")
    return lines


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):  # positions: shares that must still sum to 1
        shares = {k: round(v, 4) for k, v in value.items()}
        first = next(iter(shares))
        shares[first] = round(1 - sum(v for k, v in shares.items() if k != first), 4)
        return shares
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value
