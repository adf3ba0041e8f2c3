"""Progress bars: tqdm when it is installed, silence otherwise.

tqdm is an optional extra (``pip install 'glassnet[progress]'``); glassnet
never draws its own bar, it only decides whether to ask tqdm for one.
"""

from __future__ import annotations

from typing import Any


class _NullBar:
    """Stands in for a tqdm bar when there is none: every call does nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(*, total: int | None, desc: str, unit: str = "it", enabled: bool = True,
                 **kwargs: Any) -> Any:
    """Return a tqdm bar, or a do-nothing stand-in if disabled or tqdm is missing.

    Parameters
    ----------
    total : expected number of units (None when unknown)
    desc : short label printed in front of the bar
    unit : what one unit is ("batch", "B", ...)
    enabled : False gives the stand-in whatever is installed
    """
    if not enabled:
        return _NullBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NullBar()
    # disable=None: tqdm draws only on a terminal, so logs and pipes stay clean
    return tqdm(total=total, desc=desc, unit=unit, leave=False, disable=None, **kwargs)
