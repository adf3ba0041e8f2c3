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


def test_parameters_and_adam_state_are_aligned_also_after_a_copy():
    import copy
    import pickle

    net = glassnet.mlp([784, 256, 128, 10], seed=0)
    for twin in (net, copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        for _, param, _ in twin.named_parameters():
            assert param.ctypes.data % ALIGNMENT == 0
    opt = glassnet.Adam(fused=False)
    opt.step(net.named_parameters())
    for arrays in opt.state.values():
        for value in arrays.values():
            assert value.ctypes.data % ALIGNMENT == 0


def test_aligned_copy_keeps_values():
    from glassnet._aligned import aligned_copy

    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    b = aligned_copy(a)
    np.testing.assert_array_equal(a, b)
    assert b.flags.c_contiguous and b.ctypes.data % ALIGNMENT == 0
