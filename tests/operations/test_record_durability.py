"""A writer killed with SIGKILL loses none of the rows it had reported committed."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from callcenter.records import RecordStore

WRITER = """
import sys
from callcenter.records import RecordStore, RecordWriter
from tests.operations.factories import make_record

writer = RecordWriter(RecordStore.open(sys.argv[1]), max_batch=200)
i = 0
while True:
    for _ in range(50):
        writer.add_call(make_record(f"c{i}", arrived_at=1.79e9 + i, wait=1.0, talk=30.0))
        i += 1
    writer.flush()
    print(i, flush=True)  # every call up to i is committed
"""


def test_killed_writer_keeps_every_committed_row_and_the_file_is_sound(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    child = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[2])
    committed = 0
    deadline = time.monotonic() + 60
    try:
        while committed < 1000 and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "writer exited early"
            committed = int(line)
    finally:
        child.send_signal(signal.SIGKILL)  # the writer keeps going: killed mid-run
        child.wait(timeout=30)
        child.stdout.close()
    assert committed >= 1000 and child.returncode == -signal.SIGKILL
    with RecordStore.open(url) as store:
        assert store.integrity_check() == "ok"
        ids = {c.call_id for c in store.calls()}
        assert {f"c{i}" for i in range(committed)} <= ids
        # whatever else made it is whole batches from the start, no gaps
        assert ids == {f"c{i}" for i in range(len(ids))}
        assert len(store.events()) == 3 * len(ids)
