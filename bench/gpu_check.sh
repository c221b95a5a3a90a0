#!/usr/bin/env bash
# The one command to run on the first machine with NVIDIA GPUs (none on the development machine):
#   bash bench/gpu_check.sh
# Fails loudly when nvidia-smi lists GPUs that TensorFlow does not see (a wrong install) or there is no GPU;
# else reports the placement, a MirroredStrategy trial on every visible GPU, a small search on the CPU, with
# one worker per GPU and with two per GPU (trials per hour), into bench/results/gpu_check.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2
exec python -m bench.gpu_check "$@"
