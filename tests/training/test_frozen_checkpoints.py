"""Fine-tuning with a frozen layer and a stateful optimizer writes files that load."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense, ReLU
from glassnet.training import BackupAndRestore, ModelCheckpoint


@pytest.mark.parametrize("make", [lambda: gn.Adam(0.01), lambda: gn.AdamW(0.01),
                                  lambda: gn.RMSprop(0.01), lambda: gn.SGD(0.1, momentum=0.9)],
                         ids=["adam", "adamw", "rmsprop", "momentum"])
def test_a_frozen_layer_with_a_stateful_optimizer_saves_and_loads(tmp_path, make):
    X, y = gn.datasets.make_moons(80, noise=0.2, seed=0)
    net = gn.Network([Dense(2, 8, seed=0), ReLU(), Dense(2, seed=1)])
    net.layers[0].trainable = False  # frozen from the start: never stepped
    checkpoint = ModelCheckpoint(tmp_path / "best.safetensors", monitor="loss")
    net.fit(X, y, optimizer=make(), epochs=2, batch_size=20, seed=0, verbose=0,
            callbacks=[checkpoint, BackupAndRestore(tmp_path / "backup", delete_on_end=False)])
    loaded = gn.io.load(tmp_path / "best.safetensors")  # before: missing ['optim/m/0.W', ...]
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    for slot, arrays in net.optimizer.state.items():
        for name, value in arrays.items():
            np.testing.assert_array_equal(loaded.optimizer.state[slot][name], value)
    # the backup restores into a new run of the same script
    again = gn.Network([Dense(2, 8, seed=0), ReLU(), Dense(2, seed=1)])
    again.layers[0].trainable = False
    again.fit(X, y, optimizer=make(), epochs=2, batch_size=20, seed=0, verbose=0,
              callbacks=[BackupAndRestore(tmp_path / "backup")])
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(again.get_weights()[name], value)
