"""Waiting on MPI requests without hanging: a deadline and a look at the peers.

A blocking collective waits forever for a rank that died. Here every
collective is started non-blocking and polled: it completes, or a peer
process on this machine has gone (checked every ``check_every`` seconds:
the error comes within about a second), or ``timeout`` seconds pass (the
only sign of a lost rank on another machine). Either way the caller gets a
:class:`~glassnet.errors.RankFailureError` naming the operation and the
rank, instead of a hang.

Under ``mpiexec`` (MPICH's Hydra) a rank killed by a signal makes the
launcher itself kill the other ranks at once and print which process died;
this module covers the launchers and failures that do not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import RankFailureError

__all__ = ["wait", "process_alive"]


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (macOS): os.kill said it exists
        return True


def wait(test: Callable[[], bool], *, what: str, timeout: float,
         local_peers: Sequence[tuple[int, int]] = (), check_every: float = 0.5,
         alive: Callable[[int], bool] = process_alive) -> None:
    """Poll ``test()`` until it returns True, or raise ``RankFailureError``.

    Parameters
    ----------
    test : polls the request(s), e.g. ``request.Test`` (True once complete)
    what : the operation, for the message (``"the gradient all-reduce of step 12"``)
    timeout : seconds after which a request still pending is an error
    local_peers : ``(rank, pid)`` of the other ranks on this machine
    check_every : seconds between two looks at the peers
    alive : ``pid -> bool`` (``process_alive``; replaceable in tests)
    """
    if test():
        return
    start = time.monotonic()
    next_check = start + check_every
    pause = 0.0
    while not test():
        now = time.monotonic()
        if now >= next_check:
            next_check = now + check_every
            gone = [rank for rank, pid in local_peers if not alive(pid)]
            if gone:
                raise RankFailureError(
                    f"rank {gone[0]} stopped (its process is gone) while this rank waited "
                    f"{now - start:.1f} s for {what}; the run cannot continue. Rerun it "
                    "(on the same or another number of ranks) with BackupAndRestore to "
                    "resume from the last backup")
        if now - start > timeout:
            raise RankFailureError(
                f"{what} did not complete within {timeout:g} s: another rank died, hangs "
                "or lost its network; the run cannot continue. Rerun it with "
                "BackupAndRestore to resume from the last backup, or raise timeout= of "
                "DataParallel if a rank is legitimately that slow (e.g. long validation)")
        # yield the core at once, then back off to 1 ms: a busy wait would take the
        # CPU from the other ranks on a shared machine
        time.sleep(pause)
        pause = min(1e-3, pause + 5e-5)


def test_all(requests: Sequence[Any]) -> Callable[[], bool]:
    """A ``test`` for :func:`wait` that completes when every request has."""
    from mpi4py import MPI

    return lambda: bool(MPI.Request.Testall(list(requests)))
