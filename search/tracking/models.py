"""Trained models logged with MLflow's Keras flavour (``MLmodel`` with its signature, the ``.keras`` file, the
pinned requirements) plus what this project needs to load them elsewhere: the user's plugins and expressions
the model's activations come from. :func:`load_model` reloads one in any process."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlflow.tracking import MlflowClient

SIDECAR = "activation_search.json"  # beside MLmodel: the model's family, configuration, scores and extensions


def save_keras_model(client: MlflowClient, run_id: str, artifact_path: str, model: Any, example: Any,
                     about: Mapping[str, Any]) -> str:
    """Log ``model`` under ``artifact_path`` of run ``run_id``; returns its ``runs:/`` URI. ``example`` (a few
    input rows) gives the signature; ``about`` goes into the sidecar (with ``plugins`` and ``activations``,
    what :func:`load_model` loads first)."""
    import mlflow.keras
    from mlflow.models import infer_signature

    from search.provenance import versions

    found = versions()
    requirements = [f"{name}=={found[name]}" for name in ("tensorflow", "keras") if name in found]
    signature = infer_signature(example, model.predict(example, verbose=0))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        mlflow.keras.save_model(model, str(folder), signature=signature, pip_requirements=requirements)
        (folder / SIDECAR).write_text(json.dumps(about, indent=2, sort_keys=True, default=str), encoding="utf-8")
        client.log_artifacts(run_id, str(folder), artifact_path)
    return f"runs:/{run_id}/{artifact_path}"


def load_model(uri: str, tracking_uri: str | None = None) -> Any:
    """The Keras model logged at ``uri`` (``runs:/<run>/models/<family>-<variant>``, or a local folder),
    with this project's activation layers and the model's own plugins and expressions loaded first."""
    import mlflow.keras

    from search.extensions import load_extensions

    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, tracking_uri=tracking_uri)) \
        if "://" in uri or uri.startswith("runs:") else Path(uri)
    about = json.loads((local / SIDECAR).read_text(encoding="utf-8")) if (local / SIDECAR).is_file() else {}
    import spaces.layers  # noqa: F401  (registers this project's activation layers for deserialisation)

    load_extensions(_strings(about.get("plugins")), _strings(about.get("activations")))
    return mlflow.keras.load_model(str(local))


def _strings(values: Sequence[Any] | None) -> list[str]:
    return [str(v) for v in values or ()]
