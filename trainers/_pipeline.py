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
        return tf.data.Dataset.range(replicas).map(
            lambda r: (xb[r * size // replicas:(r + 1) * size // replicas],
                       yb[r * size // replicas:(r + 1) * size // replicas]))

    # One input pipeline for all replicas: MirroredStrategy's replicas are all on this host.
    dataset = batches(x, y, batch_size, shuffle_seed=shuffle_seed).flat_map(pieces).repeat()
    return strategy.distribute_datasets_from_function(lambda _: dataset)


def _as_floatx(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(keras.config.floatx(), copy=False) if np.issubdtype(x.dtype, np.floating) else x
