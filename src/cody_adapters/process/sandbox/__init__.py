"""Confinement for repository code: bubblewrap, a uid of its own, or (explicitly) none."""

from cody_adapters.process.sandbox.areas import Area
from cody_adapters.process.sandbox.confine import make_undumpable
from cody_adapters.process.sandbox.sandbox import MODES, UNAVAILABLE, Sandbox

__all__ = ["MODES", "UNAVAILABLE", "Area", "Sandbox", "make_undumpable"]
