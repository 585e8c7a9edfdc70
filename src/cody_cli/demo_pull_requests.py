"""The end of `cody demo`: the job's pull requests tracked, then merged, on the local host."""

from __future__ import annotations

import sys
from typing import Any

from cody_cli import fleet_render


def show_pull_requests_and_merge(container: Any, job_id: str) -> None:
    """What `cody job prs JOB` and `cody job merge JOB --no-require-checks` print (the sample
    repositories have no CI, so their checks are `none`)."""
    from cody_core.services.pull_request_actions import MergeOptions
    from cody_core.services.tracking import summary

    print(f"\n$ cody job prs {job_id}", file=sys.stderr)
    tracked = list(container.tracking().refresh(job_id))
    fleet_render.pull_requests_table(job_id, tracked, summary(tracked))
    print(f"\n$ cody job merge {job_id} --no-require-checks", file=sys.stderr)
    options = MergeOptions(require_checks=False)
    outcomes = list(container.pull_request_actions().merge(job_id, options))
    for outcome in outcomes:
        print(fleet_render.outcome_lines(outcome))
    merged = sum(outcome.action == "merged" for outcome in outcomes)
    print(f"{merged} of {len(outcomes)} pull requests merged into their default branch")
