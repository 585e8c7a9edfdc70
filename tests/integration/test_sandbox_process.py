"""PR_SET_DUMPABLE, which the worker sets on itself: a same-uid process that is not root can
no longer read its environment (run here as a sandbox uid, since the tests run as root)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cody_adapters.process.sandbox import confine
from cody_adapters.process.sandbox.slots import SlotPool

SYSTEM_PYTHON = Path("/usr/bin/python3")  # one a sandbox uid may run: cody's may be under /root


@pytest.mark.parametrize("undumpable", [False, True])
def test_an_undumpable_process_hides_its_environment_from_its_own_uid(undumpable):
    if os.geteuid() != 0 or not SYSTEM_PYTHON.exists():
        pytest.skip("needs root (to run both processes as another uid) and /usr/bin/python3")
    pool = SlotPool()
    slot = pool.acquire()
    as_slot = {"user": slot.uid, "group": slot.gid, "extra_groups": []}
    call = "confine.make_undumpable(); " if undumpable else ""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(confine.__file__).parent)!r}); import confine; "
        f"{call}print('ready', flush=True); sys.stdin.read()"
    )
    try:
        holder = subprocess.Popen(
            [SYSTEM_PYTHON, "-S", "-c", code],
            env={"PATH": "/usr/bin", "HIDDEN": "hidden-value"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            **as_slot,
        )
        assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
        reader = subprocess.run(
            ["cat", f"/proc/{holder.pid}/environ"], capture_output=True, **as_slot
        )
        holder.communicate(b"", timeout=10)
    finally:
        pool.release(slot)

    assert (b"HIDDEN=hidden-value" in reader.stdout) is not undumpable
