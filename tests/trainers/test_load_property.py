"""Property: a numeric frame written as CSV (with or without header) loads back to the same x and y."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import trainers

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def frames(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, bool, str]:
    n_rows = draw(st.integers(min_value=2, max_value=30))
    n_features = draw(st.integers(min_value=1, max_value=6))
    x = draw(arrays(np.float32, (n_rows, n_features), elements=finite))
    if draw(st.booleans()):
        n_classes = draw(st.integers(min_value=1, max_value=5))
        y = draw(arrays(np.int64, (n_rows,), elements=st.integers(min_value=-3, max_value=n_classes)))
    else:
        y = draw(arrays(np.float32, (n_rows,), elements=finite))
    header = draw(st.booleans())
    suffix = draw(st.sampled_from([".csv", ".tsv", ".csv.gz"]))
    return x, y, header, suffix


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_csv_round_trip(case: tuple[np.ndarray, np.ndarray, bool, str]) -> None:
    x, y, header, suffix = case
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    frame["label"] = y
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"data{suffix}"
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False, header=header)
        data = trainers.load_dataset(str(path))
    np.testing.assert_array_equal(data.x, x)
    uniques = np.unique(y)
    if data.task == "regression":
        # Only a target with a non-integral value (or more than 50 distinct integers) is regression.
        assert y.dtype == np.float32 and not np.all(uniques == np.round(uniques))
        np.testing.assert_array_equal(data.y, y)
    else:
        assert data.class_names == tuple(str(int(v)) for v in uniques)
        np.testing.assert_array_equal(uniques[data.y], y)
