"""Builds ``02_make_your_own_neural_network.ipynb`` from the cells below.

    python notebooks/make_02_book.py

The notebook is kept as this script so that a change shows as a readable
diff; tests/test_notebooks.py checks that the two agree and runs the notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NAME = "02_make_your_own_neural_network.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """\
# Make Your Own Neural Network, with glassnet

This notebook follows Tariq Rashid's *Make Your Own Neural Network* from the
first three-node network to reading your own handwriting, with
`glassnet.classic.neuralNetwork`: the book's class, with the book's names and
numbers, running on glassnet's engine.

**Reading the book's own notebooks on NumPy 2?** They stop at their first
training cell with an `AttributeError`: `np.asfarray` was removed in the
NumPy 2.0 release. Write `numpy.asarray(x, dtype=float)` wherever they write
`numpy.asfarray(x)`; nothing else changes. This notebook does not use
`asfarray`.

The data cells find the book's CSV files and MNIST as glassnet's loaders do:
in the folder `$GLASSNET_DATA` names (its `rashid-csv/` and `mnist/`
subfolders, or the folder itself), in `/usr/share/datasets/`, in the cache
`~/.cache/glassnet/`, and, if you set `DOWNLOAD = True` below, by a verified
download into that cache. The book's two CSV files, `mnist_train_100.csv` and
`mnist_test_10.csv`, come from the book's repository,
<https://github.com/makeyourownneuralnetwork/makeyourownneuralnetwork/tree/master/mnist_dataset>;
MNIST from its public mirrors. A cell whose data is absent says so, and how
to get it, and skips its work."""),
    ("code", """\
%matplotlib inline
import time

import numpy as np
from IPython.display import display

import glassnet
from glassnet import plots
from glassnet.classic import neuralNetwork
from glassnet.datasets import find_book_csv, load_mnist
from glassnet.errors import DataNotFoundError

DOWNLOAD = False  # True: fetch what is missing (about 12 MB) into ~/.cache/glassnet

try:
    CSV_TRAIN = find_book_csv("mnist_train_100.csv", download=DOWNLOAD)
    CSV_TEST = find_book_csv("mnist_test_10.csv", download=DOWNLOAD)
    HAVE_CSV = True
    print(f"book CSV files: found in {CSV_TRAIN.parent}")
except DataNotFoundError as missing:
    HAVE_CSV = False
    print(f"book CSV files: absent. {missing}")
try:
    X_all, y_all = load_mnist(split="test", scale="book", dtype=np.float64, download=DOWNLOAD)
    HAVE_MNIST = True
    print(f"MNIST test set: {len(X_all)} digits")
except DataNotFoundError as missing:
    HAVE_MNIST = False
    print(f"MNIST test set: absent. {missing}")
print(f"glassnet {glassnet.__version__}, NumPy {np.__version__}")"""),
    ("md", """\
## A first network: three nodes in each layer

The book's first code creates a network of three input, three hidden and three
output nodes with learning rate 0.3, and asks it about one input. Its weights
are random, so the answer means nothing yet; `seed=` makes it repeatable."""),
    ("code", """\
n = neuralNetwork(3, 3, 3, 0.3, seed=1)
n.query([1.0, 0.5, -1.5])"""),
    ("md", """\
## The class

`neuralNetwork` keeps the book's layout: `wih` holds the weights from input to
hidden nodes as a (hidden x input) matrix, `who` those from hidden to output.
Here is the book's algorithm written out in plain NumPy, column vectors and
all. Trained from the same starting weights on the same samples, it ends with
the same weights as glassnet's class."""),
    ("code", """\
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class BookNetwork:
    \"\"\"The book's three-layer network in plain NumPy: no biases, sigmoid everywhere.\"\"\"

    def __init__(self, wih, who, learningrate):
        self.wih, self.who, self.lr = wih.copy(), who.copy(), learningrate

    def query(self, inputs_list):
        inputs = np.asarray(inputs_list, dtype=float).reshape(-1, 1)  # not numpy.asfarray
        hidden_outputs = sigmoid(self.wih @ inputs)
        return sigmoid(self.who @ hidden_outputs)

    def train(self, inputs_list, targets_list):
        inputs = np.asarray(inputs_list, dtype=float).reshape(-1, 1)
        targets = np.asarray(targets_list, dtype=float).reshape(-1, 1)
        hidden_outputs = sigmoid(self.wih @ inputs)
        final_outputs = sigmoid(self.who @ hidden_outputs)
        output_errors = targets - final_outputs
        hidden_errors = self.who.T @ output_errors  # errors split back by the weights
        output_slope = output_errors * final_outputs * (1 - final_outputs)
        hidden_slope = hidden_errors * hidden_outputs * (1 - hidden_outputs)
        self.who += self.lr * output_slope @ hidden_outputs.T
        self.wih += self.lr * hidden_slope @ inputs.T


rng = np.random.default_rng(0)
glass = neuralNetwork(4, 5, 3, 0.3, seed=2)
book = BookNetwork(glass.wih, glass.who, 0.3)
for _ in range(200):
    x, t = rng.random(4), np.full(3, 0.01)
    t[int(x.sum()) % 3] = 0.99
    glass.train(x, t)
    book.train(x, t)
print("largest difference in wih:", np.abs(glass.wih - book.wih).max())
print("largest difference in who:", np.abs(glass.who - book.who).max())"""),
    ("md", """\
## The book's small MNIST files: 100 training digits, 10 test digits

Each line is a label and 784 pixel values. The book scales pixels into
0.01-1.0 (a zero input would stop its weights from learning) and sets targets
to 0.01, except 0.99 for the right digit."""),
    ("code", """\
def book_targets(label, n_out=10):
    targets = np.full(n_out, 0.01)
    targets[label] = 0.99
    return targets


def book_scale(pixels):
    return np.asarray(pixels, dtype=float) / 255.0 * 0.99 + 0.01


def performance(net, X, y):
    return np.mean([int(np.argmax(net.query(x))) == label for x, label in zip(X, y)])


if HAVE_CSV:
    from glassnet.datasets import read_digits_csv

    pixels, labels = read_digits_csv(CSV_TRAIN)
    test_pixels, test_labels = read_digits_csv(CSV_TEST)
    small = neuralNetwork(784, 100, 10, 0.3, seed=0)
    for epoch in range(5):
        for x, label in zip(book_scale(pixels), labels):
            small.train(x, book_targets(label))
    scorecard = [int(np.argmax(small.query(x))) == label
                 for x, label in zip(book_scale(test_pixels), test_labels)]
    print("scorecard:", [int(s) for s in scorecard], " performance:", np.mean(scorecard))
else:
    print("skipped: the book's CSV files were not found (see the first cell: set "
          "DOWNLOAD = True there, or GLASSNET_DATA)")"""),
    ("md", """\
## A larger run: MNIST's test set, split 8,000 / 2,000

The book trains on MNIST's 60,000 training digits. Here MNIST's 10,000 test
digits are split: the first 8,000 to train, the last 2,000 to test. (With the
full training set, `glassnet.datasets.load_mnist(split="train")` loads it.)
The book's network: 200 hidden nodes, learning rate 0.1; two epochs here, the
book's five in `glassnet train --book` or the test suite's check."""),
    ("code", """\
if HAVE_MNIST:
    X_train, y_train, X_test, y_test = X_all[:8000], y_all[:8000], X_all[8000:], y_all[8000:]
    net = neuralNetwork(784, 200, 10, 0.1, seed=0)
    start = time.perf_counter()
    for epoch in range(2):
        for x, label in zip(X_train, y_train):
            net.train(x, book_targets(label))
        print(f"epoch {epoch + 1}: performance {performance(net, X_test, y_test):.4f}")
    print(f"{2 * len(X_train)} training steps in {time.perf_counter() - start:.1f}s")
else:
    print("skipped: MNIST's test files were not found (see the first cell: set "
          "DOWNLOAD = True there, or GLASSNET_DATA)")"""),
    ("md", """\
## Experiments: the learning rate and the number of epochs

Small versions of the book's experiments (2,000 training digits and 100
hidden nodes each), so they run in seconds. The book, with 60,000 digits,
finds its best learning rate near 0.1-0.3 and its best number of epochs near
5-7. With 30 times fewer digits, each epoch takes fewer steps: see where the
best values lie here."""),
    ("code", """\
def train_run(lr, epochs, n_train=2000, seed=0):
    run = neuralNetwork(784, 100, 10, lr, seed=seed)
    scores = []
    for _ in range(epochs):
        for x, label in zip(X_train[:n_train], y_train[:n_train]):
            run.train(x, book_targets(label))
        scores.append(performance(run, X_test, y_test))
    return scores


if HAVE_MNIST:
    for lr in (0.01, 0.1, 0.3, 0.6, 2.0):
        print(f"learning rate {lr:<4}: performance {train_run(lr, 1)[-1]:.4f}")
    for epoch, score in enumerate(train_run(0.1, 4), start=1):
        print(f"epochs {epoch}: performance {score:.4f}")
else:
    print("skipped: needs MNIST (see above)")"""),
    ("md", """\
## More data from the same data: rotations

The book adds, for every training digit, a copy turned 10 degrees each way.
`glassnet.datasets.augment_rotations` does this in NumPy (the book uses
SciPy's `ndimage.rotate`, which it matches), with the book's background 0.01."""),
    ("code", """\
from matplotlib.figure import Figure

from glassnet.datasets import augment_rotations


def show_images(images, titles, size=1.6):
    \"\"\"A row of 28x28 pictures, ink dark, as the book draws them.\"\"\"
    fig = Figure(figsize=(size * len(images), size * 1.2))
    for i, (image, title) in enumerate(zip(images, titles)):
        ax = fig.add_subplot(1, len(images), i + 1)
        ax.imshow(np.asarray(image).reshape(28, 28), cmap="Greys", interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return fig


if HAVE_MNIST:
    X_rot, y_rot = augment_rotations(X_train[:2000], y_train[:2000], angles=(10, -10))
    display(show_images(X_rot[:6], ["digit", "+10 degrees", "-10 degrees"] * 2))
    plain_net = neuralNetwork(784, 100, 10, 0.1, seed=0)
    rotated_net = neuralNetwork(784, 100, 10, 0.1, seed=0)
    for x, label in zip(X_train[:2000], y_train[:2000]):
        plain_net.train(x, book_targets(label))
    for x, label in zip(X_rot, y_rot):
        rotated_net.train(x, book_targets(label))
    plain_score = performance(plain_net, X_test, y_test)
    rotated_score = performance(rotated_net, X_test, y_test)
    print(f"2,000 digits:                   performance {plain_score:.4f}")
    print(f"the same with rotated copies:   performance {rotated_score:.4f}")
else:
    print("skipped: needs MNIST (see above)")"""),
    ("md", """\
## Looking inside: the network run backwards

`backquery` feeds a target (0.99 for one digit, 0.01 for the others) in at the
outputs and runs the network backwards, undoing each sigmoid with its inverse
(the logit) and each weight matrix with its transpose. The result is what the
network "imagines" for each digit: dark where ink makes that digit likely."""),
    ("code", """\
if HAVE_MNIST:
    display(plots.plot_backquery(net))
else:
    print("skipped: needs the network trained on MNIST (see above)")"""),
    ("md", """\
## Looking inside any network

`glassnet.inside.backquery` runs engine networks of any depth backwards, as
long as each activation can be undone (sigmoid, tanh, leaky ReLU; softmax at
the output is undone by a logarithm). A ReLU cannot be undone: every negative
input gives 0. For ReLU networks, `plot_imagined` says so and draws the answer
of *activation maximisation* instead: starting from grey, the input is nudged
step by step up the gradient of the label's probability."""),
    ("code", """\
from glassnet import inside

if HAVE_MNIST:
    X32, X32_test = X_train.astype(np.float32), X_test.astype(np.float32)
    deep = glassnet.mlp([784, 100, 50, 10], activation="sigmoid", seed=0)
    deep.fit(X32, y_train, epochs=3, seed=0, verbose=0)
    relu = glassnet.mlp([784, 100, 10], activation="relu", seed=0)
    relu.fit(X32, y_train, epochs=3, seed=0, verbose=0)
    for name, model in (("sigmoid, two hidden layers", deep), ("ReLU", relu)):
        print(f"{name}: test accuracy {model.evaluate(X32_test, y_test)['accuracy']:.4f}, "
              f"can be run backwards: {inside.invertible(model)}")
    display(plots.plot_imagined(deep))
    display(plots.plot_imagined(relu, input_range=(0.01, 1.0)))
    display(plots.plot_strongest_inputs(deep, X32_test, units=range(4), k=6))
else:
    print("skipped: needs MNIST (see above)")"""),
    ("md", """\
## Your own handwriting

A digit drawn here with Pillow stands in for a photo of your own: dark ink on
white paper, on a large canvas, off centre. MNIST's digits were made by cutting
each to its ink, fitting it into 20x20 pixels and centring its centre of mass
on 28x28, light on black; `preprocess_image` does the same to your picture
(and inverts it only if its paper is light). Shrinking the whole picture to
28x28 instead (`preprocess="plain"`) gives the network something it never saw."""),
    ("code", """\
from PIL import Image, ImageDraw

from glassnet.datasets import preprocess_image

drawing = Image.new("L", (400, 400), 255)
pen = ImageDraw.Draw(drawing)
pen.line([(60, 70), (190, 70), (110, 250)], fill=20, width=16, joint="curve")  # a 7
pen.line([(95, 160), (175, 160)], fill=20, width=12)  # crossed, as many write it

prepared = preprocess_image(drawing)
plain = preprocess_image(drawing, preprocess="plain")
fig = show_images([255 - np.asarray(drawing.resize((28, 28))), prepared.pixels, plain.pixels],
                  ["your picture", "as MNIST was made", "whole picture shrunk"], size=2.2)
display(fig)
print("warnings:", prepared.warnings or "none")
if HAVE_MNIST:
    for name, seen in (("MNIST-style", prepared), ("whole picture", plain)):
        x = seen.pixels.reshape(784) / 255.0 * 0.99 + 0.01
        outputs = net.query(x)[:, 0]
        print(f"{name:14s}: the network reads {int(np.argmax(outputs))} "
              f"(output {outputs.max():.2f})")
else:
    print("skipped the reading: needs the network trained on MNIST (see above)")"""),
    ("md", """\
The same from the command line, with the 28x28 the network sees written out:

```
glassnet train mnist --book -o book.safetensors
glassnet predict book.safetensors my-digit.png --show seen.png
```"""),
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
