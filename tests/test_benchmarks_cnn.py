"""benchmarks.cnn: the FLOP count of a CNN step, and PyTorch's twin of each model having
exactly glassnet's weights (the comparison is between the same architectures)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from benchmarks import cnn


def test_conv_flops_worked_by_hand():
    net = gn.Network([gn.layers.Reshape((6, 6, 1)), gn.layers.Conv2D(2, 3, seed=0),
                      gn.layers.Flatten(), gn.Dense(3, seed=0)], input_shape=(36,))
    conv = 2 * 4 * 4 * 9 * 1 * 2          # per sample: 16 positions, K = 9, 2 filters
    dense = 2 * 32 * 3
    # the first layer with weights (the Conv2D, behind the Reshape) still computes dx here
    assert cnn.conv_train_step_flops(net, 1) == 3 * conv + 3 * dense


@pytest.mark.parametrize("name", cnn.MODELS)
def test_the_torch_twin_has_the_same_weights_and_outputs(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    ours, theirs = cnn.glassnet_model(name), cnn.torch_model(name)
    ours_shapes = sorted(p.size for p in ours.parameters.values())
    theirs_shapes = sorted(p.numel() for p in theirs.parameters())
    assert ours_shapes == theirs_shapes
    out = theirs(torch.from_numpy(np.zeros((2, 784), dtype=np.float32)))
    assert tuple(out.shape) == (2, 10)


def test_the_matrix_products_alone_are_timed():
    seconds = cnn.conv_matmul_seconds(gn.models.small_cnn(channels=(2, 2), hidden=4, seed=0),
                                      8, repeats=3)
    assert 0 < seconds < 10
