"""Parse JSON from a file that may be hostile: strict, bounded and without surprises.

Python's ``json.loads`` accepts things a file format should not: a repeated
key (the last one silently wins), ``NaN`` and ``Infinity``, and nesting so
deep that parsing ends in ``RecursionError``. :func:`loads_strict` refuses
all three, and strings or nesting beyond the caller's caps, with a
``ValueError`` saying which, so a reader can turn it into its own error
naming the file.

Cost: linear in the text. The parsing is the standard library's C scanner
(no regular expression, no backtracking); the caps are checked afterwards
by one iterative walk over the decoded values. Memory is the decoded text
plus the values, a few times the input's size at most (a 20 MB string costs
about 40 MB while it is parsed).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "loads_strict", "nesting_depth"]

MAX_DEPTH = 32  # far more than any file glassnet writes, far less than the recursion limit


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {twice[:80]!r} appears more than once in one JSON object")
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (only finite numbers are)")


def nesting_depth(value: Any, *, max_string: int | None = None) -> int:
    """The deepest nesting of lists and dicts in ``value`` (a scalar is 0), walked iteratively.

    Raises ``ValueError`` for a string (key or value) longer than ``max_string``.
    """
    if max_string is not None and isinstance(value, str):
        _check_strings([value], max_string)
    if not isinstance(value, (dict, list)):
        return 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        if max_string is not None:
            if isinstance(item, dict):
                _check_strings(item, max_string)
            _check_strings(children, max_string)
        stack.extend([(v, depth + 1) for v in children if isinstance(v, (dict, list))])
    return deepest


def _check_strings(values: Any, max_string: int) -> None:
    longest = max((len(v) for v in values if type(v) is str), default=0)
    if longest > max_string:
        text = next(v for v in values if type(v) is str and len(v) == longest)
        raise ValueError(f"a string of {len(text):,} characters ({text[:40]!r}...); "
                         f"at most {max_string:,} are allowed")


def loads_strict(raw: bytes | str, *, max_depth: int = MAX_DEPTH,
                 max_string: int | None = None) -> Any:
    """Decode JSON ``raw`` (UTF-8 bytes or text), refusing what a file format should not hold.

    Parameters
    ----------
    raw : the JSON text
    max_depth : the deepest nesting of lists and objects allowed
    max_string : the longest string (key or value) allowed, in characters; None for no cap

    Raises
    ------
    ValueError
        The text is not UTF-8, not JSON, nests deeper than ``max_depth``,
        holds a string longer than ``max_string``, repeats a key within one
        object, or holds NaN or Infinity. The message says which.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not valid UTF-8 ({exc})") from None
    else:
        text = raw
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:  # the C scanner counts its recursion: nesting in the thousands
        raise ValueError(f"JSON nested too deeply; at most {max_depth} levels are "
                         "allowed") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({str(exc)[:200]})") from None
    except ValueError as exc:  # a duplicate key, NaN, or an integer of thousands of digits
        raise ValueError(str(exc)[:300]) from None
    depth = nesting_depth(value, max_string=max_string)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep; at most {max_depth} are allowed")
    return value
