"""Named places where a test can make the nightly refresh die, to prove it recovers.

Inert unless ``SENDWATCH_FAILPOINT`` names one. ``name`` kills the process at that
point with SIGKILL (no clean-up runs, as when a machine loses power or the OOM
killer strikes); ``name:raise`` raises :class:`Failpoint` there the first time in
this process only, as a passing fault would (a full disk), so Airflow's retry runs
the step again.
"""

from __future__ import annotations

import os
import signal

ENV = "SENDWATCH_FAILPOINT"
POINTS = (
    "before_snapshot_copy",
    "after_snapshot_copy",
    "after_journal",
    "after_current_swap",
    "after_warehouse_swap",
    "mid_move",
    "after_moves",
)
_raised: set[str] = set()


class Failpoint(RuntimeError):
    """A fault injected by a test."""


def hit(name: str) -> None:
    """Die or raise here if a test asked for it; otherwise do nothing."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, mode = wanted.partition(":")
    if point != name:
        return
    if mode == "raise":
        if name not in _raised:
            _raised.add(name)
            raise Failpoint(f"failpoint {name}")
        return
    os.kill(os.getpid(), signal.SIGKILL)
