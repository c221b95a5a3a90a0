"""Properties: a frame written as CSV (with or without header, with text columns) loads back to the same data."""

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
# Letters that can never spell a number or a missing-value marker ("nan", "inf", "NA", "null", "e5"...).
words = st.text(alphabet="abcdgkmxyz", min_size=1, max_size=6)


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
    assert data.x_categorical is None
    uniques = np.unique(y)
    if data.task == "regression":
        # Only a target with a non-integral value (or more than 50 distinct integers) is regression.
        assert y.dtype == np.float32 and not np.all(uniques == np.round(uniques))
        np.testing.assert_array_equal(data.y, y)
    else:
        assert data.class_names == tuple(str(int(v)) for v in uniques)
        np.testing.assert_array_equal(uniques[data.y], y)


@st.composite
def mixed_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], list[str], bool, bool, str]:
    """Numeric and text feature columns in any order, a numeric or text label, header or not."""
    n_rows = draw(st.integers(min_value=2, max_value=25))
    kinds = draw(st.lists(st.sampled_from(["number", "text"]), min_size=1, max_size=5))
    columns: dict[str, object] = {}
    for i, kind in enumerate(kinds):
        if kind == "number":
            columns[f"n{i}"] = draw(arrays(np.float32, (n_rows,), elements=finite))
        else:
            columns[f"t{i}"] = draw(st.lists(words, min_size=n_rows, max_size=n_rows))
    text_label = draw(st.booleans())
    if text_label:
        columns["label"] = draw(st.lists(words, min_size=n_rows, max_size=n_rows))
    else:
        columns["label"] = draw(arrays(np.int64, (n_rows,), elements=st.integers(min_value=0, max_value=3)))
    frame = pd.DataFrame(columns)
    numeric = [c for c in frame.columns[:-1] if c.startswith("n")]
    text = [c for c in frame.columns[:-1] if c.startswith("t")]
    header = draw(st.booleans())
    # Detection needs a numeric column; with none (or when drawn) the caller says whether there is a header.
    explicit = draw(st.booleans()) or (not numeric and text_label)
    suffix = draw(st.sampled_from([".csv", ".tsv", ".csv.gz"]))
    return frame, numeric, text, header, explicit, suffix


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_frames())
def test_csv_with_text_columns_round_trip(
    case: tuple[pd.DataFrame, list[str], list[str], bool, bool, str],
) -> None:
    frame, numeric, text, header, explicit, suffix = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"data{suffix}"
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False, header=header)
        data = trainers.load_dataset(str(path), header=header if explicit else None)
    position = {c: str(i) for i, c in enumerate(frame.columns)}  # the names without a header row
    name = (lambda c: c) if header else position.__getitem__
    assert data.feature_names == tuple(name(c) for c in numeric)
    assert data.categorical_names == tuple(name(c) for c in text)
    np.testing.assert_array_equal(data.x, frame[numeric].to_numpy(np.float32).reshape(len(frame), -1))
    if text:
        assert data.x_categorical is not None
        assert data.x_categorical.tolist() == frame[text].to_numpy(dtype=object).tolist()
    else:
        assert data.x_categorical is None
    labels = frame["label"].to_numpy()
    assert data.class_names is not None
    np.testing.assert_array_equal(np.array(data.class_names)[data.y], labels.astype(str))
