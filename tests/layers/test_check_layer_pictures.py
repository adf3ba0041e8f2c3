"""The public layer contract, ``glassnet.testing.check_layer``, on every picture layer
(skipped where that module does not exist)."""

import pytest

testing = pytest.importorskip("glassnet.testing", reason="glassnet.testing.check_layer is "
                                                         "not in this version")

from glassnet.layers import (  # noqa: E402
    AvgPool2D,
    Conv2D,
    GlobalAvgPool2D,
    MaxPool2D,
    Reshape,
)

CASES = {
    "conv": (lambda: Conv2D(3, 3, seed=0), (7, 6, 2)),
    "conv_same_strided_dilated": (lambda: Conv2D(4, (3, 2), stride=2, padding="same",
                                                 dilation=2, bias=False, seed=0), (7, 6, 2)),
    "conv_pad_int": (lambda: Conv2D(2, 2, padding=1, seed=0), (5, 5, 1)),
    "maxpool": (lambda: MaxPool2D(2), (6, 6, 2)),
    "maxpool_overlapping": (lambda: MaxPool2D(3, stride=2), (7, 7, 2)),
    "avgpool_rect": (lambda: AvgPool2D((2, 3), stride=1), (6, 6, 2)),
    "global_avgpool": (GlobalAvgPool2D, (5, 4, 3)),
    "reshape_flat": (lambda: Reshape((-1,)), (4, 4, 2)),
    "reshape_to_pictures": (lambda: Reshape((4, 4, 2)), (32,)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_picture_layer_keeps_the_public_contract(name):
    factory, input_shape = CASES[name]
    report = testing.check_layer(factory, input_shape=input_shape)
    assert "checks passed" in str(report)
