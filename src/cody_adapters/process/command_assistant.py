"""A code assistant that is just a shell command run in the checkout (`--command`)."""

from __future__ import annotations

from cody_core.errors import CodyError, InputError, StoppedError, TransientError
from cody_core.models import Job
from cody_core.policies import repository_code
from cody_core.ports import AssistantRequest, AssistantResult, CommandRunner

_OUTPUT_TAIL = 2_000
_ERROR_LINES = 10


class CommandAssistant:
    """Changes the code by running the job's command in the checkout."""

    def __init__(self, runner: CommandRunner):
        self._runner = runner

    def admit(self, job: Job) -> None:
        """A command costs no tokens: every session may start."""

    def change(self, request: AssistantRequest) -> AssistantResult:
        job, checkout = request.job, request.checkout
        command = job.command
        if not command:
            raise InputError("the command assistant needs --command")
        timeout = job.command_timeout
        result = self._runner.run(
            command,
            checkout.path,
            timeout,
            request.should_stop,
            env=repository_code.environment(job, checkout.repository.name),
            network=job.network,
        )
        if result.stopped:
            raise StoppedError(f"`{command}` was stopped: the worker is stopping")
        if result.timed_out:
            raise TransientError(
                f"`{command}` did not finish within {timeout:g}s (--command-timeout)",
                kind="timeout",
            )
        if result.exit_code != 0:
            last_lines = "\n".join(result.output.splitlines()[-_ERROR_LINES:])
            raise CodyError(
                f"`{command}` exited with code {result.exit_code}: {last_lines}"[-_OUTPUT_TAIL:],
                kind="command-failed",
            )
        return AssistantResult(
            summary=f"ran `{command}`", output_tail=result.output[-_OUTPUT_TAIL:], turns=0
        )
