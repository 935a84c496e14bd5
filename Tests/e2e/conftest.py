"""Starts the receiver exactly as `make run` does (scripts/serve-stack: nginx with TLS in front of
ingate-otel under spawn-fcgi) on a free 127.0.0.1 port with a temporary data folder, and stops it
afterwards, also when a test fails."""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# requests lets these override the certificate an exporter is given (OTEL_EXPORTER_OTLP_CERTIFICATE
# or certificate_file), so an exporter would not trust our development certificate. Users who set
# them meet the same: the README says so.
for _variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_variable, None)
BIN = os.environ.get("INGATE_BIN", str(ROOT / ".build" / "debug" / "ingate-otel"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """One running serve-stack, with what a test needs to talk to it and to look at its data."""

    def __init__(self, data: Path, threads: int = 4, key: str | None = None, env: dict | None = None):
        self.data = data
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.traces_url = f"{self.url}/v1/traces"
        self.cert = str(data / "tls" / "cert.pem")
        extra = env or {}
        self.db = extra.get("INGATE_DB", str(data / "ingate.db"))
        env = dict(os.environ, INGATE_PORT=str(self.port), INGATE_DATA=str(data), INGATE_BIN=BIN,
                   INGATE_THREADS=str(threads), **extra)
        if "INGATE_KEY" not in extra:
            env.pop("INGATE_KEY", None)
        if key:
            env["INGATE_KEY"] = key
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "serve-stack")], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.output: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read_output, daemon=True).start()
        deadline = time.time() + 60
        while not self._ready.wait(0.1):
            if self.process.poll() is not None or time.time() > deadline:
                break
        if not self._ready.is_set():
            self.stop()
            raise RuntimeError("serve-stack did not become ready:\n" + "".join(self.output))
        self.key = (data / "dev-key").read_text().strip()

    def _read_output(self):
        for line in self.process.stdout:
            self.output.append(line)
            if "is ready" in line:
                self._ready.set()

    def text(self) -> str:
        return "".join(self.output)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # Anything left in the group (a worker, nginx) is a bug, but must not outlive the test.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.process.returncode

    @property
    def is_postgres(self) -> bool:
        return self.db.startswith(("postgresql://", "postgres://"))

    def rows(self, where: str = "1=1", params=()) -> list[dict]:
        """The stored rows as dicts of their columns, on either backend (JSON columns as text)."""
        if self.is_postgres:
            for value in params:
                where = where.replace("?", "'" + str(value).replace("'", "''") + "'", 1)
            rows = json.loads(psql(self.db, "SELECT coalesce(json_agg(t ORDER BY t.span_id), '[]') FROM (SELECT l.*, "
                                            "COALESCE(r.json, l.resource) AS resource_json FROM llm_logs l "
                                            f"LEFT JOIN resources r ON r.id = l.resource_id WHERE {where}) t"))
            for row in rows:
                row["resource"] = row.pop("resource_json")
                for column in ("attributes", "finish_reasons", "resource"):
                    if row[column] is not None:
                        row[column] = json.dumps(row[column], sort_keys=True, separators=(",", ":"))
            return rows
        with sqlite3.connect(self.db, timeout=10) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute(
                "SELECT l.*, COALESCE(r.json, l.resource) AS resource_json FROM llm_logs l "
                f"LEFT JOIN resources r ON r.id = l.resource_id WHERE {where} ORDER BY span_id", params)]
            # A resource is stored once (table resources); a row shows it as it was sent.
            for row in rows:
                row["resource"] = row.pop("resource_json")
            return rows

    def scalar(self, sql: str):
        """One value of a query, on either backend."""
        if self.is_postgres:
            return psql(self.db, sql)
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute(sql).fetchone()[0]

    def pairs(self, sql: str) -> dict:
        """A two-column query as a dict of text, on either backend."""
        if self.is_postgres:
            return dict(line.split("|", 1) for line in psql(self.db, sql).splitlines())
        with sqlite3.connect(self.db, timeout=10) as db:
            return {str(a): str(b) for a, b in db.execute(sql).fetchall()}

    def count(self) -> int:
        if self.is_postgres:
            return int(psql(self.db, "SELECT count(*) FROM llm_logs"))
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute("SELECT count(*) FROM llm_logs").fetchone()[0]

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([BIN, *args, "--db", self.db], capture_output=True, text=True, input=input, timeout=30)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-f", f"ingate-otel serve --db {self.db}"], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def log_lines(self) -> str:
        """What the stack printed after its banner: the workers' and nginx's log lines."""
        return self.text().split("Stop with Ctrl-C.", 1)[-1]


def nginx_conf(run: Path) -> str:
    """A minimal nginx.conf around `run`/site.conf (a site rendered by nginx/render), as a host's
    nginx.conf includes its sites; everything nginx writes stays in `run`."""
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {run}/body;
    fastcgi_temp_path {run}/fastcgi;
    proxy_temp_path {run}/proxy;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/site.conf;
}}
"""


POSTGRES_SERVER = ROOT / "scripts" / "postgres-server"


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


def fresh_database(url: str) -> str:
    """A new, empty database on the test PostgreSQL server."""
    name = "e2e_" + uuid.uuid4().hex[:12]
    psql(url, f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (scripts/postgres-server): (its folder, its URL)."""
    folder = Path(tempfile.mkdtemp(prefix="ingate-e2e-pg-"))
    url = subprocess.run([str(POSTGRES_SERVER), "start", str(folder)], capture_output=True, text=True, check=True).stdout.strip()
    try:
        yield folder, url
    finally:
        subprocess.run([str(POSTGRES_SERVER), "stop", str(folder)], capture_output=True)


@pytest.fixture(params=["sqlite", "postgres"])
def backend_stack(request):
    """A stack of the test's own on each backend: the same test, run on SQLite and on PostgreSQL."""
    env = {}
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        if request.param == "postgres":
            _, url = request.getfixturevalue("postgres")
            env = {"INGATE_DB": fresh_database(url), "INGATE_SERVE_ARGS": f"--metrics-dir {folder}/metrics"}
        running = Stack(Path(folder), threads=2, env=env)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def stack(request):
    """The shared stack, once per backend: every test that uses it runs on SQLite and on PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        env = {}
        if request.param == "postgres":
            _, url = request.getfixturevalue("postgres")
            env = {"INGATE_DB": fresh_database(url), "INGATE_SERVE_ARGS": f"--metrics-dir {folder}/metrics"}
        running = Stack(Path(folder), env=env)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture()
def own_stack():
    """A stack of the test's own, for tests that kill or stop it."""
    with tempfile.TemporaryDirectory(prefix="ingate-e2e-") as folder:
        running = Stack(Path(folder), threads=2)
        try:
            yield running
        finally:
            running.stop()
