import numpy as np
import pytest

import glassnet
from glassnet._aligned import ALIGNMENT, aligned_zeros


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 1000, 235_146])
def test_aligned_zeros(n, dtype):
    a = aligned_zeros(n, dtype)
    assert a.shape == (n,) and a.dtype == dtype and a.flags.c_contiguous
    assert a.ctypes.data % ALIGNMENT == 0
    assert not a.any()


def test_network_buffers_and_adam_state_are_aligned():
    net = glassnet.mlp([784, 256, 128, 10], seed=0)
    for buf in (net.flat_params, net.flat_grads, net.layers[0].params["W"]):
        assert buf.ctypes.data % ALIGNMENT == 0
    opt = glassnet.Adam(fused=False)
    opt.step(net.flat_params, net.flat_grads)
    for name in opt.state_names:
        assert opt.state[name].ctypes.data % ALIGNMENT == 0
