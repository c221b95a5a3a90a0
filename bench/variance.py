"""Variance components of a verdict, measured from a finished study: ``python -m bench.variance --storage URL
--study NAME [...]``.

The tuned test scores form a families × replicates table. A two-way decomposition without interaction splits
its variation into a replicate effect shared by every family (the replicate's seed and re-drawn split move all
families together) and each family's own noise per replicate; the paired tests see only the second. The
calibration tests (tests/search/verdict/test_calibration_real.py) simulate verdicts with the components
measured here, through ``build_report``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def components(scores: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """``shared_sd`` (replicate effect), ``noise_sd`` (family × replicate residual) and ``family_sd`` (spread
    of the family means) of a families × replicates table; families with a diverged replicate are left out."""
    rows = [list(map(float, v)) for v in scores.values() if v and all(math.isfinite(x) for x in v)]
    table = np.array(rows)
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        raise ValueError("Need at least 2 families with at least 2 finite replicates each.")
    f, r = table.shape
    grand = table.mean()
    fam = table.mean(axis=1, keepdims=True)
    rep = table.mean(axis=0, keepdims=True)
    residual = table - fam - rep + grand
    noise_var = float((residual**2).sum() / ((f - 1) * (r - 1)))
    shared_var = max(0.0, float(((rep - grand) ** 2).sum() / (r - 1)) - noise_var / f)
    return {"shared_sd": math.sqrt(shared_var), "noise_sd": math.sqrt(noise_var),
            "family_sd": float(fam.std(ddof=1)), "families": f, "replicates": r}


def main(argv: list[str] | None = None) -> None:
    import optuna

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", action="append", required=True)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out: dict[str, Any] = {}
    for name in args.study:
        study = optuna.load_study(study_name=name, storage=args.storage)
        evaluation = study.user_attrs["evaluation"]
        tuned = {f: e["tuned"]["test"] for f, e in evaluation["families"].items() if e.get("tuned")}
        out[name] = {"dataset": study.user_attrs.get("dataset"), "metric": evaluation["metric"],
                     "redraw_splits": evaluation.get("redraw_splits", False), **components(tuned)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
