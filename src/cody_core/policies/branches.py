"""Which branch names git accepts: the rules of `git check-ref-format --branch`."""

from __future__ import annotations

_FORBIDDEN = frozenset(" ~^:?*[\\")


def branch_name_problem(name: str) -> str | None:
    """Why git would refuse `name` as a branch (refs/heads/<name>), or None when it is valid."""
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-'"
    if name == "@" or name == "HEAD":
        return f"{name!r} is reserved"
    bad = sorted({ch for ch in name if ch in _FORBIDDEN or ord(ch) < 0x20 or ord(ch) == 0x7F})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        return f"it contains {shown}, which git does not allow in a ref"
    if ".." in name:
        return "it contains '..'"
    if "@{" in name:
        return "it contains '@{'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "it starts or ends with '/' or contains '//'"
    if name.endswith("."):
        return "it ends with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return f"its part {part!r} starts with '.'"
        if part.endswith(".lock"):
            return f"its part {part!r} ends with '.lock'"
    return None
