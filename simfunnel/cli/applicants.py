"""Commands about who applies and who loses: ``groups`` (by group) and ``sources``."""

from __future__ import annotations

import argparse
from pathlib import Path

from simfunnel.cli.commands import _files, _load, _output
from simfunnel.errors import InputError


def _command_groups(args: argparse.Namespace) -> int:
    from simfunnel.analysis.groups import (
        design_frontier,
        gap_attribution,
        group_impact,
        shifted_mechanisms,
    )
    from simfunnel.model.scenario import folder_name
    from simfunnel.present.charts.render import plot_output, save_chart

    scenario, _ = _load(args.config, args.overrides)
    if scenario.groups is None:
        raise InputError(f"{args.config[:80]}: no groups: section to report on")
    out = args.out or Path("results") / folder_name(f"groups_{scenario.name}")
    seed = scenario.seed if args.seed is None else args.seed
    with _output(out, "groups") as folder:
        impact = group_impact(scenario, args.openings, seed)
        written = impact.save(folder.path)
        attribution = None
        if args.attribution_openings and shifted_mechanisms(scenario):
            attribution = gap_attribution(scenario, args.attribution_openings, seed)
            path = folder.path / "attribution.csv"
            attribution.to_df().to_csv(path, index=False, float_format="%.6g")
            written.append(path)
        charts = []
        for attribute in impact.attributes if args.formats else ():
            stem = folder.path / f"rates_{folder_name(attribute.replace(' × ', '_x_'))}"
            charts += save_chart(plot_output, impact, stem, args.formats, attribute=attribute)
        for attribute in impact.attributes if attribution is not None and args.formats else ():
            stem = folder.path / f"attribution_{folder_name(attribute.replace(' × ', '_x_'))}"
            charts += save_chart(plot_output, attribution, stem, args.formats, attribute=attribute)
        sample = None
        if args.audit_openings:
            sample = impact.auditor_sample(args.audit_openings)
            path = folder.path / "audit_sample.csv"
            sample.to_df().to_csv(path, index=False, float_format="%.6g")
            written.append(path)
        frontier = None
        if args.frontier:
            frontier = design_frontier(scenario, openings=args.attribution_openings, seed=seed)
            path = folder.path / "frontier.csv"
            frontier.to_df().to_csv(path, index=False, float_format="%.6g")
            written.append(path)
            if args.formats:
                charts += save_chart(plot_output, frontier, folder.path / "frontier", args.formats)
        folder.commit()
    if not args.quiet:
        print(impact.summary())
        if sample is not None:
            print(sample.finding)
            for _, row in sample.to_df().iterrows():
                print(
                    f"  {row['attribute'][:24]:<24} {row['level'][:20]:<20} ratio "
                    f"{row['median_ratio']:.2f} ({row['ratio_p05']:.2f}-{row['ratio_p95']:.2f})"
                    f"  below 4/5 {100 * row['below_four_fifths']:3.0f}%  Fisher power "
                    f"{100 * row['power_fisher']:3.0f}%  z power {100 * row['power_z']:3.0f}%"
                )
        if frontier is not None:
            print(frontier.finding)
            for _, row in frontier.to_df().iterrows():
                print(
                    f"  {row['design']:<20} hire value {row['hire_value']:+.2f}  impact ratio "
                    f"{row['impact_ratio']:.2f} ({row['ci_low']:.2f}-{row['ci_high']:.2f})"
                    + ("  frontier" if row["on_frontier"] else "")
                )
        if attribution is not None:
            table = attribution.to_df()
            table = table[table["stage"] == "end to end"]
            for attribute in impact.attributes:
                print(attribution.finding_for(attribute))
                for _, row in table[table["attribute"] == attribute].iterrows():
                    print(
                        f"  {row['level'][:20]:<20} {row['label']:<26} sequential "
                        f"{100 * row['sequential']:+6.1f}  Shapley "
                        f"{100 * row['shapley']:+6.1f} points"
                    )
        names = ", ".join(p.name for p in written)
        print(f"\nWrote {out}/: {names} and {_files(len(charts))}.")
    return 0


def _command_sources(args: argparse.Namespace) -> int:
    from simfunnel.analysis.sources import INTERNAL, source_table
    from simfunnel.model.scenario import folder_name
    from simfunnel.present.charts.render import plot_output, save_chart

    scenario, _ = _load(args.config, args.overrides)
    if scenario.sources is None:
        raise InputError(
            f"{args.config[:80]}: no sources: section to report on (the shipped referrals has one)"
        )
    out = args.out or Path("results") / folder_name(f"sources_{scenario.name}")
    seed = scenario.seed if args.seed is None else args.seed
    with _output(out, "sources") as folder:
        table = source_table(scenario, args.openings, seed)
        path = folder.path / "sources.csv"
        table.to_df().to_csv(path, index=False, float_format="%.6g")
        charts = (
            save_chart(plot_output, table, folder.path / "sources", args.formats)
            if args.formats
            else []
        )
        folder.commit()
    if not args.quiet:
        print(table.finding)
        print(
            f"  {'source':<12} {'of applicants':>13} {'shortlisted':>11} {'hired':>12} "
            f"{'vs ' + table.base:>18} {'of hires':>9}"
        )
        for _, row in table.to_df().iterrows():
            if row["source"] == INTERNAL:
                print(
                    f"  {'internal':<12} {'':>13} {'(no screen)':>11} "
                    f"{format(row['hire_rate'], '.0%') + ' of them':>12} {'':>18} "
                    f"{row['hire_share']:>9.1%}"
                )
                continue
            versus = (
                f"{row['vs_base']:.1f}x ({row['vs_base_ci_low']:.1f}-{row['vs_base_ci_high']:.1f})"
                if row["source"] != table.base
                else "1.0x"
            )
            print(
                f"  {row['source'][:12]:<12} {row['applicant_share']:>13.1%} "
                f"{row['screen_pass_rate']:>11.1%} "
                f"{'1 in ' + format(row['one_in'], ',.0f'):>12} {versus:>18} "
                f"{row['hire_share']:>9.1%}"
            )
        internal = table.to_df().iloc[-1]
        print(
            f"  (an internal contender, in {internal['applicants_per_opening']:.0%} of openings, "
            "skips the CV screen)"
        )
        print(f"\nWrote {out}/: sources.csv and {_files(len(charts))}.")
    return 0
