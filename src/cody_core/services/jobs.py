"""Creating, inspecting, cancelling and retrying jobs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from cody_core.bounds import diff_is_cut
from cody_core.errors import InputError, NotFoundError
from cody_core.models import Job, JobStatus, RepositoryRun, RunStatus
from cody_core.policies import limits
from cody_core.policies.allowlist import Allowlist, suggested_pattern
from cody_core.policies.references import RepositoryRef, parse_reference
from cody_core.policies.wording import counted
from cody_core.ports import ArtifactStore, Clock, JobStore, Preflight
from cody_core.services.endings import cancel_pending, record_counts
from cody_core.services.preflight import NoPreflight, check_job

Conversation = list[dict[str, Any]]  # the messages as the model's API has them


def parse_references(raw: Iterable[str]) -> list[RepositoryRef]:
    """Normalise every reference and drop duplicates, keeping the first spelling's position.

    Stops as soon as there are more than a job may hold, so a huge list costs no more.
    """
    refs: dict[str, RepositoryRef] = {}
    for text in raw:
        ref = parse_reference(text)
        refs.setdefault(ref.name, ref)
        if len(refs) > limits.MAX_REPOSITORIES:
            limits.check_repository_count(len(refs))
    return list(refs.values())


class JobService:
    """What `cody job ...` does, apart from running a job."""

    def __init__(
        self,
        store: JobStore,
        artifacts: ArtifactStore,
        clock: Clock,
        allowlist: Allowlist,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        preflight: Preflight | None = None,
        retention_days: float | None = None,
    ):
        self._store = store
        self._artifacts = artifacts
        self._clock = clock
        self._allowlist = allowlist
        self._new_id = new_id
        self._preflight = preflight or NoPreflight()
        self._retention = None if retention_days is None else timedelta(days=retention_days)

    def create(self, repositories: Sequence[str], **fields: Any) -> Job:
        """Validate everything first, then store the job and one pending run per repository."""
        fields = {"assistant": "command", **fields}
        if not str(fields.get("prompt", "")).strip():
            raise InputError("the job has no prompt: pass --prompt TEXT or --prompt-file FILE")
        limits.check_prompt(str(fields["prompt"]))
        if fields["assistant"] == "command" and not fields.get("command"):
            raise InputError("the command assistant needs a command: pass --command CMD")
        refs = parse_references(repositories)
        if not refs:
            raise InputError(
                "no repositories given: pass --repo REF, --repos-file FILE, --org or --search"
            )
        refused = [ref for ref in refs if not self._allowlist.allows(ref)]
        if refused:
            shown = ", ".join(map(str, refused[:3])) + (" …" if len(refused) > 3 else "")
            raise InputError(
                f"{counted(len(refused), 'repository')} outside ALLOWED_REPOSITORIES ({shown}): "
                f"add them or a pattern such as {suggested_pattern(refused[0])} to "
                "ALLOWED_REPOSITORIES"
            )
        now = self._clock.now()
        stamps: dict[str, Any] = {"created_at": now, "updated_at": now}
        if self._retention is not None:
            stamps["expires_at"] = int((now + self._retention).timestamp())
        try:
            job = Job(
                job_id=self._new_id(),
                repository_count=len(refs),
                repositories=tuple(ref.name for ref in refs),
                **stamps,
                **fields,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            if not first["loc"]:  # the whole job: its own check says what is wrong and why
                raise InputError(str(first["msg"]).removeprefix("Value error, ")) from None
            where = ".".join(str(part) for part in first["loc"])
            raise InputError(f"invalid {where}: {first['msg']}") from None
        runs = (
            RepositoryRun(job_id=job.job_id, repository_name=ref.name, **stamps) for ref in refs
        )
        check_job(job, lambda: frozenset(ref.kind for ref in refs), self._preflight)
        self._store.create_job(job, runs)
        return job

    def get(self, job_id: str) -> Job:
        return require_job(self._store, job_id)

    def list(self, status: JobStatus | None = None) -> Iterator[Job]:
        """Jobs newest first, all of them or those in one status."""
        return self._store.list_jobs(status)

    def report(self, job_id: str) -> tuple[Job, Iterator[RepositoryRun]]:
        """The job, read once, and its runs, read a page at a time as they are consumed."""
        return self.get(job_id), self._store.iter_runs(job_id)

    def run_for(self, job_id: str, repository: str) -> RepositoryRun:
        name = parse_reference(repository).name
        run = self._store.get_run(job_id, name) or self._store.get_run(job_id, repository)
        if run is None:  # the existing API keeps names as typed: Owner/Repo, github.com/o/r
            self.get(job_id)
            run = next(
                (r for r in self._store.iter_runs(job_id) if _names(r.repository_name, name)),
                None,
            )
        if run is None:
            raise InputError(f"job {job_id} has no repository {name}: see `cody job status`")
        return run

    def cancel(self, job_id: str) -> Job:
        cancelled = self._store.transition_job(
            job_id,
            [JobStatus.PENDING, JobStatus.IN_PROGRESS],
            {"status": JobStatus.CANCELLED, "completed_at": self._clock.now()},
        )
        if cancelled is None:  # read only now, to say why: there is no such job, or it ended
            status = self.get(job_id).status
            raise InputError(f"job {job_id} is already {status}: only unfinished jobs cancel")
        cancel_pending(self._store, job_id, self._clock.now())
        return record_counts(self._store, cancelled)

    def retry(self, job_id: str, include_skipped: bool = False) -> int:
        """Put failed runs (and skipped or cancelled ones if asked) back to pending."""
        self.get(job_id)
        wanted = [RunStatus.FAILED]
        if include_skipped:
            wanted += [RunStatus.SKIPPED, RunStatus.CANCELLED]
        reset = {
            "status": RunStatus.PENDING,
            "attempt": 0,
            "error": None,
            "completed_at": None,
            "lease_expires_at": None,
        }
        count = 0
        for run in self._store.iter_runs(job_id):
            if run.status in wanted:
                changed = self._store.transition_run(job_id, run.repository_name, wanted, reset)
                count += changed is not None
        if count:
            self._store.transition_job(
                job_id,
                [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED],
                {"status": JobStatus.PENDING, "completed_at": None, "error": None},
            )
        return count

    def diff(self, job_id: str, repository: str | None = None) -> Iterator[tuple[str, str]]:
        """(repository, patch) for each run with a change."""
        runs = [self.run_for(job_id, repository)] if repository else self.report(job_id)[1]
        for run in runs:
            if run.diff is not None and (run.diff_ref is None or not diff_is_cut(run.diff)):
                yield run.repository_name, run.diff
            elif run.diff_ref is not None:  # bytes that are not UTF-8 come back as they were
                yield (
                    run.repository_name,
                    self.artifact(run.diff_ref).decode("utf-8", "surrogateescape"),
                )

    def conversation(self, job_id: str, repository: str) -> Conversation:
        """The assistant's whole conversation with the model for one repository."""
        run = self.run_for(job_id, repository)
        if run.conversation_ref is None:
            raise InputError(
                f"{run.repository_name} has no conversation: only the claude assistant records one"
            )
        conversation: Conversation = json.loads(self.artifact(run.conversation_ref))
        return conversation

    def artifact(self, ref: str) -> bytes:
        try:
            return self._artifacts.get(ref)
        except NotFoundError as exc:
            raise InputError(f"artifact {ref} is missing: {exc}") from exc


def _names(stored: str, name: str) -> bool:
    """Whether a stored repository name, however it was spelt, is the repository `name`."""
    try:
        return parse_reference(stored).name == name
    except InputError:
        return False


def require_job(store: JobStore, job_id: str) -> Job:
    job = store.get_job(job_id)
    if job is None:
        raise InputError(f"no job {job_id!r}: `cody job list` shows the jobs there are")
    return job
