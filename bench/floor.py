"""The floor a search is measured against: the same configurations trained with bare ``model.fit`` in a loop.

``python -m bench.floor CONFIGS.json`` (written by ``bench.overhead``) loads the data exactly as ``search
run`` does (same loader, same split), then for each configuration builds the model with the same builder and
the same hyperparameter values, seeds it, and calls ``model.fit`` and ``model.evaluate`` on the validation
split: nothing else (no tracking, no study, no callbacks). ``--input arrays`` hands ``fit`` the NumPy arrays (a
plain user loop); ``--input pipeline`` the tool's ``tf.data`` pipeline (``trainers.training_inputs``,
as ``train_model`` builds it), so that against the tool only its own per-trial work remains. Prints one JSON object:
per-configuration fit + evaluate seconds and validation scores, and the loop's total.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("configs", type=Path, help="JSON written by bench.overhead")
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="1 = Keras' default (a plain user loop); 8 = what the tool uses on one device")
    parser.add_argument("--input", choices=("arrays", "pipeline"), default="arrays",
                        help="arrays = NumPy arrays to fit (a plain user loop); pipeline = the tool's tf.data input")
    args = parser.parse_args(argv)
    spec = json.loads(args.configs.read_text())
    started = time.perf_counter()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import optuna
    import tensorflow as tf

    import trainers
    from search.study.hp import OptunaHyperParameters
    from spaces import builder_for

    dataset = trainers.load_dataset(spec["dataset"])
    splits = trainers.split_dataset(dataset, seed=spec["seed"])
    builder = builder_for(splits.input_shape, splits.n_outputs, splits.task, tuple(spec["families"]))
    ready = time.perf_counter() - started
    rows = []
    loop_start = time.perf_counter()
    for config in spec["configs"]:
        start, cpu = time.perf_counter(), time.process_time()
        hp = OptunaHyperParameters(optuna.trial.FixedTrial(config["params"]), fixed={"activation": config["family"]})
        keras.utils.set_random_seed(config["seed"])
        model = builder(hp)
        model.steps_per_execution = args.steps_per_execution
        if args.input == "pipeline":
            batch = spec["batch_size"]
            model.fit(**trainers.training_inputs(splits.x_train, splits.y_train, batch, seed=config["seed"],
                                                 strategy=tf.distribute.get_strategy()),
                      validation_data=trainers.batches(splits.x_val, splits.y_val, batch), epochs=spec["epochs"], verbose=0)
            scores = model.evaluate(trainers.batches(splits.x_val, splits.y_val, batch), verbose=0, return_dict=True)
        else:
            model.fit(splits.x_train, splits.y_train, validation_data=(splits.x_val, splits.y_val),
                      batch_size=spec["batch_size"], epochs=spec["epochs"], verbose=0)
            scores = model.evaluate(splits.x_val, splits.y_val, batch_size=spec["batch_size"], verbose=0,
                                    return_dict=True)
        rows.append({"number": config["number"], "seconds": time.perf_counter() - start,
                     "cpu_s": time.process_time() - cpu, "val_accuracy": scores.get("accuracy")})
    loop = time.perf_counter() - loop_start
    json.dump({"ready_s": ready, "loop_s": loop, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
