"""``keras:NAME`` and ``openml:ID``: fail fast offline; with a (faked) network, the data loads."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trainers
from trainers import DataError, _remote

ROOT = Path(trainers.__file__).parent.parent
KERAS_OFFLINE = (
    "keras:mnist needs to download its data, and the network is unreachable (storage.googleapis.com: no "
    "route); download it once where you have a network, or pass a local file such as an .npz with "
    "x_train/y_train/x_test/y_test."
)


def load_error(name: str, **kwargs: object) -> str:
    with pytest.raises(DataError) as info:
        trainers.load_dataset(name, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and message
    return message


@pytest.fixture(autouse=True)
def empty_caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees a real download cache; each test gets an empty one it may fill."""
    cache = tmp_path / "keras-cache"
    cache.mkdir()
    monkeypatch.setattr(_remote, "_keras_cache_dirs", lambda: [cache])
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn-cache"))
    return cache


def offline(host: str, port: int = 443, timeout: float = 3.0) -> str:
    return f"{host}: no route"


def never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("must not be called")


def fake_keras(n_train: int = 30, n_test: int = 10, shape: tuple[int, ...] = (4, 4)) -> Any:
    rng = np.random.default_rng(0)

    def load(name: str) -> Any:
        return (
            (
                rng.integers(0, 255, (n_train, *shape), dtype=np.uint8),
                (np.arange(n_train) % 10).astype(np.uint8),
            ),
            (rng.integers(0, 255, (n_test, *shape), dtype=np.uint8), (np.arange(n_test) % 10)[:, None]),
        )

    return load


# --- Offline ---------------------------------------------------------------------------------------------


def test_keras_offline_fails_fast_without_calling_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_remote, "probe", offline)
    monkeypatch.setattr(_remote, "keras_load_data", never)
    assert load_error("keras:mnist") == KERAS_OFFLINE
    assert load_error("keras:cifar10").startswith(
        "keras:cifar10 needs to download its data, and the network is unreachable (www.cs.toronto.edu: no route)"
    )


def test_openml_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_remote, "probe", offline)
    monkeypatch.setattr(_remote, "fetch_openml", never)
    assert load_error("openml:31") == (
        "openml:31 needs to download its data, and the network is unreachable (www.openml.org: no route); "
        "download it once where you have a network, or pass a local file such as a .csv or .parquet with a "
        "label column."
    )


def test_really_offline_here_in_a_fresh_process(tmp_path: Path) -> None:
    """The real probe, in a process that has not imported TensorFlow: it fails in seconds, Keras unimported."""
    if _remote.probe("storage.googleapis.com", timeout=1.0) is None:
        pytest.skip("the network is reachable here")
    script = (
        "import json, sys, time, trainers\n"
        "start = time.perf_counter()\n"
        "try:\n    trainers.load_dataset('keras:fashion_mnist')\n"
        "except trainers.DataError as exc:\n    message = str(exc)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'tensorflow', 'keras'})\n"
        "print(json.dumps({'message': message, 'seconds': time.perf_counter() - start, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_HOME": str(tmp_path / "keras")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["message"].startswith(
        "keras:fashion_mnist needs to download its data, and the network is unreachable (storage.googleapis.com"
    )
    assert report["seconds"] < 3.5 and report["heavy"] == []


# --- Reachable (faked) -----------------------------------------------------------------------------------


def test_keras_reachable_keeps_the_given_test_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_remote, "probe", lambda host, port=443, timeout=3.0: None)
    calls: list[str] = []
    load = fake_keras()
    monkeypatch.setattr(_remote, "keras_load_data", lambda name: calls.append(name) or load(name))
    data = trainers.load_dataset("keras:fashion_mnist")
    assert calls == ["fashion_mnist"]
    assert (data.name, data.source, data.task) == ("fashion_mnist", "keras:fashion_mnist", "classification")
    assert data.x.shape == (30, 4, 4) and data.x.dtype == np.float32 and data.test_given
    assert data.class_names is not None and data.class_names[0] == "T-shirt/top" and data.n_classes == 10
    assert data.y_test is not None and data.y_test.tolist() == list(range(10))
    s = trainers.split_dataset(data, val_size=0.34)
    assert s.test_given and len(s.y_test) == 10


def test_keras_loader_errors_become_data_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_remote, "probe", lambda host, port=443, timeout=3.0: None)

    def fail(name: str) -> Any:
        raise Exception("URL fetch failure on https://storage.googleapis.com/x: None -- [Errno 101]\nmore")

    monkeypatch.setattr(_remote, "keras_load_data", fail)
    assert load_error("keras:mnist") == (
        "keras:mnist could not be downloaded (Exception: URL fetch failure on https://storage.googleapis.com/x: "
        "None -- [Errno 101]); pass a local file such as an .npz with x_train/y_train/x_test/y_test."
    )


def test_cached_keras_data_skips_the_probe(monkeypatch: pytest.MonkeyPatch, empty_caches: Path) -> None:
    (empty_caches / "mnist.npz").write_bytes(b"cached")
    monkeypatch.setattr(_remote, "probe", never)
    monkeypatch.setattr(_remote, "keras_load_data", fake_keras())
    assert trainers.load_dataset("keras:mnist").class_names == tuple(str(i) for i in range(10))


def test_unknown_keras_name_and_bad_openml_id() -> None:
    assert load_error("keras:imagenet") == (
        "Unknown Keras dataset 'keras:imagenet'; choose one of: keras:mnist, keras:fashion_mnist, keras:cifar10"
    )
    for bad in ("openml:abc", "openml:0", "openml:"):
        assert load_error(bad) == (
            f"OpenML datasets are named by their numeric ID, e.g. openml:31, but got {bad!r}."
        )


def openml_bunch(targets: list[str]) -> SimpleNamespace:
    frame = pd.DataFrame(
        {
            "checking": pd.Categorical(["<0", "no checking", "0<=X<200"] * 10),
            "duration": np.arange(30.0),
            "class": pd.Categorical(["good", "bad"] * 15),
            "other": np.arange(30) % 3,
        }
    )
    return SimpleNamespace(frame=frame, target_names=targets, details={"name": "credit-g"})


def test_openml_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_remote, "probe", lambda host, port=443, timeout=3.0: None)
    ids: list[int] = []
    monkeypatch.setattr(
        _remote, "fetch_openml", lambda data_id: ids.append(data_id) or openml_bunch(["class"])
    )
    data = trainers.load_dataset("openml:31")
    assert ids == [31] and (data.name, data.source) == ("credit-g", "openml:31")
    assert data.class_names == ("bad", "good") and data.categorical_names == ("checking",)
    assert data.feature_names == ("duration", "other")
    other = trainers.load_dataset("openml:31", target="other", task="regression")
    assert other.task == "regression" and other.categorical_names == ("checking",)  # "class" is a target
    s = trainers.split_dataset(data, seed=0)
    assert s.encoded_columns == ("checking",) and s.input_shape == (5,)


def test_openml_target_rules_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_remote, "probe", lambda host, port=443, timeout=3.0: None)
    monkeypatch.setattr(_remote, "fetch_openml", lambda data_id: openml_bunch(["class", "other"]))
    assert load_error("openml:40") == (
        "openml:40 has 2 default target columns (class, other); name one with target=..."
    )
    two = trainers.load_dataset("openml:40", target="class")
    assert two.feature_names == ("duration",)  # the other target is not a feature
    assert load_error("openml:40", target="nope") == (
        "Target column 'nope' not in openml:40; columns: checking, duration, class, other"
    )

    def missing(data_id: int) -> Any:
        raise ValueError("Dataset with data_id 999999 not found.")

    monkeypatch.setattr(_remote, "fetch_openml", missing)
    assert load_error("openml:999999") == (
        "openml:999999 could not be fetched (ValueError: Dataset with data_id 999999 not found.); pass a "
        "local file such as a .csv or .parquet with a label column."
    )


# --- The probe itself -------------------------------------------------------------------------------------


def test_probe_open_and_closed_ports() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert _remote.probe("127.0.0.1", port, timeout=2.0) is None
    reason = _remote.probe("127.0.0.1", port, timeout=2.0)
    assert reason is not None and reason.startswith("127.0.0.1: ") and "\n" not in reason


def test_probe_gives_up_on_a_hanging_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()

    def hang(*args: Any, **kwargs: Any) -> socket.socket:
        released.wait(10)  # like a name lookup that ignores the socket timeout
        raise OSError("released")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    try:
        assert _remote.probe("example.org", timeout=0.2) == "example.org: no answer within 0.2 s"
        assert time.perf_counter() - start < 1.0
    finally:
        released.set()
