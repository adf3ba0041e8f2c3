"""``glassnet.export`` itself needs no optional package; only ``to_onnx`` does."""

import subprocess
import sys


def test_importing_export_loads_no_onnx():
    code = "import sys, glassnet.export; print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_onnx_to_onnx_says_how_to_install_it():
    code = ("import sys; sys.modules['onnx'] = None\n"  # as if it were not installed
            "import glassnet\nfrom glassnet.export import to_onnx\n"
            "try:\n    to_onnx(glassnet.mlp([2, 2], seed=0))\n"
            "except ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'glassnet[onnx]'" in out.stdout
