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
from collections.abc import Mapping, Sequence
from typing import Any


def components(scores: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """``shared_sd``, ``noise_sd`` and ``family_sd`` of a families × replicates table (see
    :func:`search.verdict.variance.two_way`)."""
    from search.verdict.variance import two_way

    return two_way(scores)


def main(argv: list[str] | None = None) -> None:
    import optuna

    from search.verdict.variance import seed_and_split

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
                     "redraw_splits": evaluation.get("redraw_splits", False), **components(tuned),
                     "seed_and_split": seed_and_split(evaluation)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
