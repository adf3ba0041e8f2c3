"""Fashion-MNIST with a cosine learning-rate schedule and one epoch of warm-up.

Draws docs/images/cosine-warmup-fashion-mnist.png: the learning rate at every
step, and the loss and accuracy per epoch (training, and a 10% validation
split of the training data); prints the test accuracy at the end.

    python docs/examples/cosine_warmup.py [FASHION_MNIST_FOLDER]
"""

import sys
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.datasets import load_fashion_mnist
from glassnet.training import CosineDecay

folder = sys.argv[1] if len(sys.argv) > 1 else None
(X, y), (X_test, y_test) = load_fashion_mnist(folder, download=False)
epochs, batch_size, peak_lr = 10, 128, 2e-3
steps_per_epoch = -(-int(round(X.shape[0] * 0.9)) // batch_size)
schedule = CosineDecay(peak_lr, total_steps=epochs * steps_per_epoch,
                       warmup_steps=steps_per_epoch)

net = gn.mlp([784, 256, 128, 10], dropout=0.2, seed=0)
start = time.perf_counter()
history = net.fit(X, y, optimizer=gn.Adam(peak_lr), epochs=epochs, batch_size=batch_size,
                  validation_split=0.1, seed=0, callbacks=[schedule], verbose=2)
print(f"{time.perf_counter() - start:.0f}s; test accuracy "
      f"{net.evaluate(X_test, y_test)['accuracy']:.4f}")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (ax_lr, ax_loss, ax_acc) = plt.subplots(1, 3, figsize=(13, 3.6))
steps = np.arange(epochs * steps_per_epoch)
ax_lr.plot(steps / steps_per_epoch, schedule(steps))
ax_lr.set(title="learning rate (cosine, 1 epoch warm-up)", xlabel="epoch", ylabel="lr")
epoch_axis = np.arange(1, history.epochs_run + 1)
for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
    ax.plot(epoch_axis, history[key], label="training")
    ax.plot(epoch_axis, history[f"val_{key}"], "--", label="validation (10% of training)")
    ax.set(title=key, xlabel="epoch")
    ax.legend()
fig.suptitle("Fashion-MNIST, 784-256-128-10 MLP, Adam, dropout 0.2")
fig.tight_layout()
out = Path(__file__).resolve().parents[1] / "images" / "cosine-warmup-fashion-mnist.png"
fig.savefig(out, dpi=100)
print(f"wrote {out}")
