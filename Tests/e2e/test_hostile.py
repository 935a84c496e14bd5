"""Hostile input, faults and load (issue 6): a 200 means the rows are on disk; anything else means
nothing was stored and the status tells the client whether to retry."""
import gzip
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import BIN, Stack
from spans import chat_attributes, hex_trace, make_spans

PROTOBUF = "application/x-protobuf"


def exporter_for(stack, timeout=30):
    return OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                            certificate_file=stack.cert, timeout=timeout)


def genai_trace(n: int, spans: int = 5, prompt_size: int = 0):
    attributes = chat_attributes(n)
    if prompt_size:
        attributes = dict(attributes, **{"gen_ai.prompt": "x" * prompt_size})
    return make_spans([(f"chat {i}", attributes, 1000) for i in range(spans)])


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture()
def mount_point():
    """A folder to mount a tmpfs on; skipped where this machine may not mount (not root)."""
    folder = tempfile.mkdtemp(prefix="ingate-mnt-")
    mounted = []

    def mount(options: str):
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", folder], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return Path(folder)

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", path])
    shutil.rmtree(folder, ignore_errors=True)


def test_a_gzip_bomb_is_413_and_worker_memory_stays_bounded(own_stack):
    [worker] = own_stack.worker_pids()
    before = vm_kib(worker, "VmHWM")
    bomb = gzip.compress(b"\0" * (256 << 20), 9)   # 256 MiB of zeros in ~250 KiB
    assert len(bomb) < 4 << 20
    response = requests.post(own_stack.traces_url, data=bomb, verify=own_stack.cert, timeout=120,
                             headers={"Content-Type": PROTOBUF, "Content-Encoding": "gzip", "X-Ingate-Key": own_stack.key})
    assert response.status_code == 413
    after = vm_kib(worker, "VmHWM")
    print(f"worker peak RSS before {before / 1024:.1f} MiB, after a 256 MiB gzip bomb {after / 1024:.1f} MiB")
    (own_stack.data / "bomb-rss.txt").write_text(f"{before} {after}\n")
    assert after - before < 64 * 1024 + 16 * 1024, "inflating past the 64 MiB limit"
    assert own_stack.count() == 0
    assert exporter_for(own_stack).export(genai_trace(1)) == SpanExportResult.SUCCESS


def test_killing_the_worker_under_load_loses_no_acknowledged_span(backend_stack):
    own_stack = backend_stack
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(index: int):
        exporter = exporter_for(own_stack, timeout=20)
        n = 0
        while not stop.is_set():
            spans = genai_trace(index * 100_000 + n)
            n += 1
            if exporter.export(spans) == SpanExportResult.SUCCESS:
                with lock:
                    acknowledged.append(hex_trace(spans[0]))

    clients = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in clients:
        t.start()
    killed = 0
    try:
        for _ in range(4):
            time.sleep(random.uniform(0.3, 1.2))
            pids = own_stack.worker_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed += 1
                deadline = time.time() + 10
                while time.time() < deadline and own_stack.worker_pids() in ([], pids):
                    time.sleep(0.05)
    finally:
        time.sleep(1)
        stop.set()
        for t in clients:
            t.join(60)
    assert killed == 4
    assert len(acknowledged) > 20
    if not own_stack.db.startswith("postgresql://"):
        assert own_stack.scalar("PRAGMA integrity_check") == "ok"
    stored = own_stack.pairs("SELECT trace_id, count(*) FROM llm_logs GROUP BY trace_id")
    missing = [t for t in acknowledged if stored.get(t) != "5"]
    print(f"{killed} kills, {len(acknowledged)} exports acknowledged ({5 * len(acknowledged)} spans), all stored")
    assert missing == []
    assert exporter_for(own_stack).export(genai_trace(999_999)) == SpanExportResult.SUCCESS


def test_four_worker_processes_share_one_database_and_busy_storage_is_retried():
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        stack = Stack(Path(folder), threads=4, env={"INGATE_WORKERS": "4", "INGATE_SERVE_ARGS": "--busy-timeout-ms 300"})
        try:
            assert len(stack.worker_pids()) == 4
            results = []
            lock = threading.Lock()

            def client(index):
                exporter = exporter_for(stack)
                for n in range(15):
                    outcome = exporter.export(genai_trace(index * 1000 + n, spans=10))
                    with lock:
                        results.append(outcome)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert results == [SpanExportResult.SUCCESS] * 120
            assert stack.count() == 120 * 10

            # Another writer holds the database past the busy timeout: 503 with Retry-After ...
            body = encode_spans(genai_trace(5000)).SerializeToString()
            blocker = sqlite3.connect(stack.db, timeout=10, isolation_level=None, check_same_thread=False)
            blocker.execute("BEGIN IMMEDIATE")
            busy = requests.post(stack.traces_url, data=body, verify=stack.cert,
                                 headers={"Content-Type": PROTOBUF, "X-Ingate-Key": stack.key})
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
            # ... and the real exporter, retrying, gets every span in once the lock is gone.
            spans = genai_trace(6000)
            threading.Timer(1.5, lambda: blocker.execute("ROLLBACK")).start()
            assert exporter_for(stack).export(spans) == SpanExportResult.SUCCESS
            blocker.close()
            assert len(stack.rows("trace_id = ?", (hex_trace(spans[0]),))) == 5
            assert stack.count() == 120 * 10 + 5
            assert " status=500 " not in stack.log_lines()
            with sqlite3.connect(stack.db) as db:
                assert db.execute("SELECT count(*) FROM (SELECT 1 FROM llm_logs GROUP BY api_key_id, trace_id, span_id HAVING count(*) > 1)").fetchone()[0] == 0
        finally:
            assert stack.stop() == 0
            assert stack.worker_pids() == []


def test_a_full_disk_answers_503_stores_nothing_partial_and_recovers(mount_point):
    fs = mount_point("size=4m")
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        stack = Stack(Path(folder), threads=2, env={"INGATE_DB": str(fs / "ingate.db")})
        try:
            body_of = lambda n: encode_spans(genai_trace(n, spans=20, prompt_size=4000)).SerializeToString()
            headers = {"Content-Type": PROTOBUF, "X-Ingate-Key": stack.key}
            acknowledged, statuses = 0, []
            for n in range(200):
                response = requests.post(stack.traces_url, data=body_of(n), verify=stack.cert, headers=headers)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    acknowledged += 1
                else:
                    assert response.status_code == 503, response.content
                    assert response.headers["Retry-After"] == "2"
                    break
            assert statuses[-1] == 503, "the file system never filled up"
            assert stack.count() == acknowledged * 20
            # Space comes back: the same export is then accepted, and nothing was lost.
            subprocess.run(["mount", "-o", "remount,size=64m", str(fs)], check=True)
            response = requests.post(stack.traces_url, data=body_of(n), verify=stack.cert, headers=headers)
            assert response.status_code == 200
            assert stack.count() == (acknowledged + 1) * 20
            with sqlite3.connect(stack.db) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            stack.stop()


def test_an_unwritable_or_missing_database_folder_fails_fast_naming_the_path(mount_point):
    readonly = mount_point("size=1m,ro")
    for path in (readonly / "ingate.db", Path("/nonexistent-ingate/ingate.db")):
        done = subprocess.run([BIN, "serve", "--db", str(path), "--socket", f"/tmp/ingate-unused-{os.getpid()}.sock"],
                              capture_output=True, text=True, timeout=10)
        assert done.returncode != 0
        assert str(path) in done.stderr, done.stderr


def test_edge_limits_keyless_floods_and_failed_keys_but_not_a_busy_exporter(own_stack):
    url, cert = own_stack.traces_url, own_stack.cert
    body = encode_spans(genai_trace(1)).SerializeToString()
    with requests.Session() as session:
        ok = [session.post(url, data=body, verify=cert, headers={"Content-Type": PROTOBUF, "X-Ingate-Key": own_stack.key}).status_code
              for _ in range(60)]
        assert ok == [200] * 60, "a busy legitimate exporter must never be limited"
        keyless = [session.post(url, data=body, verify=cert, headers={"Content-Type": PROTOBUF}).status_code for _ in range(40)]
        assert keyless.count(429) > 0 and set(keyless) <= {401, 429}
        guesses = [session.post(url, data=body, verify=cert,
                                headers={"Content-Type": PROTOBUF, "X-Ingate-Key": f"sk-ingate-guess{n:020d}"}).status_code
                   for n in range(25)]
        assert 429 in guesses and set(guesses) <= {401, 429}
        limited = session.post(url, data=body, verify=cert, headers={"Content-Type": PROTOBUF, "X-Ingate-Key": "sk-ingate-guess-once-more-000"})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        # A valid key from the same address (a NAT, a shared runner) is never locked out.
        neighbour = session.post(url, data=body, verify=cert, headers={"Content-Type": PROTOBUF, "X-Ingate-Key": own_stack.key})
        assert neighbour.status_code == 200
    assert own_stack.key not in own_stack.log_lines() + (own_stack.data / "access.log").read_text()


def test_socket_and_database_files_are_not_world_readable(own_stack):
    assert exporter_for(own_stack).export(genai_trace(1)) == SpanExportResult.SUCCESS
    socket_mode = stat.S_IMODE(os.stat(own_stack.data / "run" / "fcgi.sock").st_mode)
    assert socket_mode & 0o007 == 0, oct(socket_mode)
    for suffix in ("", "-wal", "-shm"):
        mode = stat.S_IMODE(os.stat(own_stack.db + suffix).st_mode)
        assert mode & 0o077 == 0, f"ingate.db{suffix}: {oct(mode)}"
    assert stat.S_IMODE(os.stat(own_stack.data / "dev-key").st_mode) & 0o077 == 0
    assert stat.S_IMODE(os.stat(own_stack.data / "tls" / "key.pem").st_mode) & 0o077 == 0
