"""Where a test score's variance comes from (seeds, the re-drawn split, shared or not), from the verdict's own
retrainings, through the report users get."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.verdict.render import to_markdown, variance_line
from search.verdict.report import build_report
from search.verdict.variance import pooled, seed_and_split, two_way

COMPONENTS = {k: v for k, v in json.loads((Path(__file__).parent / "data" / "variance_components.json").read_text()).items()
              if not k.startswith("_")}


def test_pooled_variance_weighs_groups_by_their_degrees_of_freedom_and_skips_diverged_runs() -> None:
    var, df = pooled([[1.0, 3.0], [2.0, 2.0, 5.0], [math.nan, 4.0], [7.0]])
    assert df == 1 + 2  # the diverged run and the single value add nothing
    assert var == pytest.approx((2.0 * 1 + 3.0 * 2) / 3)


def _record(rng: np.random.Generator, *, seed_sd: float, split_sd: float, shared_sd: float, k: int = 5,
            candidates: int = 4, select_seeds: int = 2, families: int = 6, redraw: bool = True) -> dict[str, Any]:
    """An evaluation record as the verdict stores it: the selection's candidates retrained on the fixed split
    (seed noise only), the replicates re-drawing the split (seed + split noise, plus an effect shared by all
    families in a replicate)."""
    shared = rng.normal(0.0, shared_sd, k)
    fams = {}
    for i in range(families):
        mean = 0.9 - 0.01 * i
        selection_test = {str(c): (mean + rng.normal(0.0, seed_sd, select_seeds)).tolist() for c in range(candidates)}
        noise = rng.normal(0.0, seed_sd, k) + (rng.normal(0.0, split_sd, k) if redraw else 0.0)
        test = (mean + shared + noise).tolist()
        default = (mean - 0.02 + shared + rng.normal(0.0, seed_sd, k) + (rng.normal(0.0, split_sd, k) if redraw else 0.0)).tolist()
        fams[f"f{i}"] = {
            "tuned": {"trial": 1, "val_score": mean, "params": {"activation": f"f{i}", "units": 64}, "test": test,
                      "val": test, "latency_s": [0.001] * k,
                      "selection": {"candidates": selection_test, "test": selection_test}},
            "default": {"params": {"activation": f"f{i}"}, "test": default, "val": default, "latency_s": [0.001] * k},
        }
    return {"metric": "accuracy", "direction": "maximize", "seeds": list(range(k)), "epochs": 15, "families": fams,
            "redraw_splits": redraw, "rho": 0.15 if redraw else 0.0}


def test_seed_and_split_shares_come_back_from_a_record_built_with_them() -> None:
    rng = np.random.default_rng(0)
    # Many families so that the pooled estimates are firm: seed SD 0.004, split SD 0.006 (var shares 31 / 69 %).
    record = _record(rng, seed_sd=0.004, split_sd=0.006, shared_sd=0.002, families=60)
    v = build_report(record, [], study_name="s", dataset="d")["variance"]
    assert v["seed_df"] == 60 * 4 * 1 and v["replicate_df"] == 60 * 2 * 4
    assert v["seed_sd"] == pytest.approx(0.004, rel=0.15)
    assert v["replicate_sd"] == pytest.approx(math.hypot(0.004, 0.006), rel=0.1)
    assert v["split_sd"] == pytest.approx(0.006, rel=0.25)
    assert v["seed_share"] + v["split_share"] == pytest.approx(1.0)
    assert v["two_way"]["shared_sd"] == pytest.approx(0.002, abs=0.0015)


def test_with_a_fixed_split_no_split_share_is_claimed() -> None:
    v = seed_and_split(_record(np.random.default_rng(1), seed_sd=0.004, split_sd=0.0, shared_sd=0.0, redraw=False))
    assert v is not None and v["split_sd"] is None and v["split_share"] is None and v["seed_sd"] > 0


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_the_report_states_the_variance_on_components_measured_from_real_runs(name: str) -> None:
    """On each real run's measured components (shared effect and family noise; the seed / split split of the
    noise taken as half and half), the report's line names every figure and the two-way estimate is of the
    right size."""
    c = COMPONENTS[name]
    seed_sd = split_sd = c["noise_sd"] / math.sqrt(2)
    record = _record(np.random.default_rng(2), seed_sd=seed_sd, split_sd=split_sd, shared_sd=c["shared_sd"])
    report = build_report(record, [], study_name="s", dataset=name)
    line = variance_line(report)
    assert line and "training seed alone SD" in line and "seed and re-drawn split" in line and "shared by all" in line
    assert line in to_markdown(report)
    assert 0.0 <= report["variance"]["split_share"] <= 1.0
    assert report["variance"]["two_way"]["noise_sd"] == pytest.approx(c["noise_sd"], rel=0.6)


def test_a_record_from_before_the_selection_kept_test_scores_still_reports() -> None:
    record = _record(np.random.default_rng(3), seed_sd=0.004, split_sd=0.004, shared_sd=0.0)
    for entry in record["families"].values():
        del entry["tuned"]["selection"]["test"]
    v = build_report(record, [], study_name="s", dataset="d")["variance"]
    assert v["seed_sd"] is None and v["split_share"] is None and v["replicate_sd"] > 0


def test_two_way_needs_two_families_with_two_replicates() -> None:
    with pytest.raises(ValueError, match="at least 2 families"):
        two_way({"a": [0.9, 0.8]})
