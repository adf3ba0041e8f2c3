import re
import subprocess
import sys

import pytest

from glassnet.cli import main


def test_demo_trains_and_reports_accuracy(capsys):
    assert main(["demo", "--epochs", "30", "--samples", "300", "--no-plots"]) == 0
    out = capsys.readouterr().out
    match = re.search(r"train accuracy (\d\.\d+)\s+test accuracy (\d\.\d+)", out)
    assert match, out
    assert float(match.group(2)) > 0.85
    assert "epoch  1/30" in out and "epoch 30/30" in out


@pytest.mark.slow
def test_demo_default_reaches_97_percent(capsys, tmp_path):
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    test_acc = float(re.search(r"test accuracy (\d\.\d+)", capsys.readouterr().out).group(1))
    assert test_acc >= 0.97


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--epochs", "many"])
    assert exc.value.code == 2
    assert "argument --epochs: expected a positive integer, got 'many'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_runtime_failure_exits_1_with_one_line(capsys, tmp_path):
    assert main(["evaluate", str(tmp_path / "missing.safetensors")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("glassnet evaluate: error: ")


def test_python_dash_m_and_help():
    result = subprocess.run([sys.executable, "-m", "glassnet", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and "demo" in result.stdout


def test_an_unforeseen_failure_is_one_line_and_debug_shows_the_traceback(tmp_path, capsys,
                                                                         monkeypatch):
    from glassnet import io
    from glassnet.cli import main

    def broken(path):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(io, "model_info", broken)
    assert main(["info", str(tmp_path / "m.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected RuntimeError: something nobody foresaw" in err
    assert "--debug" in err
    assert main(["info", str(tmp_path / "m.safetensors"), "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
