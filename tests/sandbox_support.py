"""Sandboxes of every tier for tests, and the checkouts their commands run in."""

from __future__ import annotations

from pathlib import Path

import pytest

from cody_adapters.process.sandbox import Area, Sandbox
from cody_adapters.process.sandbox.areas import make_work_tree
from cody_core.errors import InputError

CONFINING = ("bwrap", "uid")  # the tiers the hostile suite must pass on
EVERY_TIER = ("none", *CONFINING)


def sandbox_of(tier: str, temp_root: Path) -> Sandbox:
    """A sandbox of exactly `tier`; the test is skipped, saying why, when it cannot run here."""
    sandbox = Sandbox(tier, temp_root)
    try:
        sandbox.require()
    except InputError as exc:
        pytest.skip(f"the {tier} tier cannot run here: {exc}")
    return sandbox


def scratch_checkout(sandbox: Sandbox, temp_root: Path) -> Area:
    """An area with an empty work tree, for commands that need no repository."""
    area = sandbox.open_area(temp_root)
    make_work_tree(area)
    return area
