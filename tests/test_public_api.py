"""A snapshot of the public API: changing it must be a decision, not an accident."""

import glassnet

EXPECTED = [
    "Adam", "AdamW", "RMSprop", "BatchNorm", "BinaryCrossEntropy", "DTypeError", "DataFormatError",
    "DataNotFoundError", "Dense", "Dropout", "EarlyStopping", "Flatten", "GlassnetError",
    "GradcheckResult", "History", "Identity",
    "Layer", "LeakyReLU", "MeanSquaredError", "ModelFormatError", "Network", "NeuralNetwork",
    "ReLU", "SGD", "ShapeError", "Sigmoid", "Softmax", "SoftmaxCrossEntropy",
    "SumSquaredError", "Tanh", "__version__", "datasets", "functional", "gradcheck",
    "gradcheck_loss", "gradcheck_network", "initializers", "inside", "io", "layers", "losses",
    "mlp", "neuralNetwork", "optimizers", "plots", "training", "blog", "trace",
    # pictures and layers that hold layers, beside Dense
    "AvgPool2D", "Conv2D", "GlobalAvgPool2D", "MaxPool2D", "Reshape", "Residual", "Sequential",
]


def test_public_names():
    assert sorted(glassnet.__all__) == sorted(EXPECTED)
    for name in glassnet.__all__:
        assert hasattr(glassnet, name), name


def test_importing_glassnet_loads_no_optional_dependency():
    import subprocess
    import sys

    code = ("import sys, glassnet; "
            "print(sorted(m for m in ('matplotlib', 'PIL', 'tqdm', 'torch', 'sklearn') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
