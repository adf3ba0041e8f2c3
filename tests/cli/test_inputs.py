"""The command line refuses bad input clearly: options that would do nothing or
select on the test split, backups made by another command, wrong data folders."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_wrong_data_dir_is_an_error_even_with_glassnet_data_set(tmp_path, capsys,
                                                                   monkeypatch):
    from glassnet.datasets.idx import write_idx

    root = tmp_path / "root" / "mnist"  # $GLASSNET_DATA holds the test split
    root.mkdir(parents=True)
    write_idx(root / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(root / "t10k-labels-idx1-ubyte.gz", np.arange(3, dtype=np.uint8))
    monkeypatch.setenv("GLASSNET_DATA", str(root.parent))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "empty").mkdir()
    model = tmp_path / "m.npz"
    assert main(["train", "moons", "--epochs", "1", "-o", str(model)]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "evaluate", model, "mnist", "--data-dir",
                         tmp_path / "empty", "--no-download")
    assert code == 1 and out == ""
    assert f"--data-dir ({tmp_path / 'empty'}): missing t10k-images-idx3-ubyte" in err
    assert "leave out --data-dir" in err

