"""Many receivers, one PostgreSQL: two stacks (nginx + responder each, on their own ports, standing
for two hosts) on one real PostgreSQL server that the test starts (scripts/postgres-server) and
stops. Every span stored exactly once; keys shared at once; revocation seen by both; a database
that goes away answers 503 and comes back without a restart of ours."""
import concurrent.futures
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import BIN, ROOT, Stack, free_port, fresh_database, nginx_conf, psql
from spans import chat_attributes, make_spans

def pg_ctl(folder: Path, action: str) -> None:
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    port = (folder / "port").read_text().strip()
    command = [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-w", "-l", str(folder / "server.log")]
    if action == "start":
        command += ["-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}"]
    subprocess.run(["runuser", "-u", "postgres", "--", *command, "-m", "fast", action], check=True, capture_output=True)


def stacks(database: str, folders: list[str]) -> list[Stack]:
    return [Stack(Path(f), threads=4, env={"INGATE_DB": database, "INGATE_SERVE_ARGS": f"--metrics-dir {f}/metrics"})
            for f in folders]


def post_chat(stack: Stack, key: str, n: int, service: str) -> int:
    """One export of one chat span, sent once (no exporter retries): its HTTP status."""
    body = encode_spans(make_spans([("chat", chat_attributes(n), 10)], service=service)).SerializeToString()
    return requests.post(stack.traces_url, data=body, verify=stack.cert, timeout=30,
                         headers={"Content-Type": "application/x-protobuf", "X-Ingate-Key": key}).status_code


def exporter(stack: Stack, key: str | None = None) -> OTLPSpanExporter:
    return OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": key or stack.key},
                            certificate_file=stack.cert, timeout=10)


def test_two_receivers_on_one_postgres_store_every_span_of_eight_exporters_once(postgres):
    folder, url = postgres
    database = fresh_database(url)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        first, second = stacks(database, [a, b])
        try:
            # The second stack provisioned its own dev key on the shared database; both keys work on both.
            sent = []

            def export(n: int) -> int:
                spans = make_spans([("POST /ask", {"http.method": "POST"}, 9)]
                                   + [(f"chat {i}", chat_attributes(i), 10) for i in range(5)], service=f"exporter-{n % 8}")
                target, key = ((first, second.key) if n % 2 else (second, first.key))
                assert exporter(target, key).export(spans) == SpanExportResult.SUCCESS
                # A retry of the same export through the other receiver stores nothing twice.
                if n % 5 == 0:
                    other = second if target is first else first
                    assert exporter(other, key).export(spans) == SpanExportResult.SUCCESS
                return 5

            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                sent = list(pool.map(export, range(48)))
            assert int(psql(database, "SELECT count(*) FROM llm_logs")) == sum(sent)
            assert int(psql(database, "SELECT count(*) FROM (SELECT DISTINCT trace_id, span_id FROM llm_logs) s")) == sum(sent)
            stats = subprocess.run([BIN, "stats", "--since", "36500d", "--db", database], capture_output=True, text=True)
            assert stats.returncode == 0 and "TOTAL" in stats.stdout
        finally:
            first.stop()
            second.stop()


def test_a_key_made_on_one_receiver_works_on_the_other_and_revoking_stops_both(postgres):
    _, url = postgres
    database = fresh_database(url)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        first, second = stacks(database, [a, b])
        try:
            created = subprocess.run([BIN, "keys", "create", "--name", "shared", "--db", database], capture_output=True, text=True)
            key = created.stdout.strip().splitlines()[-1]
            for stack in (first, second):
                assert exporter(stack, key).export(make_spans([("chat", chat_attributes(1), 10)])) == SpanExportResult.SUCCESS
            key_id = next(line.split()[0] for line in subprocess.run([BIN, "keys", "list", "--db", database], capture_output=True,
                                                                      text=True).stdout.splitlines() if " shared " in line)
            assert subprocess.run([BIN, "keys", "revoke", key_id, "--db", database], capture_output=True).returncode == 0
            time.sleep(2.1)
            for stack in (first, second):
                assert post_chat(stack, key, 2, "revoked") == 401
        finally:
            first.stop()
            second.stop()


def test_postgres_going_away_is_503_and_the_receiver_reconnects_by_itself(postgres):
    folder, url = postgres
    database = fresh_database(url)
    with tempfile.TemporaryDirectory() as a:
        [stack] = stacks(database, [a])
        try:
            def post(n: int) -> int:
                return post_chat(stack, stack.key, n, f"fault-{n}")

            assert post(0) == 200
            pg_ctl(folder, "stop")
            try:
                down = [post(n) for n in range(1, 4)]
                assert set(down) == {503}, down
                health = requests.get(f"{stack.url}/healthz", verify=stack.cert, timeout=30)
                assert health.status_code == 503
            finally:
                pg_ctl(folder, "start")
            assert post(10) == 200 and post(11) == 200
            services = psql(database, "SELECT service_name FROM llm_logs ORDER BY service_name").split()
            assert services == ["fault-0", "fault-10", "fault-11"]   # nothing of the refused ones, every 200 once
        finally:
            stack.stop()


def test_connections_killed_by_the_server_are_opened_again(postgres):
    _, url = postgres
    database = fresh_database(url)
    with tempfile.TemporaryDirectory() as a:
        [stack] = stacks(database, [a])
        try:
            def post(n: int) -> int:
                return post_chat(stack, stack.key, n, f"killed-{n}")

            assert post(0) == 200
            killed = psql(database, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            assert int(killed) >= 2   # the worker's writer and reader
            statuses = [post(n) for n in range(1, 6)]
            assert set(statuses) <= {200, 503} and statuses[-1] == 200, statuses
            stored = int(psql(database, "SELECT count(*) FROM llm_logs"))
            assert stored == 1 + statuses.count(200)
        finally:
            stack.stop()


def test_nginx_upstream_over_receivers_on_tcp_fails_over_when_one_dies(postgres):
    """Two `serve --listen 127.0.0.1:PORT` receivers (standing for two hosts) on one PostgreSQL,
    behind the site rendered with both as its upstream."""
    _, url = postgres
    database = fresh_database(url)
    key = subprocess.run([BIN, "keys", "create", "--name", "upstream", "--db", database], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder)
        ports = [free_port(), free_port()]
        receivers = [subprocess.Popen([BIN, "serve", "--db", database, "--listen", f"127.0.0.1:{port}", "--threads", "4",
                                       "--metrics-dir", f"{folder}/metrics-{port}"], start_new_session=True)
                     for port in ports]
        nginx = None
        try:
            cert, cert_key = run / "cert.pem", run / "key.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(cert_key), "-out", str(cert)],
                           check=True, capture_output=True)
            https = free_port()
            site = subprocess.run([str(ROOT / "nginx" / "render"), "site", f"127.0.0.1:{https}", "localhost", str(cert), str(cert_key),
                                   ",".join(f"127.0.0.1:{p}" for p in ports), str(run / "access.log")],
                                  capture_output=True, text=True, check=True, env=dict(os.environ, INGATE_BIN=BIN))
            (run / "site.conf").write_text(site.stdout)
            (run / "nginx.conf").write_text(nginx_conf(run))
            nginx = subprocess.Popen(["nginx", "-c", str(run / "nginx.conf"), "-p", str(run)], start_new_session=True)
            target = OTLPSpanExporter(endpoint=f"https://127.0.0.1:{https}/v1/traces", headers={"X-Ingate-Key": key},
                                      certificate_file=str(cert), timeout=10)
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", https), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            for n in range(6):
                assert target.export(make_spans([("chat", chat_attributes(n), 10)], service="upstream")) == SpanExportResult.SUCCESS
            os.killpg(receivers[0].pid, signal.SIGKILL)
            receivers[0].wait()
            for n in range(6, 12):
                assert target.export(make_spans([("chat", chat_attributes(n), 10)], service="upstream")) == SpanExportResult.SUCCESS
            assert int(psql(database, "SELECT count(*) FROM llm_logs WHERE service_name = 'upstream'")) == 12
        finally:
            for process in receivers + ([nginx] if nginx else []):
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=30)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
