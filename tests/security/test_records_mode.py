"""The records database holds callers' numbers: it is created readable by its owner only,
and an existing one open to others is narrowed."""

from __future__ import annotations

import os
import stat

from callcenter.records import RecordStore


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_records_database_and_its_wal_are_owner_only(tmp_path):
    old = os.umask(0o022)  # a usual umask, under which files are created 0644
    try:
        db = tmp_path / "var" / "callcenter.db"
        store = RecordStore.open(f"sqlite:///{db}", create=True)
        store.close_open_states(0.0)  # a write: the WAL exists
        assert mode(db) == 0o600
        assert all(mode(f) == 0o600 for f in tmp_path.joinpath("var").iterdir()), \
            {f.name: oct(mode(f)) for f in tmp_path.joinpath("var").iterdir()}
        store.close()
        os.chmod(db, 0o644)
        RecordStore.open(f"sqlite:///{db}", create=True).close()
        assert mode(db) == 0o600
    finally:
        os.umask(old)
