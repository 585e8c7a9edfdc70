"""Job size on the DynamoDB store (dynalite): create, list and report 1,000 and 10,000 runs.

Reports wall time and peak memory of each `cody` command, and the DynamoDB requests each
operation makes. Run with `make bench` (or `python benchmarks/job_size.py`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from measure import CODY, median_of, write  # noqa: E402

from cody_adapters.dynamodb_store import DynamoDbJobStore, dynamodb_client  # noqa: E402
from cody_adapters.system_clock import SystemClock  # noqa: E402
from cody_core.policies.allowlist import Allowlist  # noqa: E402
from cody_core.services.jobs import JobService  # noqa: E402
from dynalite import DUMMY_CREDENTIALS, dynalite_server  # noqa: E402

SIZES = (1_000, 10_000)


def counted_store(endpoint: str, prefix: str) -> tuple[DynamoDbJobStore, Counter]:
    client = dynamodb_client(endpoint, "us-east-1")
    calls: Counter = Counter()
    client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return DynamoDbJobStore(client, prefix), calls


def main() -> None:
    rows = []
    os.environ.update(DUMMY_CREDENTIALS)
    with tempfile.TemporaryDirectory() as home, dynalite_server() as endpoint:
        for size in SIZES:
            prefix = f"bench-{uuid.uuid4().hex[:8]}"
            env = {
                **os.environ,
                "CODY_STORE": "dynamodb",
                "DYNAMODB_ENDPOINT": endpoint,
                "DYNAMODB_TABLE_PREFIX": prefix,
                "CODY_HOME": home,
                "ALLOWED_REPOSITORIES": "bench/*",
            }
            store, calls = counted_store(endpoint, prefix)
            store.ensure_tables(create=True)
            repos = Path(home, f"repos-{size}.txt")
            repos.write_text("".join(f"bench/repo-{i:05d}\n" for i in range(size)))
            create = [
                *CODY,
                "job",
                "create",
                "--name",
                f"n{size}",
                "--prompt",
                "p",
                "--command",
                "true",
                "--repos-file",
                str(repos),
            ]
            create_s, create_mb = median_of(1, create, env)
            job_id = next(store.list_jobs()).job_id
            status_s, status_mb = median_of(3, [*CODY, "job", "status", job_id, "--json"], env)
            list_s, list_mb = median_of(3, [*CODY, "job", "list", "--json"], env)
            calls.clear()
            names = (f"bench/repo-{i:05d}" for i in range(size))
            jobs = JobService(store, None, SystemClock(), Allowlist.parse("bench/*"))
            jobs.create(names, name="counted", prompt="p", command="true")
            create_calls = dict(calls)
            calls.clear()
            runs = sum(1 for _ in store.iter_runs(job_id))
            assert runs == size, runs
            read_calls = sum(calls.values())
            rows.append(
                {
                    "runs": size,
                    "create s": f"{create_s:.1f}",
                    "create MB": f"{create_mb:.0f}",
                    "status --json s": f"{status_s:.1f}",
                    "status MB": f"{status_mb:.0f}",
                    "list s": f"{list_s:.1f}",
                    "list MB": f"{list_mb:.0f}",
                    "create requests": ", ".join(f"{n} {op}" for op, n in create_calls.items()),
                    "read requests": read_calls,
                }
            )
    small, large = rows
    ratio = float(large["status MB"]) / float(small["status MB"])
    notes = [
        "Create: 1 conditional PutItem for the job + BatchWriteItem in chunks of 25.",
        "Read: Query pages of 500 runs (ConsistentRead), following LastEvaluatedKey.",
        f"Peak memory of `status --json`, 10,000 runs vs 1,000: x{ratio:.2f}.",
    ]
    print(write("job_size", "Job size on DynamoDB (dynalite)", rows, notes).read_text())


if __name__ == "__main__":
    main()
