"""Builds ``03_convolution.ipynb`` from the cells below.

    python notebooks/make_03_convolution.py

The notebook is kept as this script so that a change shows as a readable
diff; tests/test_notebook_convolution.py checks that the two agree and runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NAME = "03_convolution.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """\
# Convolution, from the sliding window to a trained network

A dense layer gives every pixel its own weight to every unit, so a stroke moved
by two pixels is, to it, a different picture. A convolution slides one small
kernel over the whole picture: the same weights look at every place. This
notebook computes a convolution by hand, then as one matrix product (im2col),
then trains a small convolutional network on Fashion-MNIST and looks inside it.

Pictures are channels-last, as glassnet loads them: `(n, height, width, channels)`.

The data cells look for Fashion-MNIST in the folder named by
`$GLASSNET_SHARED_DATA` (or `../../shared/data` from this folder); a cell whose
data is absent says so and skips its work."""),
    ("code", """\
%matplotlib inline
import os
import time
from pathlib import Path

import numpy as np
from IPython.display import display

import glassnet
from glassnet import plots
from glassnet.layers import Conv2D
from glassnet.layers import conv_maths as cm
from glassnet.plots.sliding import sliding_filter_animation

DATA = Path(os.environ.get("GLASSNET_SHARED_DATA", "../../shared/data"))
FASHION = DATA / "fashion-mnist"
HAVE_FASHION = (FASHION / "train-images-idx3-ubyte.gz").is_file()
print(f"glassnet {glassnet.__version__}, NumPy {np.__version__}")
print(f"Fashion-MNIST: {'found' if HAVE_FASHION else 'absent'} in {FASHION}")"""),
    ("md", """\
## The sliding window, by hand

A 7x7 picture with a vertical stroke, and a 3x3 kernel that answers to vertical
lines: +2 down its middle column, -1 on either side. Output position `(i, j)`
is the sum of the window under the kernel times the kernel:

    out[i, j] = sum over p, q of x[i + p, j + q] * W[p, q]"""),
    ("code", """\
x = np.zeros((7, 7))
x[1:6, 3] = 1.0                                  # the stroke, in column 3
W = np.array([[-1.0, 2.0, -1.0]] * 3)            # a vertical-line detector

window = x[1:4, 2:5]                             # the window of output (1, 2)
print("window:\\n", window)
print("window * W summed:", (window * W).sum())   # 3 pixels of the stroke times 2

out = np.zeros((5, 5))                           # (7 - 3 + 1) x (7 - 3 + 1)
for i in range(5):
    for j in range(5):
        out[i, j] = (x[i:i + 3, j:j + 3] * W).sum()
print("feature map:\\n", out)"""),
    ("md", """\
The stroke lights up column 2 of the map (the windows centred on it) and the
columns beside it go negative. The film below shows the same kernel sliding
over the picture, with the numbers of each step."""),
    ("code", """\
film = sliding_filter_animation(x, W, frames=12)
display(film)"""),
    ("md", """\
## im2col: the whole layer as one matrix product

Copy every window into one row of a matrix `cols`, of shape
`(n * h_out * w_out, kh * kw * c_in)`. Then the convolution of all positions
and all filters is one product with the kernels laid out as a
`(kh * kw * c_in, c_out)` matrix; its `(n * h_out * w_out, c_out)` result is
already the output in NHWC order. glassnet's `Conv2D` reads `cols` through a
strided view of the picture (no Python loop over positions) and runs this
product; its backward pass runs it the other way."""),
    ("code", """\
batch = x[None, :, :, None]                     # (n, h, w, c_in) = (1, 7, 7, 1)
cols = cm.im2col_loops(batch, 3, 3, stride=1, dilation=1)
print("cols:", cols.shape, "  kernels:", W.reshape(9, 1).shape)
by_product = (cols @ W.reshape(9, 1)).reshape(5, 5)
print("same as the loop:", np.array_equal(by_product, out))

conv = Conv2D(1, 3, bias=False, dtype=np.float64)
conv.build((7, 7, 1), np.float64)
conv.params["W"][...] = W[:, :, None, None]
print("same as Conv2D:", np.allclose(conv.forward(batch)[0, :, :, 0], out))
print("the strided im2col equals the loop's:",
      np.array_equal(cm.im2col(batch, 3, 3, 1, 1), cols))"""),
    ("md", """\
## A small convolutional network on Fashion-MNIST

`glassnet.models.small_cnn()`: two blocks of convolution, batch normalisation
(per channel), ReLU and 2x2 max pooling, then a dense head. Here it trains on
the first 10,000 pictures for two epochs, to keep the notebook quick; on all
60,000 for five epochs it reaches the accuracy pinned in the tests.
The same from the command line: `glassnet train fashion-mnist --model cnn`."""),
    ("code", """\
net = glassnet.models.small_cnn(seed=0)
display(net.summary())
if HAVE_FASHION:
    (X, y), (X_test, y_test) = glassnet.datasets.load_fashion_mnist(
        FASHION, download=False, progress=False)
    start = time.perf_counter()
    net.fit(X[:10000], y[:10000], epochs=2, batch_size=64, seed=0, verbose=0)
    scores = net.evaluate(X_test, y_test)
    print(f"trained in {time.perf_counter() - start:.0f} s: test accuracy "
          f"{scores['accuracy']:.3f} after 2 epochs on 10,000 pictures")
else:
    print(f"skipped: the Fashion-MNIST files are not in {FASHION}")"""),
    ("md", """\
## What it learned, and what it sees

The first layer's 16 kernels (red excites, blue inhibits), and one test
picture passed through the network layer by layer: each row is one layer's
output, one image per channel."""),
    ("code", """\
display(plots.plot_conv_filters(net))
if HAVE_FASHION:
    display(plots.plot_feature_maps(net, X_test[0], max_channels=8))
else:
    print(f"skipped: the Fashion-MNIST files are not in {FASHION}")"""),
]


def build() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src)
             for kind, src in CELLS]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids, so rebuilding gives the same file
    return nb


def main(argv: list[str] | None = None) -> int:
    out = Path(__file__).with_name(NAME)
    nbformat.write(build(), out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
