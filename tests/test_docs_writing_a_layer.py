"""The page on writing a layer runs as written, and its layer passes check_layer."""

import re
import sys
import types
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "writing-a-layer.md"


def test_the_page_runs_and_ends_with_check_layer(capsys):
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert "check_layer" in blocks[-1]
    assert text.rstrip().splitlines()[-1].startswith("Losses have")  # check_* close the page
    module = types.ModuleType("writing_a_layer_page")  # a real module, so pickle finds Gain
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    try:
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - our own page
    finally:
        del sys.modules[module.__name__]
    assert "checks passed" in capsys.readouterr().out
    assert "trains middle in a network at the default fit verbosity" in namespace["report"].passed
