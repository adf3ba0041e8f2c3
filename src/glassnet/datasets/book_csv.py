"""The book's small MNIST files in CSV form, found the way the other data sets are.

*Make Your Own Neural Network* trains first on ``mnist_train_100.csv`` (100
digits) and tests on ``mnist_test_10.csv`` (10 digits): a label, then 784
pixel values per line. They come from the book's repository,
``BOOK_CSV_URL``. :func:`find_book_csv` looks for them where the MNIST
loaders look (see :mod:`glassnet.datasets.sources`) under the name
``rashid-csv``: the ``path=`` folder, ``$GLASSNET_DATA/rashid-csv``,
``$GLASSNET_DATA``, ``/usr/share/datasets/rashid-csv``, the cache
``~/.cache/glassnet/rashid-csv``; and, when ``download=True``, fetches them
from the book's repository into the cache, checked against the SHA-256 of
the files as the book's repository serves them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataNotFoundError
from .download import fetch
from .sources import ENV_VAR, PathLike, cache_folder, candidate_folders

__all__ = ["find_book_csv", "BOOK_CSV_URL", "BOOK_CSV_FILES"]

NAME = "rashid-csv"
BOOK_CSV_URL = ("https://raw.githubusercontent.com/makeyourownneuralnetwork/"
                "makeyourownneuralnetwork/master/mnist_dataset/")
BOOK_CSV_FILES = {  # SHA-256 of the files' bytes
    "mnist_train_100.csv": "fdd8d89d0c19e0a78ee8f60a7770fa708895ed1c649b9f49a0fa63a9d517cfe2",
    "mnist_test_10.csv": "36872cba8ad8788b41d8dc391e84e33871ba1bb9d73a5a4c95c0429fd63e96e5",
}


def find_book_csv(filename: str, *, path: PathLike | None = None,
                  download: bool = False) -> Path:
    """The path of one of the book's CSV files, searched for (or fetched) as described above.

    Parameters
    ----------
    filename : ``"mnist_train_100.csv"`` or ``"mnist_test_10.csv"``
    path : a folder to look in first
    download : fetch the file into the cache when it is found nowhere

    Raises
    ------
    DataNotFoundError
        The file is nowhere; the message lists the places and how to get it.
    """
    if filename not in BOOK_CSV_FILES:
        raise ValueError(f"the book's CSV files are {sorted(BOOK_CSV_FILES)}, got {filename!r}")
    notes = []
    for label, folder in candidate_folders(NAME, path=path):
        if folder is not None and (folder / filename).is_file():
            return folder / filename
        notes.append(f"{label}" + (f" ({folder})" if folder is not None else ": not set"))
    cache = cache_folder(NAME)
    if download:
        return fetch(filename, mirrors=[BOOK_CSV_URL], sha256=BOOK_CSV_FILES[filename],
                     dest_dir=cache, progress=False)
    raise DataNotFoundError(
        f"the book's {filename} was not found. Looked in:\n"
        + "\n".join(f"  {i}. {note}" for i, note in enumerate(notes, start=1))
        + f"\nIt comes from the book's repository, {BOOK_CSV_URL}{filename}. To fix: "
        f"find_book_csv({filename!r}, download=True) fetches it into {cache}; or download it "
        f"by hand into that folder, or into a folder that {ENV_VAR} names (or its '{NAME}' "
        "subfolder)")
