"""The input pipeline a trial trains and evaluates on: ``tf.data`` datasets over the split's arrays.

Given NumPy arrays, Keras 3.15 wraps them per ``fit``/``evaluate`` call in its own array adapter, whose pipeline
(an index dataset, a gather ``map``, autotuned prefetch) costs 13-40 ms to open an iterator on, and ``fit``
opens two per epoch for training (without ``steps_per_epoch`` it opens the next epoch's at the end of each,
then another at its start) and more for validation. On the small tabular tasks this tool searches (an epoch is
5-20 ms of compute) that was as much time as the training itself. Its shuffle is also re-created for every
iterator with the same seed once ``keras.utils.set_random_seed`` has run: every epoch saw one permutation.
The datasets here give the epochs Keras means (every row once per epoch, reshuffled each epoch, the last batch
partial) and open in ≈ 1 ms.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf


def batches(x: np.ndarray, y: np.ndarray | None, batch_size: int, *, shuffle_seed: int | None = None) -> tf.data.Dataset:
    """``(x, y)`` (or ``x`` alone) in batches of ``batch_size``; with ``shuffle_seed``, a new permutation of all
    rows on every pass (each epoch), the sequence of permutations fixed by the seed.

    Floating-point features are cast to Keras' float type, as Keras' own adapter does.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}.")
    tensors = _as_floatx(x) if y is None else (_as_floatx(x), np.asarray(y))
    dataset = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def replica_batches(strategy: tf.distribute.Strategy, x: np.ndarray, y: np.ndarray, batch_size: int, *,
                    shuffle_seed: int) -> tf.distribute.DistributedDataset:
    """:func:`batches` of ``batch_size`` rows (the global batch) for a multi-replica ``strategy``, repeated
    without end (give ``model.fit`` ``steps_per_epoch=ceil(rows / batch_size)``): each batch is cut into one
    consecutive piece per replica (sizes differing by at most one row).

    So the replicas of one step together see exactly the rows one device sees in that step, with the same seed.
    ``strategy.experimental_distribute_dataset`` would not: it re-creates the shuffle's seed. Repeated, because
    Keras counts the steps of a dataset of unknown length from the end of its first epoch, and then opens one
    iterator more than it uses, skipping a permutation; with ``steps_per_epoch`` one iterator serves all epochs.
    """
    replicas = int(strategy.num_replicas_in_sync)

    def pieces(xb: tf.Tensor, yb: tf.Tensor) -> tf.data.Dataset:
        size = tf.shape(xb, out_type=tf.int64)[0]

        def piece(r: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            rows = slice(r * size // replicas, (r + 1) * size // replicas)
            return xb[rows], yb[rows]

        return tf.data.Dataset.range(replicas).map(piece)

    # One input pipeline for all replicas: MirroredStrategy's replicas are all on this host.
    dataset = batches(x, y, batch_size, shuffle_seed=shuffle_seed).flat_map(pieces).repeat()
    return strategy.distribute_datasets_from_function(lambda _: dataset)


def training_inputs(x: np.ndarray, y: np.ndarray, batch_size: int, *, seed: int,
                    strategy: tf.distribute.Strategy) -> dict[str, Any]:
    """``model.fit``'s training data keywords for ``(x, y)`` under ``strategy``, reshuffled every epoch from
    ``seed``: ``x`` (a dataset), ``steps_per_epoch`` and ``shuffle=False``.

    Not the arrays themselves: Keras 3.15 (TensorFlow backend) then draws the same permutation at every epoch
    once ``keras.utils.set_random_seed`` has been called (its shuffle op is re-created per epoch with the same
    seed), and opens an iterator on its pipeline in 13-40 ms per epoch instead of ≈ 1 ms. ``steps_per_epoch``
    is given even where Keras knows it: without it Keras opens a second iterator per epoch and drops the first
    (which would also skip every other permutation). Call it outside any ``strategy.scope()``, just before
    ``fit``, as ``train_model`` does: inside a scope, ``strategy`` would pass for the default strategy.
    """
    steps = math.ceil(len(y) / batch_size)
    # shuffle=False: the dataset reshuffles every epoch itself (Keras' default True would only warn).
    if int(strategy.num_replicas_in_sync) > 1:
        data = replica_batches(strategy, x, y, batch_size, shuffle_seed=seed)
    else:
        data = batches(x, y, batch_size, shuffle_seed=seed)
    if strategy is tf.distribute.get_strategy():
        # Under any other strategy Keras first draws a batch from a fresh iterator (to build the model), which
        # moves the shuffle on to its next permutation; do the same here, so that one device, one forced device
        # and several replicas train on the same permutations with the same seed (tests/trainers/test_mirrored).
        iter(data)
    return {"x": data, "steps_per_epoch": steps, "shuffle": False}


def _as_floatx(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(keras.config.floatx(), copy=False) if np.issubdtype(x.dtype, np.floating) else x
