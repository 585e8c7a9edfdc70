"""The root command group: usage errors in one `error:` line, like every other bad input."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from cody_cli.errors import EXIT_FAILED, EXIT_INPUT


class OneLineErrors(TyperGroup):
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
            code = result if isinstance(result, int) else 0
        except typer.TyperException as error:  # click's errors, as Typer vendors them
            code = _report(error)
        except typer.Abort:
            print("error: aborted", file=sys.stderr)
            code = EXIT_FAILED
        if standalone_mode:
            sys.exit(code)
        return code


def _report(error: typer.TyperException) -> int:
    if type(error).__name__ == "NoArgsIsHelpError":  # `cody job`: the help, as asked
        print(error.format_message(), file=sys.stderr)
        return EXIT_INPUT
    context = getattr(error, "ctx", None)
    where = f": see `{context.command_path} --help`" if context is not None else ""
    # Typer checks choices with pydantic, whose messages start "Value error, ".
    message = error.format_message().replace("Value error, ", "").rstrip(".")
    print(f"error: {message[:1].lower()}{message[1:]}{where}", file=sys.stderr)
    return error.exit_code


class PlainCommand(TyperCommand):
    """Arguments shown as plain names (`JOB_ID`, `[MAX_REPOS]`), without Typer's `{}` and
    `<str>`, which read like Python rather than like a command line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                shown = name if param.required else f"[{name}]"
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
                param._usage_display_name = _constant(shown)  # type: ignore[method-assign]


def _constant(text: str) -> Callable[[], str]:
    return lambda: text
