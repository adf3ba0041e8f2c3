"""What is measured: the model, the training settings, the FLOP count and the targets.

Every framework trains the same architecture on the same data, so the numbers
here are shared by all runners and by the report.
"""

from __future__ import annotations

SIZES: tuple[int, ...] = (784, 256, 128, 10)  # 784-256-128-10, ReLU, softmax cross-entropy
LR = 1e-3  # Adam, default betas and eps everywhere
TARGET_ACCURACY = 0.88  # Fashion-MNIST test accuracy for the "time to 88%" column
BEST_WITHIN_EPOCHS = 15  # "best test accuracy within 15 epochs"
MIB = 2**20

# The book's network for the classic-facade comparison.
BOOK_SIZES = (784, 200, 10)
BOOK_LR = 0.1


def train_step_flops(batch_size: int, sizes: tuple[int, ...] = SIZES) -> int:
    """Matrix-product FLOPs of one training step at batch ``B``.

    forward ``2 B sum(n_in n_out)``, weight gradients the same again, and the
    input gradients ``2 B n_in n_out`` of every layer but the first (nobody
    needs dL/dX of the data). Element-wise work (bias, ReLU, softmax, Adam) is
    not counted: it is small in FLOPs, though not always in time.
    """
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    forward = 2 * batch_size * sum(a * b for a, b in pairs)
    input_grads = 2 * batch_size * sum(a * b for a, b in pairs[1:])
    return 2 * forward + input_grads


FLOPS_PER_SAMPLE = train_step_flops(1)
FLOP_FORMULA = (
    "FLOP per training step = 2*B*(784*256+256*128+128*10) forward "
    "+ the same for the weight gradients + 2*B*(256*128+128*10) input gradients "
    f"(layers 2 and 3; the first layer's dx is not needed) = {FLOPS_PER_SAMPLE:,} * B"
)

# Ratios the team must reach (glassnet / peer); see report.targets().
TARGET_THROUGHPUT_VS_TORCH = 2.0
TARGET_THROUGHPUT_VS_TORCH_FUSED = 1.3
TARGET_THROUGHPUT_B256_VS_TORCH = 1.3
TARGET_TIME_TO_ACC_VS_TORCH = 0.5
TARGET_LATENCY_VS_TORCH = 0.5
TARGET_CLASSIC_VS_BOOK = 1.5
TARGET_PEAK_MIB = 290.0
