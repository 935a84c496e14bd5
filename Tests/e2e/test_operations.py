"""Running it as an operator does: revoking keys, workers dying, stopping."""
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from requests.adapters import HTTPAdapter
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import BIN, Stack
from spans import chat_attributes, make_spans


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address."""
    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def exporter_for(stack, key=None):
    return OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": key or stack.key},
                            certificate_file=stack.cert, timeout=10)


def test_a_revoked_key_stops_working_within_seconds(own_stack):
    created = own_stack.cli("keys", "create", "--name", "temp")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("sk-ingate-")
    exporter = exporter_for(own_stack, key)
    assert exporter.export(make_spans([("chat", chat_attributes(1), 10)])) == SpanExportResult.SUCCESS
    listed = own_stack.cli("keys", "list").stdout
    key_id = next(line.split()[0] for line in listed.splitlines() if " temp " in f" {line} ")
    assert own_stack.cli("keys", "revoke", key_id).returncode == 0
    deadline = time.time() + 5
    while time.time() < deadline:
        if exporter.export(make_spans([("chat", chat_attributes(2), 10)])) == SpanExportResult.FAILURE:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("revoked key still accepted after 5 s")
    assert "2026" in own_stack.cli("keys", "list").stdout or "-" in listed


def test_a_killed_worker_is_replaced_and_nothing_acknowledged_is_lost(own_stack):
    exporter = exporter_for(own_stack)
    acknowledged = 0
    for round_ in range(3):
        for n in range(5):
            assert exporter.export(make_spans([("chat", chat_attributes(n), 10)])) == SpanExportResult.SUCCESS
            acknowledged += 1
        [pid] = own_stack.worker_pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 10
        while time.time() < deadline and own_stack.worker_pids() in ([], [pid]):
            time.sleep(0.1)
        assert own_stack.worker_pids() not in ([], [pid]), own_stack.text()
    # The exporter retries the 502 it may meet while the new worker starts.
    assert exporter.export(make_spans([("chat", chat_attributes(9), 10)])) == SpanExportResult.SUCCESS
    acknowledged += 1
    assert own_stack.count() == acknowledged
    with sqlite3.connect(own_stack.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_with_several_workers_a_killed_one_is_replaced_and_stop_ends_them_all():
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        stack = Stack(Path(folder), threads=2, env={"INGATE_WORKERS": "3"})
        try:
            deadline = time.time() + 10
            while time.time() < deadline and len(stack.worker_pids()) < 3:
                time.sleep(0.1)
            workers = stack.worker_pids()
            assert len(workers) == 3, stack.text()
            exporter = exporter_for(stack)
            acknowledged = 0
            for victim in workers[:2]:
                for n in range(4):
                    assert exporter.export(make_spans([("chat", chat_attributes(n), 10)])) == SpanExportResult.SUCCESS
                    acknowledged += 1
                os.kill(victim, signal.SIGKILL)
                deadline = time.time() + 10
                while time.time() < deadline and (victim in stack.worker_pids() or len(stack.worker_pids()) < 3):
                    time.sleep(0.1)
                now = stack.worker_pids()
                assert victim not in now and len(now) == 3, stack.text()
            assert exporter.export(make_spans([("chat", chat_attributes(9), 10)])) == SpanExportResult.SUCCESS
            acknowledged += 1
            assert stack.count() == acknowledged
            running = stack.worker_pids()
            assert stack.stop() == 0
            assert stack.worker_pids() == []
            for pid in running:
                try:
                    os.kill(pid, 0)
                    raise AssertionError(f"worker {pid} still running")
                except ProcessLookupError:
                    pass
        finally:
            stack.stop()


def test_sigterm_stops_nginx_and_the_worker_and_keeps_the_data(own_stack):
    assert exporter_for(own_stack).export(make_spans([("chat", chat_attributes(1), 10)])) == SpanExportResult.SUCCESS
    [worker] = own_stack.worker_pids()
    assert own_stack.stop() == 0
    assert own_stack.worker_pids() == []
    try:
        os.kill(worker, 0)
        raise AssertionError("worker still running")
    except ProcessLookupError:
        pass
    assert "stopped" in own_stack.text()
    assert own_stack.count() == 1


def test_a_given_key_is_provisioned_and_a_restart_reuses_key_and_data():
    key = "sk-ingate-e2e-provisioned-key-0123456789"
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        first = Stack(Path(folder), threads=1, key=key)
        try:
            assert first.key == key
            assert f"X-Ingate-Key={key}" in first.text()
            assert exporter_for(first).export(make_spans([("chat", chat_attributes(1), 10)])) == SpanExportResult.SUCCESS
        finally:
            assert first.stop() == 0
        second = Stack(Path(folder), threads=1)
        try:
            assert second.key == key
            assert second.count() == 1
            assert exporter_for(second).export(make_spans([("chat", chat_attributes(2), 10)])) == SpanExportResult.SUCCESS
            assert second.count() == 2
            assert [line.split()[1] for line in second.cli("keys", "list").stdout.splitlines()[1:]] == ["dev"]
        finally:
            second.stop()


def test_commands_fail_fast_naming_an_unusable_database_path():
    for args in (["logs"], ["keys", "list"], ["serve", "--socket", "/tmp/unused.sock"]):
        done = subprocess.run([BIN, *args, "--db", "/nonexistent/folder/ingate.db"], capture_output=True, text=True, timeout=10)
        assert done.returncode != 0
        assert "/nonexistent/folder/ingate.db" in done.stderr
        assert "does not exist" in done.stderr


def test_healthz_needs_no_key_and_says_503_when_writes_cannot_commit(own_stack):
    import requests
    url = own_stack.url + "/healthz"
    ok = requests.get(url, verify=own_stack.cert, timeout=30)
    assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
    assert ok.headers["Content-Type"] == "application/json"
    # Another writer holds the database past the busy timeout (5 s): writes cannot commit.
    db = sqlite3.connect(own_stack.db, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        busy = requests.get(url, verify=own_stack.cert, timeout=30)
        assert (busy.status_code, busy.json()) == (503, {"status": "unavailable"})
        assert busy.headers["Retry-After"] == "5"
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert requests.get(url, verify=own_stack.cert, timeout=30).status_code == 200
    # With no responder behind the socket, nginx answers the same 503.
    [worker] = own_stack.worker_pids()
    os.kill(worker, signal.SIGSTOP)
    try:
        os.rename(own_stack.data / "run" / "fcgi.sock", own_stack.data / "run" / "fcgi.sock.away")
        down = requests.get(url, verify=own_stack.cert, timeout=30)
        assert (down.status_code, down.json()) == (503, {"status": "unavailable"})
    finally:
        os.rename(own_stack.data / "run" / "fcgi.sock.away", own_stack.data / "run" / "fcgi.sock")
        os.kill(worker, signal.SIGCONT)


def test_retention_deletes_old_rows_while_serving_and_prune_does_it_once():
    day_ns = 86_400 * 10**9
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        stack = Stack(Path(folder), threads=2, env={"INGATE_SERVE_ARGS": "--retention 2d --cleanup-interval-seconds 1"})
        try:
            exporter = exporter_for(stack)
            now = time.time_ns()
            for age_days in (5, 3, 1, 0):
                spans = make_spans([("chat", chat_attributes(age_days), 10)], service=f"age-{age_days}d",
                                   start_ns=now - age_days * day_ns)
                assert exporter.export(spans) == SpanExportResult.SUCCESS
            deadline = time.time() + 20
            while time.time() < deadline and {r["service_name"] for r in stack.rows()} != {"age-1d", "age-0d"}:
                time.sleep(0.2)
            assert {r["service_name"] for r in stack.rows()} == {"age-1d", "age-0d"}
            assert "retention deleted rows" in stack.log_lines()
            deadline = time.time() + 10
            while True:
                text = get_metrics(stack).text
                if metric(text, "ingate_retention_rows_deleted_total") >= 2 or time.time() > deadline:
                    break
                time.sleep(0.5)
            assert metric(text, "ingate_retention_rows_deleted_total") == 2
            assert metric(text, "ingate_retention_pass_duration_seconds_count") >= 1

            pruned = stack.cli("prune", "--older-than", "12h")
            assert pruned.returncode == 0, pruned.stderr
            assert pruned.stdout.startswith("deleted 1 rows"), pruned.stdout
            assert [r["service_name"] for r in stack.rows()] == ["age-0d"]
            assert stack.cli("prune", "--older-than", "12h", "--vacuum").stdout.startswith("deleted 0 rows")
            assert stack.cli("prune", "--older-than", "soon").returncode != 0
        finally:
            stack.stop()


def test_a_keys_content_policy_applies_before_anything_is_written(own_stack):
    def create(policy):
        done = own_stack.cli("keys", "create", "--name", f"content-{policy}", "--content", policy)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    secret = "mail jane@example.com, card 4111 1111 1111 1111"
    attributes = dict(chat_attributes(0), **{"gen_ai.prompt": secret, "gen_ai.completion": "noted", "app.note": secret})
    private = dict(chat_attributes(0), **{"gen_ai.prompt": "only-the-app-may-know", "gen_ai.completion": "private-reply"})
    keys = {policy: create(policy) for policy in ("none", "redact")}
    for policy, sent in (("none", private), ("redact", attributes)):
        spans = make_spans([("chat", sent, 10)], service=f"policy-{policy}")
        assert exporter_for(own_stack, keys[policy]).export(spans) == SpanExportResult.SUCCESS
    rows = {r["service_name"]: r for r in own_stack.rows()}
    none, redacted = rows["policy-none"], rows["policy-redact"]
    assert (none["prompt"], none["completion"]) == (None, None)
    assert "gen_ai.prompt" not in json.loads(none["attributes"]) and none["input_tokens"] == 100
    assert redacted["prompt"] == "mail [REDACTED:email], card [REDACTED:card]"
    assert json.loads(redacted["attributes"])["app.note"] == "mail [REDACTED:email], card [REDACTED:card]"
    with sqlite3.connect(own_stack.db) as db:   # nowhere in the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = Path(own_stack.db).read_bytes()
    for text in (b"jane@example.com", b"4111 1111", b"only-the-app-may-know", b"private-reply"):
        assert text not in stored, text

    listed = own_stack.cli("keys", "list").stdout
    key_id = next(line.split()[0] for line in listed.splitlines() if "content-redact" in line)
    assert " redact " in next(line for line in listed.splitlines() if "content-redact" in line)
    assert own_stack.cli("keys", "set-content", key_id, "full").returncode == 0
    deadline = time.time() + 2.5
    stored_in_full = False
    while time.time() < deadline and not stored_in_full:
        spans = make_spans([("chat", attributes, 10)], service="policy-changed")
        assert exporter_for(own_stack, keys["redact"]).export(spans) == SpanExportResult.SUCCESS
        stored_in_full = any(r["prompt"] == secret for r in own_stack.rows("service_name = 'policy-changed'"))
        time.sleep(0.2)
    assert stored_in_full, "set-content took longer than 2 s"


def test_socket_activation_as_systemd_does_it():
    """systemd-socket-activate holds the socket and starts the responder on the first connection,
    passing the socket as fd 3 with LISTEN_FDS/LISTEN_PID, as nginx/ingate-otel.socket has systemd do."""
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        stack = Stack(Path(folder), threads=2, env={"INGATE_ACTIVATION": "systemd"})
        try:
            def program() -> str:
                [pid] = stack.worker_pids()
                return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()

            # Lazily, as systemd does: the responder execs in place on the first connection.
            assert program().endswith("systemd-socket-activate")
            spans = make_spans([("chat", chat_attributes(3), 10)], service="activated")
            assert exporter_for(stack).export(spans) == SpanExportResult.SUCCESS
            assert [r["service_name"] for r in stack.rows()] == ["activated"]
            assert "accepting on the socket systemd passed" in stack.log_lines()
            assert program() == BIN
        finally:
            assert stack.stop() == 0


def metric(text: str, series: str) -> float:
    """The value of one series (name with its labels, as written) in Prometheus text; 0 if absent."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def get_metrics(stack, source: str = "127.0.0.1") -> requests.Response:
    """GET /metrics through nginx, from `source` (another loopback address stands for a remote client)."""
    session = requests.Session()
    adapter = SourceAddressAdapter(source)
    session.mount("https://", adapter)
    return session.get(f"{stack.url}/metrics", verify=stack.cert, timeout=10)


def test_metrics_cover_every_worker_and_are_loopback_only():
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        stack = Stack(Path(folder), threads=2, env={"INGATE_WORKERS": "3", "INGATE_METRICS_ALLOW": "127.0.0.3"})
        try:
            exporter = exporter_for(stack)
            for n in range(12):
                assert exporter.export(make_spans([("POST /x", {"http.method": "POST"}, 9), ("chat", chat_attributes(n), 10)])) \
                    == SpanExportResult.SUCCESS
            assert exporter_for(stack, "sk-ingate-not-a-key-0123456789").export(
                make_spans([("chat", chat_attributes(0), 10)])) != SpanExportResult.SUCCESS
            time.sleep(1.5)   # every worker has published what it counted
            # Whichever worker nginx asks, the figures are those of all three.
            for _ in range(6):
                answer = get_metrics(stack)
                assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                text = answer.text
                assert metric(text, 'ingate_requests_total{signal="traces",status="200"}') == 12
                assert metric(text, 'ingate_spans_total{signal="traces",outcome="kept"}') == 12
                assert metric(text, 'ingate_spans_total{signal="traces",outcome="dropped"}') == 12
                assert metric(text, 'ingate_rows_stored_total{signal="traces"}') == 12
                assert metric(text, "ingate_auth_failures_total") >= 1
                assert metric(text, 'ingate_request_duration_seconds_count{signal="traces"}') >= 12
                assert metric(text, "ingate_commit_batch_requests_count") >= 1
                # Each commit's steps, timed inside it: every step of every commit, within its duration.
                commits = metric(text, "ingate_commit_duration_seconds_count")
                phases = ("begin", "rows", "derived", "commit")
                assert all(metric(text, f'ingate_commit_phase_duration_seconds_count{{phase="{p}"}}') == commits
                           for p in phases)
                assert 0 < sum(metric(text, f'ingate_commit_phase_duration_seconds_sum{{phase="{p}"}}') for p in phases) \
                    <= metric(text, "ingate_commit_duration_seconds_sum")
                assert metric(text, 'ingate_request_body_bytes_total{signal="traces"}') > 0
            assert get_metrics(stack, "127.0.0.2").status_code == 403
            assert get_metrics(stack, "127.0.0.3").status_code == 200
            assert requests.post(f"{stack.url}/metrics", verify=stack.cert, timeout=10).status_code == 405
        finally:
            stack.stop()


def test_a_killed_workers_counts_stay_in_the_metrics(own_stack):
    exporter = exporter_for(own_stack)
    for n in range(3):
        assert exporter.export(make_spans([("chat", chat_attributes(n), 10)])) == SpanExportResult.SUCCESS
    time.sleep(1.5)
    [pid] = own_stack.worker_pids()
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 15
    while time.time() < deadline and own_stack.worker_pids() in ([], [pid]):
        time.sleep(0.1)
    assert exporter.export(make_spans([("chat", chat_attributes(9), 10)])) == SpanExportResult.SUCCESS
    assert metric(get_metrics(own_stack).text, 'ingate_requests_total{signal="traces",status="200"}') == 4
