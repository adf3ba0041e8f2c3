"""glassnet: neural networks from scratch in NumPy that you can read, run and trust."""

from . import (
    blog,
    datasets,
    functional,
    initializers,
    inside,
    io,
    layers,
    losses,
    optimizers,
    plots,
    trace,
    training,
)
from .classic import NeuralNetwork, neuralNetwork
from .errors import (
    DataFormatError,
    DataNotFoundError,
    DTypeError,
    GlassnetError,
    ModelFormatError,
    ShapeError,
)
from .gradcheck import GradcheckResult, gradcheck, gradcheck_loss, gradcheck_network
from .layers import (
    BatchNorm,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy, SumSquaredError
from .models import mlp
from .network import Network
from .optimizers import SGD, Adam, AdamW, RMSprop
from .training import EarlyStopping, History

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "BatchNorm",
    "BinaryCrossEntropy",
    "DTypeError",
    "DataFormatError",
    "DataNotFoundError",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Flatten",
    "GlassnetError",
    "GradcheckResult",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "MeanSquaredError",
    "ModelFormatError",
    "Network",
    "NeuralNetwork",
    "ReLU",
    "ShapeError",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "SumSquaredError",
    "Tanh",
    "__version__",
    "blog",
    "datasets",
    "functional",
    "gradcheck",
    "gradcheck_loss",
    "gradcheck_network",
    "initializers",
    "inside",
    "io",
    "layers",
    "losses",
    "mlp",
    "neuralNetwork",
    "optimizers",
    "plots",
    "trace",
    "training",
]
