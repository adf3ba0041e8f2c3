"""The watchdog that turns a dead or silent rank into an error instead of a hang."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from glassnet.distributed._watch import process_alive, wait
from glassnet.errors import RankFailureError


def test_a_completed_request_returns() -> None:
    calls = iter([False, False, True])
    wait(lambda: next(calls), what="a test", timeout=60)


def test_a_dead_peer_on_this_machine_is_an_error_naming_its_rank() -> None:
    with pytest.raises(RankFailureError, match=r"rank 3 stopped .* the gradient all-reduce"):
        wait(lambda: False, what="the gradient all-reduce", timeout=600,
             local_peers=[(3, 12345)], check_every=0.01, alive=lambda pid: False)


def test_a_request_pending_past_the_timeout_is_an_error() -> None:
    with pytest.raises(RankFailureError, match=r"the weight checksum did not complete within"):
        wait(lambda: False, what="the weight checksum", timeout=0.05,
             local_peers=[(1, 1)], check_every=0.01, alive=lambda pid: True)


def test_process_alive_sees_this_process_and_a_finished_one() -> None:
    assert process_alive(os.getpid())
    done = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert done.returncode == 0
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    pid = child.pid
    child.wait()  # reaped: the pid is free
    assert not process_alive(pid)
