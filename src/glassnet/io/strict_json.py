"""Parse JSON from a file that may be hostile: strict, shallow and without surprises.

Python's ``json.loads`` accepts things a file format should not: a repeated
key (the last one silently wins), ``NaN`` and ``Infinity``, and nesting so
deep that parsing ends in ``RecursionError``. :func:`loads_strict` refuses
all three with a ``ValueError`` saying which, so a reader can turn it into
its own error naming the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "loads_strict"]

MAX_DEPTH = 32  # far more than any file glassnet writes, far less than the recursion limit

# A JSON string: a quote, then any characters but quote and backslash or an escape pair.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_DEPTH_STEP = np.zeros(256, dtype=np.int8)
_DEPTH_STEP[[ord("{"), ord("[")]] = 1
_DEPTH_STEP[[ord("}"), ord("]")]] = -1


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of ``{`` and ``[`` in the JSON text ``raw`` (strings ignored).

    Done with one regular expression and one cumulative sum, so it costs a
    few milliseconds per megabyte and cannot recurse.
    """
    skeleton = _STRING.sub(b'""', raw)
    steps = _DEPTH_STEP[np.frombuffer(skeleton, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {twice[:80]!r} appears more than once in one JSON object")
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (only finite numbers are)")


def loads_strict(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode UTF-8 JSON ``raw``, refusing duplicate keys, NaN/Infinity and deep nesting.

    Raises
    ------
    ValueError
        The text is not UTF-8, not JSON, nests deeper than ``max_depth``,
        repeats a key within one object, or holds NaN or Infinity. The
        message says which.
    """
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep; at most {max_depth} are allowed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:  # unreachable after the depth check; kept as a last guard
        raise ValueError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    except ValueError as exc:  # a duplicate key, NaN, or an integer of thousands of digits
        raise ValueError(str(exc)) from None
