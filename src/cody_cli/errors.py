"""Turns failures into one line on stderr and an exit code that scripts (and Batch) can use."""

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

EXIT_FAILED = 1  # the job ended with failed repositories (or cody itself failed): final
EXIT_INPUT = 2  # bad input: nothing was changed
EXIT_UNFINISHED = 3  # the job is not terminal yet, or a service was unreachable: try again
EXIT_INTERRUPTED = 143  # stopped by SIGTERM or SIGINT


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return typer.Exit(code)


def cli_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Report failures in one line instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.TyperException, typer.Exit, typer.Abort):  # Typer reports these
            raise
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
        except Exception as exc:  # a failure nobody foresaw still gets one line, not a traceback
            raise unexpected(exc) from None

    return wrapper


def unexpected(exc: Exception) -> typer.Exit:
    """One line for an error no adapter translated; exit 3 when it looks like the network."""
    from cody_core.policies.classification import classify

    error = classify(exc)
    names = {cls.__name__ for cls in type(exc).__mro__}
    unreachable = error.transient or bool(names & _UNREACHABLE)
    return fail(f"{error.kind}: {error.message}", EXIT_UNFINISHED if unreachable else EXIT_FAILED)


# botocore's and urllib3's own connection errors, which are not Python's ConnectionError.
_UNREACHABLE = frozenset(
    {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "HTTPClientError"}
)
