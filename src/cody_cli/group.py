"""The root command group: usage errors in one `error:` line, like every other bad input."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from typer.core import TyperGroup

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
        except click.UsageError as error:
            where = f": see `{error.ctx.command_path} --help`" if error.ctx else ""
            message = error.format_message().rstrip(".")
            print(f"error: {message[:1].lower()}{message[1:]}{where}", file=sys.stderr)
            code = EXIT_INPUT
        except click.ClickException as error:
            print(f"error: {error.format_message()}", file=sys.stderr)
            code = error.exit_code
        except click.Abort:
            print("error: aborted", file=sys.stderr)
            code = EXIT_FAILED
        if standalone_mode:
            sys.exit(code)
        return code
