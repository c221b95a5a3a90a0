"""Datasets that are downloaded: ``keras:NAME`` (``keras.datasets``) and ``openml:ID`` (OpenML).

Without a network these fail fast: before calling the downloader, ``probe`` opens a TCP connection to the
download host (``PROBE_TIMEOUT`` seconds at most, name resolution included); when it cannot, a one-line
``DataError`` says so and suggests a local file. Data already in the downloader's cache skips the probe, so
a dataset downloaded once keeps loading offline. The downloader's own errors become ``DataError`` too.

Tests replace ``probe``, ``keras_load_data`` and ``fetch_openml`` (module attributes) to run without a network.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

import numpy as np

from trainers._dataset import Dataset
from trainers._errors import DataError
from trainers._frame import frame_to_dataset, target_column
from trainers._npz import arrays_to_dataset

PROBE_TIMEOUT = 3.0
KERAS_DATASETS: tuple[str, ...] = ("mnist", "fashion_mnist", "cifar10")
DATASET_PREFIXES: tuple[str, ...] = ("keras:", "openml:")

# name -> (download host, entries of the Keras cache folder ~/.keras/datasets that mean "downloaded")
_KERAS_SOURCES = {
    "mnist": ("storage.googleapis.com", ("mnist.npz",)),
    "fashion_mnist": ("storage.googleapis.com", ("fashion-mnist",)),
    "cifar10": ("www.cs.toronto.edu", ("cifar-10-batches-py-target", "cifar-10-batches-py")),
}
_KERAS_CLASS_NAMES = {
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}  # fmt: skip
_OPENML_HOST = "www.openml.org"
_KERAS_HINT = "pass a local file such as an .npz with x_train/y_train/x_test/y_test"
_OPENML_HINT = "pass a local file such as a .csv or .parquet with a label column"


def probe(host: str, port: int = 443, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when a TCP connection to ``host:port`` opens within ``timeout`` seconds, else the reason.

    Runs in a daemon thread so that a hanging name lookup (which ignores socket timeouts) cannot stall it.
    """
    outcome: list[str | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except OSError as exc:
            outcome.append(f"{host}: {exc.strerror or exc}".splitlines()[0])

    thread = threading.Thread(target=connect, name=f"probe-{host}", daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else f"{host}: no answer within {timeout:g} s"


def keras_load_data(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``keras.datasets.<name>.load_data()``; imports Keras (and TensorFlow) only now."""
    import importlib

    module = importlib.import_module(f"keras.datasets.{name}")
    return module.load_data()  # type: ignore[no-any-return]


def fetch_openml(data_id: int) -> Any:
    """``sklearn.datasets.fetch_openml(data_id=..., as_frame=True)``."""
    from sklearn.datasets import fetch_openml as fetch

    return fetch(data_id=data_id, as_frame=True)


def load_keras(name: str, *, task: str | None, impute: bool) -> Dataset:
    """``keras:mnist``, ``keras:fashion_mnist``, ``keras:cifar10``, keeping their own test split."""
    short = name.removeprefix("keras:")
    if short not in _KERAS_SOURCES:
        known = ", ".join(f"keras:{k}" for k in KERAS_DATASETS)
        raise DataError(f"Unknown Keras dataset {name!r}; choose one of: {known}")
    host, cached = _KERAS_SOURCES[short]
    if not any((folder / entry).exists() for folder in _keras_cache_dirs() for entry in cached):
        _require_network(name, host, _KERAS_HINT)
    try:
        (x_train, y_train), (x_test, y_test) = keras_load_data(short)
    except Exception as exc:  # urllib, HTTP, hash and archive errors: any of them means "no data"
        raise DataError(f"{name} could not be downloaded ({_reason(exc)}); {_KERAS_HINT}.") from None
    return arrays_to_dataset(
        x_train, y_train, x_test, y_test, where=name, name=short, source=name, task=task, impute=impute,
        class_names=_KERAS_CLASS_NAMES.get(short),
    )  # fmt: skip


def load_openml(name: str, *, target: str | None, task: str | None, impute: bool) -> Dataset:
    """``openml:ID``: OpenML's dataset ``ID`` with its default target, or ``target``.

    The dataset's other default targets (multi-target datasets) are dropped, not used as features.
    """
    text = name.removeprefix("openml:")
    if not text.isdigit() or int(text) == 0:
        raise DataError(f"OpenML datasets are named by their numeric ID, e.g. openml:31, but got {name!r}.")
    data_id = int(text)
    if not _openml_cached(data_id):
        _require_network(name, _OPENML_HOST, _OPENML_HINT)
    try:
        bunch = fetch_openml(data_id)
    except Exception as exc:  # network errors, OpenMLError ("no dataset with id"), ARFF parse errors
        raise DataError(f"{name} could not be fetched ({_reason(exc)}); {_OPENML_HINT}.") from None
    frame = bunch.frame
    targets = [str(t) for t in (bunch.target_names or [])]
    if target is None:
        if len(targets) != 1:
            found = ", ".join(targets) if targets else "none"
            raise DataError(
                f"{name} has {len(targets)} default target columns ({found}); name one with target=..."
            )
        target = targets[0]
    target = target_column(frame, target, name)
    frame = frame.drop(columns=[t for t in targets if t != target and t in frame.columns])  # not features
    title = str(getattr(bunch, "details", {}).get("name", "") or f"openml_{data_id}")
    return frame_to_dataset(
        frame, target=target, where=name, name=title, source=name, task=task, impute=impute
    )


def _require_network(name: str, host: str, hint: str) -> None:
    reason = probe(host)
    if reason is not None:
        raise DataError(
            f"{name} needs to download its data, and the network is unreachable ({reason}); download it once "
            f"where you have a network, or {hint}."
        )


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _keras_cache_dirs() -> list[Path]:
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return [home / "datasets", Path("/tmp/.keras/datasets")]


def _openml_cached(data_id: int) -> bool:
    home = Path(os.environ.get("SCIKIT_LEARN_DATA") or Path.home() / "scikit_learn_data").expanduser()
    return (home / "openml" / "openml.org" / "api" / "v1" / "json" / "data" / f"{data_id}.gz").exists()
