"""Writers that meet on a store file that does not exist yet: one creates the job, the others
are told it exists; none is told the store is busy (SQLite answers "locked" at once, without
its busy handler, while a new file is switched to WAL)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from cody_adapters.local.sqlite_store import SqliteJobStore
from cody_core.errors import InputError
from cody_core.testing.store_contract import make_job, make_runs, race

ROUNDS = 40
WRITERS = 4


def _create(path: Path, writer: int) -> str:
    store = SqliteJobStore(path)
    names = [f"o/w{writer}-{n:02d}" for n in range(30)]
    try:
        store.create_job(make_job(description=f"writer {writer}"), make_runs("job-1", names))
    except InputError:
        return "exists"
    finally:
        store.close()
    return "created"


def _create_in_process(args: tuple[Path, int]) -> str:
    return _create(*args)


def test_threads_meeting_on_a_new_store_file(tmp_path):
    for round_ in range(ROUNDS):
        path = tmp_path / f"{round_}" / "cody.db"
        store = SqliteJobStore(path)

        def create(writer: int, store: SqliteJobStore = store) -> str:
            names = [f"o/w{writer}-{n:02d}" for n in range(30)]
            try:
                store.create_job(make_job(), make_runs("job-1", names))
            except InputError:
                return "exists"
            return "created"

        assert sorted(race(WRITERS, create)) == ["created"] + ["exists"] * (WRITERS - 1)
        store.close()


def test_processes_meeting_on_a_new_store_file(tmp_path):
    with multiprocessing.get_context("fork").Pool(WRITERS) as pool:
        for round_ in range(ROUNDS):
            path = tmp_path / f"{round_}" / "cody.db"
            outcomes = pool.map(_create_in_process, [(path, w) for w in range(WRITERS)])
            assert sorted(outcomes) == ["created"] + ["exists"] * (WRITERS - 1)
