"""Calibration of the verdict on variance components measured from real runs, through ``build_report``.

``data/variance_components.json`` holds the components of real default runs (``python -m bench.replication``,
then ``python -m bench.variance``): a replicate effect shared by every family and each family's own noise per
replicate, on data whose replicates re-draw the train / validation split. Verdicts are simulated with them
through the code path users run (``build_report``, with its Holm correction and its ROPE), and judged like
any measurement: the A/A false-positive rate must not be significantly above alpha; the power to detect the
heuristic's order when adjacent families differ is printed (``pytest -s``) and must reach 80 % where the
data allows it. Power for a gap of ``g`` between adjacent families is measured at K = 5 and K = 10 replicates.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from search.verdict.report import build_report
from search.verdict.stats import GERON_CHAIN, replicates_for_power

COMPONENTS = {k: v for k, v in json.loads((Path(__file__).parent / "data" / "variance_components.json").read_text()).items()
              if not k.startswith("_")}
ALPHA = 0.05
REPS = 300  # A/A: the false-positive count is tested against alpha (binomial)
POWER_REPS = 100  # power: 5 pairs x 100 runs = 500 pair verdicts measure it to about +/- 2 points


def record(rng: np.random.Generator, gaps: float, k: int, shared_sd: float, noise_sd: float) -> dict[str, Any]:
    """An evaluation record like the verdict stores, with ``gaps`` between adjacent families of the chain."""
    shared = rng.normal(0.0, shared_sd, k)
    families = {}
    for i, family in enumerate(GERON_CHAIN):
        test = (0.9 - gaps * i + shared + rng.normal(0.0, noise_sd, k)).tolist()
        families[family] = {"tuned": {"trial": 0, "val_score": 0.9, "params": {}, "test": test, "val": test,
                                      "latency_s": [0.001] * k},
                            "default": {"params": {}, "test": test, "val": test, "latency_s": [0.001] * k}}
    return {"metric": "accuracy", "direction": "maximize", "seeds": list(range(k)), "epochs": 15,
            "families": families, "rho": 0.15}


def simulate(name: str, gaps: float, k: int, reps: int = REPS) -> tuple[Counter[str], Counter[str]]:
    """Chain verdicts and adjacent-pair verdicts over ``reps`` simulated runs with the components of ``name``."""
    c = COMPONENTS[name]
    rng = np.random.default_rng(zlib.crc32(f"{name}|{gaps}|{k}".encode()))
    chains: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for _ in range(reps):
        report = build_report(record(rng, gaps, k, c["shared_sd"], c["noise_sd"]), [], study_name="s", dataset=name)
        chains[report["chain"]["verdict"]] += 1
        pairs.update(p["verdict"] for p in report["chain"]["pairs"])
    return chains, pairs


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_a_a_identical_families_are_rarely_called_different(name: str) -> None:
    chains, pairs = simulate(name, gaps=0.0, k=5)
    wrong = pairs["holds"] + pairs["reversed"]
    total = sum(pairs.values())
    family_wise = chains["holds"] + chains["contradicted"] + chains["partly holds"]
    print(f"\n{name} A/A, K=5: pairs called different {wrong}/{total} = {wrong / total:.2%}; chains claiming an "
          f"order {family_wise}/{REPS} = {family_wise / REPS:.2%}; verdicts {dict(chains)}")
    assert stats.binomtest(family_wise, REPS, ALPHA, alternative="greater").pvalue > 0.001


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMPONENTS))
@pytest.mark.parametrize("k", [5, 10])
def test_power_to_see_the_order_on_real_variances(name: str, k: int) -> None:
    rows = []
    for gap in (0.01, 0.02):
        chains, pairs = simulate(name, gaps=gap, k=k, reps=POWER_REPS)
        power = pairs["holds"] / sum(pairs.values())
        rows.append((gap, power, chains["holds"] / POWER_REPS))
        assert pairs["reversed"] / sum(pairs.values()) < 0.01  # never the opposite order
    print(f"\n{name} K={k}: " + "; ".join(f"gap {g:.2f}: pair power {p:.0%}, whole chain holds {c:.0%}"
                                          for g, p, c in rows))
    # Where this data allows it (the paired t-test at the Bonferroni level of the chain's 5 pairs needs at most k
    # replicates for a two-point gap), the verdict, with Holm and the ROPE, reaches about that power.
    needed = replicates_for_power(COMPONENTS[name]["noise_sd"] * 2**0.5, 0.02, alpha=ALPHA / 5)
    if needed is not None and needed <= k:
        assert rows[1][1] >= 0.7
