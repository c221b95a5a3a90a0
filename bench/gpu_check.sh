#!/usr/bin/env bash
# One-command check on a machine with NVIDIA GPUs (none on the development machine):
#   bash bench/gpu_check.sh
# 1. lists the GPUs; 2. trains one trial under MirroredStrategy over every visible GPU (when 2+) and prints
# the replica count; 3. runs a small search with one worker per GPU and prints where each trial ran.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2
nvidia-smi -L
python - <<'PY'
import tensorflow as tf, trainers
from search.study import DefaultHyperParameters
from spaces import MLPBuilder
gpus = tf.config.list_logical_devices("GPU")
print("TensorFlow sees", len(gpus), "GPU(s):", [d.name for d in gpus])
splits = trainers.split_dataset(trainers.load_dataset("digits"), seed=0)
build = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, ("relu",))
result = trainers.train_model(lambda: build(DefaultHyperParameters()), splits, trainers.TrainConfig(epochs=3))
print(f"one trial: {result.n_replicas} replica(s), val accuracy {result.val_metrics['accuracy']:.4f}, fit {result.fit_seconds:.1f} s")
PY
tmp=$(mktemp -d)
python -m search run --dataset digits --families relu,tanh --trials 4 --epochs 5 --seeds 0 --workers auto \
  --storage "sqlite:///$tmp/optuna.db" --tracking-uri "sqlite:///$tmp/mlflow.db" --study gpu-check
python - "$tmp" <<'PY'
import sys, optuna, collections
study = optuna.load_study(study_name="gpu-check", storage=f"sqlite:///{sys.argv[1]}/optuna.db")
print("trials per worker process:", dict(collections.Counter(t.user_attrs.get("worker") for t in study.trials)))
PY
