"""SqliteJobStore on a real file: several processes, WAL mode, runs read a page at a time."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cody_adapters.local.sqlite_store import SqliteJobStore
from cody_core.models import Job, RepositoryRun, RunStatus

NOW = datetime(2025, 1, 1, tzinfo=UTC)
CLAIMER = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from cody_adapters.local.sqlite_store import SqliteJobStore

store = SqliteJobStore(Path(sys.argv[1]))
names = [run.repository_name for run in store.iter_runs("job-1")]
now = datetime(2025, 1, 1, tzinfo=UTC)

def claim(name):
    return store.claim_run("job-1", name, sys.argv[2], now, now + timedelta(1)) is not None

print("ready", flush=True)
sys.stdin.readline()
with ThreadPoolExecutor(4) as pool:
    claimed = [n for n, ok in zip(names, pool.map(claim, names)) if ok]
print(json.dumps(claimed), flush=True)
"""


def create(store: SqliteJobStore, count: int) -> list[str]:
    names = [f"owner/repo-{i:03d}" for i in range(count)]
    job = Job(job_id="job-1", name="n", prompt="p", created_at=NOW)
    store.create_job(job, (RepositoryRun(job_id="job-1", repository_name=n) for n in names))
    return names


def test_two_processes_claiming_from_one_file_claim_each_run_once(tmp_path: Path) -> None:
    path = tmp_path / "cody.db"
    names = create(SqliteJobStore(path), 100)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path), owner],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for owner in ("p1", "p2")
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:  # release both at once so their claims overlap
        worker.stdin.write("go\n")
        worker.stdin.flush()
    claimed = {
        owner: json.loads(w.communicate(timeout=120)[0])
        for owner, w in zip(("p1", "p2"), workers, strict=True)
    }

    assert [w.returncode for w in workers] == [0, 0]
    counts = Counter(claimed["p1"] + claimed["p2"])
    assert sorted(counts) == names and set(counts.values()) == {1}
    owners = {
        run.repository_name: run.lease_owner for run in SqliteJobStore(path).iter_runs("job-1")
    }
    assert owners == {n: owner for owner, ns in claimed.items() for n in ns}


def test_the_file_is_in_wal_mode_and_a_second_store_sees_the_data(tmp_path: Path) -> None:
    path = tmp_path / "cody.db"
    first = SqliteJobStore(path)
    names = create(first, 3)
    first.claim_run("job-1", names[0], "w1", NOW, NOW + timedelta(minutes=1))

    second = SqliteJobStore(path)

    assert second.get_run("job-1", names[0]).lease_owner == "w1"
    assert [r.repository_name for r in second.iter_runs("job-1")] == names
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_small_pages_return_every_run_once_whatever_the_remainder(tmp_path: Path) -> None:
    for count in (0, 1, 6, 7, 8, 49, 50):
        store = SqliteJobStore(tmp_path / f"{count}.db", page_size=7)
        names = create(store, count)

        assert [r.repository_name for r in store.iter_runs("job-1")] == names


def test_runs_are_read_a_page_at_a_time(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "cody.db", page_size=10)
    names = create(store, 30)
    runs = store.iter_runs("job-1")
    first = next(runs)

    skip = {"status": RunStatus.SKIPPED}
    store.transition_run("job-1", names[25], [RunStatus.PENDING], skip)
    rest = list(runs)

    assert first.repository_name == names[0]
    assert rest[24].repository_name == names[25]
    assert rest[24].status == RunStatus.SKIPPED  # read after the change: not loaded up front
