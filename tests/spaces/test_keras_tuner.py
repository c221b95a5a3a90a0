"""MLPBuilder runs unchanged as a Keras Tuner hypermodel."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

import spaces


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # KT reloads weights only
def test_random_search_on_digits(tmp_path):
    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype("float32")
    x_train, y_train, x_val, y_val = x[:1400], y[:1400], x[1400:], y[1400:]

    tuner = kt.RandomSearch(
        spaces.MLPBuilder(input_shape=(64,), n_outputs=10),
        objective="val_accuracy",
        max_trials=3,
        seed=0,
        directory=tmp_path,
        project_name="spaces",
        overwrite=True,
    )
    tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=2, batch_size=64, verbose=0)

    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 3
    assert all(t.status == "COMPLETED" for t in trials)
    for trial in trials:
        values = trial.hyperparameters.values
        assert values["activation"] in spaces.DEFAULT_FAMILIES
        assert ("selu_combo" in values) == (values["activation"] == "selu")
    best_hp = tuner.get_best_hyperparameters(1)[0]
    assert tuner.oracle.get_best_trials(1)[0].score > 0.3  # chance is 0.1
    model = tuner.get_best_models(1)[0]
    probabilities = model.predict(x_val[:5], verbose=0)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert model.name.startswith(f"mlp_{best_hp.values['activation']}")
