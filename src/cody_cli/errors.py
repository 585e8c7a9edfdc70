"""Turns domain errors into one line on stderr and an exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from cody_core.errors import CodyError, InputError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_INPUT = 2  # bad input: nothing was changed
EXIT_UNFINISHED = 3  # the job is not terminal yet: running it again can help
EXIT_INTERRUPTED = 143  # stopped by SIGTERM or SIGINT


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


def cli_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Report expected failures in one line instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            raise fail(str(exc)) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "value"
            if exc.title == "Settings":  # the field is an environment variable
                where = where.upper()
            raise fail(
                f"invalid {where}: {first['msg']}: fix it in the environment or .env"
            ) from None
        except CodyError as exc:
            code = EXIT_UNFINISHED if exc.transient else EXIT_INPUT
            raise fail(f"{exc.kind}: {exc}", code) from None

    return wrapper
