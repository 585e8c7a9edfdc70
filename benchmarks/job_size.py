"""Job size: 1,000 and 10,000 runs created, processed with a no-op command, and reported;
then 10,000 and 100,000 runs created, reported (`job status`, table and JSON) and listed.

Each size is one job whose repositories are local symlinks to one tiny bare repository; the
command is `true`, so nothing changes and nothing is pushed. For every `cody` command: wall
time and peak memory. Writes per repository are read from the stored runs (each conditional
write raises a run's version by one). On DynamoDB (dynalite) every request the `cody`
process sends is counted through botocore's client-side monitoring (AWS_CSM_*: one UDP
datagram per API call), so nothing in cody is instrumented for the benchmark.

Run with `make bench` (or `python benchmarks/job_size.py`).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from measure import CODY, median_of, timed, write  # noqa: E402

from cody_adapters.aws.dynamodb_store import DynamoDbJobStore, dynamodb_client  # noqa: E402
from cody_adapters.local.sample_forge import make_bare_repo  # noqa: E402
from dynalite import DUMMY_CREDENTIALS, REGION, dynalite_server  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_JOB_SIZES", "1000,10000").split(","))
# Not processed (100,000 would take most of an hour): what grows with the job is reading it.
REPORT_SIZES = tuple(
    int(n) for n in os.environ.get("BENCH_REPORT_SIZES", "10000,100000").split(",")
)
CONCURRENCY = 8
WRITES = {"PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem"}


class RequestCounter:
    """Counts the DynamoDB requests of every process whose environment `env` is part of."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.calls: Counter[str] = Counter()
        threading.Thread(target=self._listen, daemon=True).start()

    @property
    def env(self) -> dict[str, str]:
        port = str(self._socket.getsockname()[1])
        return {"AWS_CSM_ENABLED": "true", "AWS_CSM_HOST": "127.0.0.1", "AWS_CSM_PORT": port}

    def take(self) -> Counter[str]:
        time.sleep(0.5)  # the last datagrams of a process that just exited are still on their way
        taken, self.calls = self.calls, Counter()
        return taken

    def _listen(self) -> None:
        while True:
            event = json.loads(self._socket.recv(65_536))
            if event.get("Type") == "ApiCall":
                self.calls[event["Api"]] += 1


@contextmanager
def dynamodb_env(counter: RequestCounter) -> Iterator[dict[str, str]]:
    os.environ.update(DUMMY_CREDENTIALS)  # for the client that makes the tables
    with dynalite_server() as endpoint:
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        DynamoDbJobStore(dynamodb_client(endpoint, REGION), prefix).ensure_tables(create=True)
        yield {
            **DUMMY_CREDENTIALS,
            **counter.env,
            "CODY_STORE": "dynamodb",
            "DYNAMODB_ENDPOINT": endpoint,
            "DYNAMODB_TABLE_PREFIX": prefix,
        }


def forge(root: Path, template: Path, size: int, name: str = "forge") -> Path:
    """`size` repositories that are one: symlinks to `template` (no push, so none is written)."""
    listing = root / f"{name}-{size}.txt"
    directory = root / f"{name}-{size}"
    directory.mkdir()
    names = []
    for index in range(size):
        link = directory / f"repo-{index:05d}"
        link.symlink_to(template)
        names.append(f"{link}\n")
    listing.write_text("".join(names))
    return listing


def cody(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [*CODY, *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def measure(store: str, env: dict[str, str], size: int, listing: Path, counter: RequestCounter):
    create = ["job", "create", "--name", f"n{size}", "--prompt", "p", "--command", "true"]
    counter.take()
    create_s, create_mb = timed([*CODY, *create, "--repos-file", str(listing)], env)
    create_calls = counter.take()
    job_id = json.loads(cody(env, "job", "list", "--json"))[0]["jobId"]
    counter.take()
    run = ["job", "run", job_id, "0", "--concurrency", str(CONCURRENCY), "--log-format", "json"]
    run_s, run_mb = timed([*CODY, *run], env)
    run_calls = counter.take()
    status_s, status_mb = median_of(3, [*CODY, "job", "status", job_id, "--json"], env)
    status_calls = counter.take()
    report = json.loads(cody(env, "job", "status", job_id, "--json"))
    runs = report["repositories"]
    done = Counter(r["status"] for r in runs)
    if done != {"completed": size} or any(r["wereChangesNecessary"] for r in runs):
        raise SystemExit(f"{size} runs on {store} did not all complete unchanged: {dict(done)}")
    row = {
        "store": store,
        "runs": size,
        "create s": f"{create_s:.1f}",
        "run s": f"{run_s:.0f}",
        "repos/s": f"{size / run_s:.0f}",
        "status --json s": f"{status_s:.1f}",
        "create MB": f"{create_mb:.0f}",
        "run MB": f"{run_mb:.0f}",
        "status MB": f"{status_mb:.0f}",
        "writes per repo": f"{statistics.mean(r['version'] for r in runs):.2f}",
        "DynamoDB requests: create; run; one status": "",
        "run requests per repo: writes, reads": "",
    }
    if run_calls:  # only the DynamoDB store sends requests
        status_calls = Counter({api: n // 3 for api, n in status_calls.items()})
        row["DynamoDB requests: create; run; one status"] = "; ".join(
            ", ".join(f"{n} {api}" for api, n in sorted(calls.items()))
            for calls in (create_calls, run_calls, status_calls)
        )
        writes = sum(n for api, n in run_calls.items() if api in WRITES)
        reads = sum(run_calls.values()) - writes
        row["run requests per repo: writes, reads"] = f"{writes / size:.2f}, {reads / size:.3f}"
    return row


def measure_report(env: dict[str, str], size: int, listing: Path) -> dict[str, str]:
    """Create, `job status` (table, then JSON) and `job list` of one job of `size` runs."""
    create = ["job", "create", "--name", f"r{size}", "--prompt", "p", "--command", "true"]
    create_s, create_mb = timed([*CODY, *create, "--repos-file", str(listing)], env)
    job_id = json.loads(cody(env, "job", "list", "--json"))[0]["jobId"]
    table_s, table_mb = median_of(3, [*CODY, "job", "status", job_id], {**env, "COLUMNS": "80"})
    json_s, json_mb = median_of(3, [*CODY, "job", "status", job_id, "--json"], env)
    list_s, list_mb = median_of(3, [*CODY, "job", "list"], env)
    rows = sum(1 for _ in cody(env, "job", "status", job_id).splitlines()) - 3
    if rows < size:  # title, header and totals aside, a line (or more) per run
        raise SystemExit(f"`job status` of {size} runs printed {rows} rows")
    return {
        "runs": f"{size:,}",
        "create s": f"{create_s:.1f}",
        "create MB": f"{create_mb:.0f}",
        "status s": f"{table_s:.1f}",
        "status MB": f"{table_mb:.0f}",
        "status --json s": f"{json_s:.1f}",
        "status --json MB": f"{json_mb:.0f}",
        "list s": f"{list_s:.2f}",
        "list MB": f"{list_mb:.0f}",
    }


def report_sizes(root: Path, template: Path, base: dict[str, str]) -> None:
    rows = []
    for size in REPORT_SIZES:
        listing = forge(root, template, size, "report")
        env = {**base, "CODY_HOME": str(root / f"report-{size}")}
        rows.append(measure_report(env, size, listing))
    small, large = rows[0], rows[-1]

    def ratio(column: str) -> str:
        return f"x{float(large[column]) / float(small[column]):.2f}"

    notes = [
        f"SQLite; the jobs are created but not run (every run pending). {large['runs']} runs "
        f"against {small['runs']}: `job status` peak memory {ratio('status MB')}, time "
        f"{ratio('status s')}; `job status --json` memory {ratio('status --json MB')}, time "
        f"{ratio('status --json s')}; `job create` memory {ratio('create MB')}, time "
        f"{ratio('create s')}; `job list` memory {ratio('list MB')}.",
        "Status reads 500 runs a page and prints each row as it is read (the table is plain "
        "text folded to 80 columns), so its memory does not grow with the job.",
    ]
    print(write("job_report_size", "Job size: create, status, list", rows, notes).read_text())


def main() -> None:
    counter = RequestCounter()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        template = make_bare_repo(root, "template", {"README.md": "# one file\n"})
        listings = {size: forge(root, template, size) for size in SIZES}
        base = {
            **os.environ,
            "TEMP_DIR": str(root / "tmp"),
            "ALLOWED_REPOSITORIES": f"{root}/forge-*/*,{root}/report-*/*",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        for size in SIZES:
            env = {**base, "CODY_HOME": str(root / f"sqlite-{size}")}
            rows.append(measure("SQLite", env, size, listings[size], counter))
        with dynamodb_env(counter) as dynamodb:  # the smallest only: dynalite is the slow part
            env = {**base, **dynamodb, "CODY_HOME": str(root / "dynamodb")}
            rows.append(measure("DynamoDB (dynalite)", env, SIZES[0], listings[SIZES[0]], counter))
        report_sizes(root, template, base)
    small, large = (r for r in rows if r["store"] == "SQLite")
    notes = [
        f"Processing: `cody job run JOB 0 --concurrency {CONCURRENCY}` with the command `true` "
        "on one-file repositories (git clone, the command, one `git add`, 4 writes to the run).",
        "Writes per repo: the stored runs' mean version (claim, cloned, assistant done, "
        "finished); heartbeats would add one per lease period.",
        "DynamoDB create: 1 conditional PutItem for the job + BatchWriteItem in chunks of 25; "
        "reads: Query pages of 500 runs (ConsistentRead).",
        f"Peak memory of `job run` on SQLite, {large['runs']:,} runs vs {small['runs']:,}: "
        f"x{float(large['run MB']) / float(small['run MB']):.2f}.",
    ]
    print(write("job_size", "Job size: create, process, report", rows, notes).read_text())


if __name__ == "__main__":
    main()
