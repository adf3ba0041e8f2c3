"""``glassnet export``: a saved model becomes an ONNX file that runs in onnxruntime."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet
from glassnet import io
from glassnet.cli import main

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed "
                                          "(pip install 'glassnet[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                                                "(pip install 'glassnet[onnx]')")


@pytest.fixture
def saved(tmp_path):
    net = glassnet.mlp([16, 8, 3], seed=0)
    path = io.save(net, tmp_path / "model.safetensors",
                   metadata={"scale": "unit", "class_names": ["a", "b", "c"]})
    return net, path


def outputs_of(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})


def test_export_writes_a_model_that_matches(saved, tmp_path, capsys):
    net, model_path = saved
    out = tmp_path / "model.onnx"
    assert main(["export", str(model_path), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "opset 17, IR version 8" in printed
    assert "'label' int64 (batch,)" in printed and "'probabilities' float32 (batch, 3)" in printed
    # trained on scaled pixels, exported without scaling: the user is told
    assert "--scale unit" in printed
    X = np.random.default_rng(0).random((20, 16), dtype=np.float32)
    labels, proba = outputs_of(out, X)
    np.testing.assert_allclose(proba, net.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(labels, net.predict(X))
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(props["class_names"]) == ["a", "b", "c"]


def test_export_with_pixel_scaling_and_another_opset(saved, tmp_path, capsys):
    net, model_path = saved
    out = tmp_path / "raw.onnx"
    assert main(["export", str(model_path), str(out), "--scale", "unit", "--opset", "13"]) == 0
    assert "note:" not in capsys.readouterr().out
    model = onnx.load(str(out))
    assert model.opset_import[0].version == 13 and model.ir_version == 7
    pixels = np.random.default_rng(1).integers(0, 256, (20, 16)).astype(np.float32)
    _, proba = outputs_of(out, pixels)
    np.testing.assert_allclose(proba, net.predict_proba(pixels / np.float32(255)), atol=1e-5)


def test_export_of_a_missing_model_fails_in_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "absent.safetensors"), str(tmp_path / "m.onnx")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("glassnet export: error:")
    assert not (tmp_path / "m.onnx").exists()


def test_unsupported_opset_is_bad_usage(saved, tmp_path, capsys):
    _, model_path = saved
    with pytest.raises(SystemExit) as exc:
        main(["export", str(model_path), str(tmp_path / "m.onnx"), "--opset", "9"])
    assert exc.value.code == 2
    assert "invalid choice: 9" in capsys.readouterr().err
