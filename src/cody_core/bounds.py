"""How stored text is cut to fit an item: clipped fields, and the inline diff's cut and marker."""

from __future__ import annotations

from typing import Literal

from cody_core.item_size import text_size

_CUT = "… (cut to fit the store)"
DIFF_CUT_MARK = "# cody-batch: this diff is cut"


def printable(text: str) -> str:
    """Text every store, JSON and terminal takes: bytes that were not UTF-8 become `\\xNN`.

    File names and command output reach the domain with such bytes as surrogate escapes
    (`os.fsdecode`), which no UTF-8 encoder accepts.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogateescape" if _escapes_only(text) else "surrogatepass")
        return data.decode("utf-8", "backslashreplace")
    return text


def _escapes_only(text: str) -> bool:
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)


def clip(text: str, max_bytes: int, keep: Literal["start", "end"] = "start") -> str:
    """Cut text to at most `max_bytes` of UTF-8, keeping its start (or end) and saying so."""
    text = printable(text)
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    room = max(0, max_bytes - 32)  # what the note takes, with a byte to spare
    if keep == "end":
        return _CUT + "\n" + data[len(data) - room :].decode("utf-8", "ignore")
    return data[:room].decode("utf-8", "ignore") + "\n" + _CUT


def bounded_list(texts: tuple[str, ...], max_bytes: int) -> tuple[str, ...]:
    """The first texts whose list fits `max_bytes`, counted as DynamoDB counts a list."""
    kept, used = [], 3
    for text in texts:
        used += 1 + text_size(text)
        if used > max_bytes:
            break
        kept.append(text)
    return tuple(kept)


def fit_diff(diff: str, max_bytes: int, job_id: str, repository_name: str) -> str | None:
    """The diff if it fits in `max_bytes` of UTF-8; else its start, cut after a line, then a last
    line saying it was cut and how to get the whole one (None when not even that fits)."""
    exact = not _has_surrogates(diff)
    if exact and text_size(diff) <= max_bytes:
        return diff
    if diff_is_cut(diff):  # cut before, and now the rest of the run leaves less room
        diff = diff.rstrip("\n").rpartition("\n")[0]
    why = "to fit the store" if exact else "and approximate (it is not UTF-8)"
    marker = f"{DIFF_CUT_MARK} {why}; the whole diff: cody job diff {job_id} --repo "
    marker += f"{repository_name}\n"
    room = max_bytes - text_size(marker) - 1  # and a newline to end the part kept
    if room < 0:
        return None
    data = _utf8(diff)
    kept = data[:room]
    if len(kept) < len(data) and b"\n" in kept:
        kept = kept[: kept.rindex(b"\n") + 1]
    text = kept.decode("utf-8", "ignore")
    return (text if not text or text.endswith("\n") else text + "\n") + marker


def diff_is_cut(diff: str) -> bool:
    """Whether an inline diff is a cut (or approximate) one: the whole is an artifact."""
    return diff.rstrip("\n").rsplit("\n", 1)[-1].startswith(DIFF_CUT_MARK)


def _utf8(text: str) -> bytes:
    """UTF-8, with bytes that were not UTF-8 (surrogate escapes) as U+FFFD."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace").encode()


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
