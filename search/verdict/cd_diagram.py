"""Demšar-style critical-difference diagram of a :class:`~search.verdict.ranks.FriedmanResult`, as PNG bytes."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from search.verdict.plots import figure_bytes, pyplot
from search.verdict.ranks import FriedmanResult


def nonsignificant_groups(ranks: Sequence[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs ``(first, last)`` of sorted average ranks whose spread is below ``cd``.

    ``ranks`` must be sorted ascending. Each run is a group of families the Nemenyi test cannot tell apart;
    runs of one family and runs inside a longer run are left out. These are the thick bars of the diagram.
    """
    if any(b < a for a, b in pairwise(ranks)):
        raise ValueError(f"ranks must be sorted ascending, but got {list(ranks)}.")
    groups: list[tuple[int, int]] = []
    for first in range(len(ranks)):
        last = first
        while last + 1 < len(ranks) and ranks[last + 1] - ranks[first] < cd:
            last += 1
        if last > first and (not groups or last > groups[-1][1]):
            groups.append((first, last))
    return groups


def cd_diagram_png(result: FriedmanResult, title: str = "") -> bytes:
    """Average-rank axis (1 = best, on the left), families hanging left and right, the CD bar, and thick lines
    joining families whose average ranks differ by less than the critical difference."""
    plt = pyplot()

    names = sorted(result.average_ranks, key=lambda f: (result.average_ranks[f], f))
    ranks = [result.average_ranks[f] for f in names]
    k, cd = len(names), result.critical_difference
    groups = nonsignificant_groups(ranks, cd)
    n_left = (k + 1) // 2
    row = 0.35  # vertical spacing of the name rows
    bars_bottom = 0.25 + 0.12 * len(groups)
    height = bars_bottom + row * (max(n_left, k - n_left) + 1)

    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.9 * height))
    ax.set_xlim(0.0, k + 1.0)
    ax.set_ylim(-height, 0.9)
    ax.axis("off")

    # Rank axis with ticks, and the CD bar above it, starting at rank 1.
    ax.plot([1, k], [0, 0], color="black", linewidth=1)
    for tick in range(1, k + 1):
        ax.plot([tick, tick], [0, 0.08], color="black", linewidth=1)
        ax.text(tick, 0.13, str(tick), ha="center", va="bottom", fontsize=9)
    ax.plot([1, 1 + cd], [0.6, 0.6], color="black", linewidth=1.5)
    for end in (1, 1 + cd):
        ax.plot([end, end], [0.55, 0.65], color="black", linewidth=1.5)
    ax.text(1 + cd / 2, 0.68, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)

    # Best families hang to the left (best on the top row), the rest to the right (worst on the top row).
    for i, (name, rank) in enumerate(zip(names, ranks, strict=True)):
        on_left = i < n_left
        level = -(bars_bottom + row * ((i if on_left else k - 1 - i) + 1))
        edge = 0.4 if on_left else k + 0.6
        ax.plot([rank, rank, edge], [0, level, level], color="black", linewidth=0.9)
        ax.text(
            edge - 0.05 if on_left else edge + 0.05,
            level,
            f"{name} ({rank:.2f})",
            ha="right" if on_left else "left",
            va="center",
            fontsize=9,
        )

    for g, (first, last) in enumerate(groups):
        y = -(0.15 + 0.12 * g)
        ax.plot(
            [ranks[first] - 0.05, ranks[last] + 0.05],
            [y, y],
            color="black",
            linewidth=4,
            solid_capstyle="butt",
        )

    caption = f"Friedman p = {result.p_value:.3g}, N = {result.n_datasets} datasets, alpha = {result.alpha:g}"
    ax.set_title(f"{title}\n{caption}" if title else caption, fontsize=10)

    return figure_bytes(fig)
