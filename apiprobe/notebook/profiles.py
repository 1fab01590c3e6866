"""Notebook glue for 07_profiles: read profiles, show their overview, diff and label pivot."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from apiprobe.analyze.profiles import label_pivot, top_diff
from apiprobe.load.pprof import Profile, parse_pprof, read_pprof
from apiprobe.notebook._common import heading
from apiprobe.notebook._display import show_table

__all__ = ["ProfileEvidence", "get_profiles", "show_label_pivot", "show_profile_diff", "show_profile_overview"]


@dataclass(frozen=True)
class ProfileEvidence:
    """A profile under review and an optional baseline.

    Attributes
    ----------
    profile : Profile
        The parsed pprof profile.
    baseline : Profile or None
        A profile of a quiet time to diff against, if any.
    source : str
        Where they came from, in words.
    """

    profile: Profile
    baseline: Profile | None
    source: str


def get_profiles(
    *, profile_path: str | os.PathLike[str] = "", baseline_path: str | os.PathLike[str] = ""
) -> ProfileEvidence:
    """Read a pprof profile and an optional baseline; with neither, the demo service's pair.

    Parameters
    ----------
    profile_path : str or os.PathLike, optional
        A pprof file (gzip or not); empty for the demo profiles.
    baseline_path : str or os.PathLike, optional
        A pprof file of a quiet time to diff against.

    Returns
    -------
    ProfileEvidence
        The profile, the baseline (or None) and their source.

    Raises
    ------
    ProfileFormatError
        When a file is not a readable pprof profile (legacy, corrupt, truncated); the file is named.
    """
    if profile_path:
        profile = read_pprof(Path(profile_path))
        baseline = read_pprof(Path(baseline_path)) if baseline_path else None
        source = f"profile {Path(profile_path).name}" + (
            f" against baseline {Path(baseline_path).name}" if baseline_path else ""
        )
    else:
        from apiprobe.demo import demo_cpu_profile

        profile = parse_pprof(demo_cpu_profile(incident=True), source="demo cpu.pb.gz")
        baseline = parse_pprof(demo_cpu_profile(incident=False), source="demo cpu_baseline.pb.gz")
        source = "the demo service's CPU profile during the incident, against a quiet-day baseline"
    return ProfileEvidence(profile=profile, baseline=baseline, source=source)


def show_profile_overview(evidence: ProfileEvidence, *, title: str = "") -> None:
    """Display what the profile holds: sample types, totals, duration, period.

    Parameters
    ----------
    evidence : ProfileEvidence
        What :func:`get_profiles` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    p = evidence.profile
    head = heading(title)
    default = p.sample_index()
    types = ", ".join(f"{t}/{u}" + (" (default)" if i == default else "") for i, (t, u) in enumerate(p.sample_types))
    totals = ", ".join(f"{t}: {p.total(i):,} {u}" for i, (t, u) in enumerate(p.sample_types))
    duration = f"{p.duration_ns / 1e9:.1f} s" if p.duration_ns else "not recorded"
    display(
        HTML(
            head + f"<p>Data: {html.escape(evidence.source)}.</p><ul>"
            f"<li>sample types: {html.escape(types)}</li><li>totals: {html.escape(totals)}</li>"
            f"<li>{p.n_samples:,} samples, {p.n_stacks:,} distinct stacks; duration {duration}; "
            f"period {p.period:,} {html.escape('/'.join(p.period_type) if p.period_type else '')}</li></ul>"
        )
    )


def show_profile_diff(evidence: ProfileEvidence, *, sample_index: int | str | None = None, n: int = 25) -> None:
    """Show the diff flame graph and the functions that changed most (or say there is no baseline).

    Parameters
    ----------
    evidence : ProfileEvidence
        What :func:`get_profiles` returned.
    sample_index : int or str, optional
        The sample type to compare (index or name); default: the profile's default type.
    n : int, default 25
        Functions listed.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.profiles import fig_flame_diff

    if evidence.baseline is None:
        display(HTML("<p><i>No baseline given (parameter <code>baseline_path</code>).</i></p>"))
        return
    fig_flame_diff(evidence.baseline, evidence.profile, sample_index=sample_index).show()
    diff = top_diff(evidence.baseline, evidence.profile, sample_index=sample_index)
    diff = diff[diff["delta"] != 0]
    show_table(
        diff.head(n),
        caption=f"Largest changes in flat value (top {n})",
        float_format="{:.1f}",
        highlight=diff.head(n)["delta"] > 0,
    )


def show_label_pivot(
    evidence: ProfileEvidence, *, key: str | None = None, sample_index: int | str | None = None
) -> None:
    """Display the profile pivoted by one pprof label key (default: the first key found).

    Parameters
    ----------
    evidence : ProfileEvidence
        What :func:`get_profiles` returned.
    key : str, optional
        The label key; a note lists the keys when it is not one of them.
    sample_index : int or str, optional
        The sample type to sum (index or name); default: the profile's default type.
    """
    from IPython.display import HTML, display

    keys = [c.removeprefix("label:") for c in evidence.profile.samples.columns if c.startswith("label:")]
    if not keys:
        display(HTML("<p><i>This profile has no pprof labels.</i></p>"))
        return
    chosen = key or keys[0]
    if chosen not in keys:
        display(HTML(f"<p>No label <code>{html.escape(chosen)}</code>; labels: {html.escape(', '.join(keys))}.</p>"))
        return
    show_table(
        label_pivot(evidence.profile, chosen, sample_index=sample_index),
        caption=f"By label {chosen}",
        float_format="{:.1f}",
    )
