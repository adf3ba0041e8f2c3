"""The public face of glassnet.datasets."""

from __future__ import annotations

import inspect

import glassnet.datasets as datasets

PUBLIC = {
    "make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs",
    "read_idx", "write_idx", "fetch",
    "load_mnist", "load_fashion_mnist", "MNIST_CLASSES", "FASHION_MNIST_CLASSES",
    "read_digits_csv", "write_digits_csv", "image_to_input", "preprocess_image", "PreparedImage",
    "augment_rotations", "random_rotate_shift", "find_book_csv", "MappedRows",
}  # fmt: skip


def test_all_is_the_public_api():
    assert set(datasets.__all__) == PUBLIC
    for name in datasets.__all__:
        assert getattr(datasets, name) is not None


def test_public_functions_have_docstrings_and_keyword_only_options():
    for name in PUBLIC:
        obj = getattr(datasets, name)
        if not callable(obj) or isinstance(obj, type):  # classes: their fields, not options
            continue
        assert inspect.getdoc(obj), name
        params = inspect.signature(obj).parameters.values()
        defaults = [p for p in params if p.default is not p.empty]
        # options with defaults are keyword-only, except the loaders' leading path
        positional = [p.name for p in defaults if p.kind is not p.KEYWORD_ONLY]
        assert positional in ([], ["path"], ["n_samples"]), (name, positional)


def test_importing_does_not_import_pillow_or_tqdm():
    import subprocess
    import sys

    code = "import sys, glassnet.datasets; print('PIL' in sys.modules, 'tqdm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
