"""The process's one container, built on first use: `cody --help` need not import any adapter."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cody_cli.container import Container


@cache
def _container() -> Container:
    from cody_cli.container import Container

    return Container()


class _Root:
    """Forwards to the container, creating it the first time anything asks."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_container(), name)


container: Container = _Root()  # type: ignore[assignment]
