"""The verdict over repeated runs (another --seed each: another outer split and search), the run as the unit:
through ``build_repeats_report``, on variance components measured from real runs."""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from search.errors import UsageError
from search.verdict.repeats import build_repeats_report, run_means, to_markdown, variance_line
from search.verdict.report import build_report
from search.verdict.stats import GERON_CHAIN
from search.verdict.variance import across_runs

COMPONENTS = {k: v for k, v in json.loads((Path(__file__).parent / "data" / "variance_components.json").read_text()).items()
              if not k.startswith("_")}
ALPHA = 0.05


def evaluation(scores: dict[str, list[float]], *, selection: dict[str, list[float]] | None = None) -> dict[str, Any]:
    """One run's stored evaluation record with these tuned (and, equal, default) test scores."""
    k = len(next(iter(scores.values())))
    fams = {}
    for f, test in scores.items():
        sel = {"candidates": {"1": selection[f]}, "test": {"1": selection[f]}} if selection else {"candidates": {}}
        fams[f] = {"tuned": {"trial": 1, "val_score": 0.9, "params": {"activation": f, "units": 8}, "test": test,
                             "val": test, "latency_s": [0.001] * k, "selection": sel},
                   "default": {"params": {"activation": f}, "test": test, "val": test, "latency_s": [0.001] * k}}
    return {"metric": "accuracy", "direction": "maximize", "seeds": list(range(k)), "epochs": 15, "families": fams,
            "redraw_splits": True, "rho": 0.15, "test_size": 0.15}


def test_a_diverged_replicate_counts_as_the_runs_worst_score() -> None:
    ev = evaluation({"a": [0.9, math.nan], "b": [0.8, 0.7]})
    assert run_means(ev) == pytest.approx({"a": (0.9 + 0.7) / 2, "b": 0.75})


def test_runs_that_each_look_confident_but_disagree_pool_to_no_significant_difference() -> None:
    """The issue's case: one split and search says selu beats elu by a point, with p tiny (the seeds barely
    move), another says the opposite. Each run alone is confident; the pooled verdict, whose unit is the run,
    is not."""
    runs = [evaluation({"selu": [0.90 + d + 1e-4 * i for i in range(5)], "elu": [0.90 + 1e-4 * i for i in range(5)]})
            for d in (0.010, -0.008, 0.009)]
    single = [build_report(ev, [], study_name=f"s{i}", dataset="d")["chain"]["pairs"][0]["verdict"]
              for i, ev in enumerate(runs)]
    assert single == ["holds", "reversed", "holds"]
    pooled = build_repeats_report(runs, ["s0", "s1", "s2"], dataset="d")
    assert pooled["chain"]["pairs"][0]["verdict"] == "no significant difference"
    assert [r["chain"] for r in pooled["per_run"]] == ["holds", "contradicted", "holds"]
    assert "over 3 repeated runs" in to_markdown(pooled) and "Per run:" in to_markdown(pooled)


def test_a_difference_every_run_shows_holds_when_pooled() -> None:
    runs = [evaluation({"selu": [0.92 + s for s in noise], "elu": [0.90 + s for s in noise[::-1]]})
            for noise in ([0.001, 0.0, -0.001, 0.002, 0.0], [0.0, 0.001, 0.0, -0.001, 0.001],
                          [0.002, 0.0, 0.001, 0.0, -0.002], [0.0, 0.0, 0.001, 0.001, 0.0])]
    pooled = build_repeats_report(runs, ["a", "b", "c", "d"], dataset="d", rope=0.005)
    assert pooled["chain"]["pairs"][0]["verdict"] == "holds"
    assert pooled["families"][0]["family"] == "selu" and len(pooled["families"][0]["runs"]) == 4


def test_runs_of_other_metrics_or_too_few_runs_are_refused() -> None:
    ev = evaluation({"a": [0.9, 0.8], "b": [0.8, 0.7]})
    with pytest.raises(UsageError, match="at least 2 studies"):
        build_repeats_report([ev], ["s"], dataset="d")
    with pytest.raises(UsageError, match="share their metric"):
        build_repeats_report([ev, {**ev, "metric": "auc"}], ["s", "t"], dataset="d")


def test_across_runs_separates_seed_split_and_search() -> None:
    # Run means of family a: 0.90 and 0.92; of b: 0.80 and 0.78 (var 0.0002 each); replicate var 0.0001.
    first = evaluation({"a": [0.89, 0.91], "b": [0.79, 0.81]}, selection={"a": [0.90, 0.90], "b": [0.80, 0.80]})
    second = evaluation({"a": [0.91, 0.93], "b": [0.77, 0.79]}, selection={"a": [0.92, 0.92], "b": [0.78, 0.78]})
    v = across_runs([first, second])
    rep_var = v["replicate_sd"] ** 2
    assert rep_var == pytest.approx(0.0002)  # the variance of [x - 0.01, x + 0.01]
    assert v["search_sd"] ** 2 == pytest.approx(0.0002 - rep_var / 2)  # between-run variance less rep_var / K
    assert v["seed_sd"] == 0.0 and v["shares"]["seed"] == 0.0
    assert v["shares"]["split"] + v["shares"]["search"] == pytest.approx(1.0)
    assert across_runs([first]) is None


def simulate(name: str, runs: int, k: int, reps: int = 150) -> tuple[Counter[str], Counter[str]]:
    """A/A: identical families; each run adds the measured search effect per family (another search on another
    outer split), each replicate the measured shared effect and family noise. Returns the chain verdicts of the
    first run alone and of the pooled verdict."""
    c = COMPONENTS[name]
    rng = np.random.default_rng(zlib.crc32(f"{name}|{runs}|{k}".encode()))
    single: Counter[str] = Counter()
    pooled: Counter[str] = Counter()
    for _ in range(reps):
        evs = []
        for _ in range(runs):
            shared = rng.normal(0.0, c["shared_sd"], k)
            evs.append(evaluation({f: (0.9 + rng.normal(0.0, c["search_sd"]) + shared + rng.normal(0.0, c["noise_sd"], k)).tolist()
                                   for f in GERON_CHAIN}))
        single[build_report(evs[0], [], study_name="s", dataset=name)["chain"]["verdict"]] += 1
        pooled[build_repeats_report(evs, [f"s{i}" for i in range(runs)], dataset=name)["chain"]["verdict"]] += 1
    return single, pooled


ORDER_CLAIMS = ("holds", "contradicted", "partly holds")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_a_a_the_pooled_verdict_claims_no_order_more_often_than_alpha(name: str) -> None:
    single, pooled = simulate(name, runs=5, k=5)
    reps = sum(pooled.values())
    claims_single = sum(single[v] for v in ORDER_CLAIMS)
    claims_pooled = sum(pooled[v] for v in ORDER_CLAIMS)
    print(f"\n{name} A/A with the measured search SD {COMPONENTS[name]['search_sd']:.4f}: one run claims an order "
          f"{claims_single}/{reps} = {claims_single / reps:.1%}, 5 runs pooled {claims_pooled}/{reps} = "
          f"{claims_pooled / reps:.1%}")
    assert stats.binomtest(claims_pooled, reps, ALPHA, alternative="greater").pvalue > 0.001
    assert variance_line({"variance": {"runs": 5, "seed_sd": None, "split_sd": None, "search_sd": 0.001,
                                       "shares": {"seed": None, "split": None, "search": 1.0}}})
