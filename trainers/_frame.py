"""A pandas ``DataFrame`` (from a CSV, a Parquet file or OpenML) into a ``Dataset``.

Every column but the target is a feature. A feature column is **numeric** when pandas read it as numbers
(or booleans), or when it holds text of which at most half of the non-missing values are not numbers; its
non-numbers are then errors (``"12"``, ``"abc"``, ``"13"``: a typo, not a category). It is **categorical**
when pandas read it as a ``category`` (Parquet dictionaries, OpenML nominal attributes), or when most of its
non-missing values are not numbers; ``split_dataset`` one-hot encodes it with the training split's categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trainers._dataset import IMPUTE_HINT, Dataset, encode_target, missing_cells
from trainers._errors import DataError

if TYPE_CHECKING:
    import pandas as pd

# A text column with more distinct values than this is an identifier or free text, not a category.
MAX_CATEGORIES = 1000


def frame_to_dataset(
    frame: pd.DataFrame,
    *,
    target: str | None,
    where: str,
    name: str,
    source: str,
    task: str | None = None,
    impute: bool = False,
    target_hint: str = "",
) -> Dataset:
    """Split ``frame`` into features and the target (``target`` names it; the last column by default).

    Args:
        where: Names the data in messages (the file path, ``"openml:31"``).
        target_hint: Appended to the "target column not found" message.
    """
    import pandas as pd

    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    label = target_column(frame, target, where, target_hint)
    features = frame.drop(columns=[label])
    numeric: list[str] = []
    categorical: list[str] = []
    for column in features.columns:
        (categorical if _is_categorical(features[column], column, where) else numeric).append(column)
    x = np.empty((len(frame), len(numeric)), dtype=np.float64)
    for j, column in enumerate(numeric):
        series = features[column]
        if not pd.api.types.is_numeric_dtype(series):  # text that _is_categorical found to be all numbers
            series = pd.to_numeric(series.astype(str).str.strip().where(series.notna()), errors="coerce")
        x[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
    cats = None
    if categorical:
        cats = np.empty((len(frame), len(categorical)), dtype=np.object_)
        for j, column in enumerate(categorical):
            cats[:, j] = _texts(features[column])
            distinct = len(set(cats[:, j].tolist()) - {None})
            if distinct > MAX_CATEGORIES:
                raise DataError(
                    f"Feature column {column!r} of {where} has {distinct} distinct text values; one-hot "
                    f"encoding allows at most {MAX_CATEGORIES} per column (drop it or encode it yourself)."
                )
    if not impute:
        # Missing cells in the file's column order, so the message names the first one a reader would see.
        missing = {c: ~np.isfinite(x[:, j]) for j, c in enumerate(numeric)}
        if cats is not None:
            missing.update({c: missing_cells(cats[:, j]) for j, c in enumerate(categorical)})
        bad = np.column_stack([missing[c] for c in features.columns])
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            first = int(rows[0])
            column = features.columns[int(np.flatnonzero(bad[first])[0])]
            raise DataError(
                f"{len(rows)} {'row' if len(rows) == 1 else 'rows'} of {where} {'has' if len(rows) == 1 else 'have'} "
                f"missing or infinite feature values (first: column "
                f"{column!r}, data row {first + 1}); {IMPUTE_HINT}."
            )
    y, task, class_names = encode_target(
        target_values(frame[label]), f"Target column {label!r} of {where}", task=task, data_rows=True
    )
    return Dataset(
        name=name,
        source=source,
        x=x.astype(np.float32),
        y=y,
        task=task,
        class_names=class_names,
        feature_names=tuple(numeric),
        x_categorical=cats,
        categorical_names=tuple(categorical),
        impute=impute,
    )


def read_parquet(path: Path, *, target: str | None, name: str, task: str | None, impute: bool) -> Dataset:
    """Load a Parquet file (via pandas and pyarrow); the target rules are those of CSV files."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except ImportError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "ImportError"
        raise DataError(
            f"Reading {path} needs pyarrow ({reason}); install it with: pip install pyarrow"
        ) from None
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a file that is not Parquet
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"Cannot read {path} as a Parquet file: {reason}") from None
    if frame.shape[1] < 2:
        raise DataError(
            f"Dataset file {path} has {frame.shape[1]} column; it needs at least one feature and a target."
        )
    if len(frame) == 0:
        raise DataError(f"Dataset file has no data rows: {path}")
    return frame_to_dataset(
        frame, target=target, where=str(path), name=name, source=str(path), task=task, impute=impute
    )


def target_column(frame: pd.DataFrame, target: str | None, where: str, hint: str = "") -> str:
    if target is None:
        return str(frame.columns[-1])
    if target in frame.columns:
        return target
    raise DataError(f"Target column {target!r} not in {where}; columns: {list_names(frame.columns)}{hint}")


def list_names(names: Iterable[object]) -> str:
    shown = [str(n) for n in names]
    return ", ".join(shown) if len(shown) <= 12 else ", ".join(shown[:12]) + f", ... ({len(shown)} in all)"


def target_values(series: pd.Series) -> np.ndarray:
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.to_numpy(dtype=object, na_value=None)
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.to_numpy(dtype=object, na_value=None)


def _is_categorical(series: pd.Series, column: str, where: str) -> bool:
    """Whether a feature column is categorical (see the module docstring); raises on a bad numeric column."""
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return False
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        raise DataError(
            f"Feature column {column!r} of {where} holds {series.dtype} values; features must be numbers "
            "or text categories (convert it to numbers first)."
        )
    present = series[series.notna()]
    if len(present) == 0:
        return False
    texts = present.astype(str).str.strip()
    numbers = pd.to_numeric(texts, errors="coerce")
    not_numbers = texts[numbers.isna()]
    if 2 * len(not_numbers) > len(present):
        return True
    if len(not_numbers):
        raise DataError(
            f"Feature column {column!r} of {where} is numeric but holds {len(not_numbers)} non-numeric "
            f"value(s) (first: {not_numbers.iloc[0]!r} in data row {not_numbers.index[0] + 1}); fix or remove "
            "them (a column is categorical only when most of its values are text)."
        )
    return False


def _texts(series: pd.Series) -> np.ndarray:
    """A feature column as an object array of stripped strings, ``None`` where missing."""
    values = series.to_numpy(dtype=object, na_value=None)
    return np.array([None if v is None else str(v).strip() for v in values.tolist()], dtype=object)
