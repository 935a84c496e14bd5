"""`make bench`: the receiver as shipped (release build, nginx with TLS, spawn-fcgi) under load.

For each workload variant it starts scripts/serve-stack on a fresh data folder, drives it with
bench/loadgen (C, OpenSSL, one keep-alive connection per concurrent client), samples the worker's
RSS, and checks that the rows in the database equal the GenAI spans acknowledged. In the same run
it measures two ceilings: the same load against a responder that reads the body and answers 200
at once (nginx + FastCGI + load generator alone), and the same rows inserted straight into SQLite
at 5 000 rows per transaction; and the same on PostgreSQL (one stack, two stacks on one database,
PostgreSQL's own ceiling). Prints a table and writes bench-out/results.json.

    BENCH_SECONDS (default 10) per run; BENCH_THREADS responder threads (default: serve's own).
"""
import datetime
import json
import os
import platform
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from instructions import instructions_per_span

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
BIN = ROOT / ".build" / "release" / "ingate-otel"
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
THREADS = os.environ.get("BENCH_THREADS", "")
GENAI_PER_REQUEST = {"w1": 50, "w10": 5, "w1000": 500}

VARIANTS = [
    # name, body, format, gzip, concurrency
    ("W1 protobuf c=1", "w1", "pb", 0, 1),
    ("W1 protobuf c=4", "w1", "pb", 0, 4),
    ("W1 protobuf c=16", "w1", "pb", 0, 16),
    ("W1 protobuf+gzip c=16", "w1", "pb", 1, 16),
    ("W1 JSON c=16", "w1", "json", 0, 16),
    ("W10 protobuf c=16", "w10", "pb", 0, 16),
    ("W1000 protobuf c=16", "w1000", "pb", 0, 16),
]
# W1 protobuf c=16 again, over a database that holds RETENTION_ROWS rows older than the
# retention window: once as it is, then with `serve --retention` deleting them while the load runs.
# The pair differs only in retention, so the ratio of their p99 is what retention costs.
OLD_ROWS_VARIANT = ("W1 protobuf c=16, old rows", "w1", "pb", 0, 16)
RETENTION_VARIANT = ("W1 protobuf c=16, retention", "w1", "pb", 0, 16)
RETENTION_ROWS = int(os.environ.get("BENCH_RETENTION_ROWS", "100000"))
RETENTION_PAIRS = int(os.environ.get("BENCH_RETENTION_PAIRS", "3"))
RETENTION_ARGS = "--retention 400d --cleanup-interval-seconds 1"   # the workload's spans are from 2025-11
OLD_START_NS = 1_700_000_000_000_000_000                         # 2023-11, well outside the window
# PostgreSQL (a throwaway server from scripts/postgres-server): one stack, and two stacks (standing
# for two receiver hosts, here on the same two cores) each under the same load, on one database.
POSTGRES_VARIANTS = [
    # name, body, format, gzip, concurrency, stacks
    ("W1 protobuf c=16, PostgreSQL", "w1", "pb", 0, 16, 1),
    ("W1 protobuf c=16 x2 stacks, PG", "w1", "pb", 0, 16, 2),
]
CEILINGS = [
    ("ceiling: null responder, W1 protobuf c=16", "w1", "pb", 0, 16),
    ("ceiling: null responder, W1 protobuf+gzip c=16", "w1", "pb", 1, 16),
]


def serve_default_threads() -> int:
    limits = subprocess.run([str(BIN), "limits", "--env"], capture_output=True, text=True, check=True).stdout
    return int(next(line.split("=")[1] for line in limits.splitlines() if line.startswith("INGATE_LIMIT_REQUEST_THREADS=")))


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


def fresh_database(server: str) -> str:
    name = f"bench_{os.getpid()}_{time.monotonic_ns()}"
    psql(server, f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, data: Path, serve_args: str = "", db_url: str | None = None):
        self.data = data
        self.port = free_port()
        self.db = db_url or str(data / "ingate.db")
        self.log = open(data / "stack.log", "w")
        env = dict(os.environ, INGATE_PORT=str(self.port), INGATE_DATA=str(data), INGATE_BIN=str(BIN),
                   INGATE_THREADS=THREADS, INGATE_SERVE_ARGS=("--quiet " + serve_args).strip(), INGATE_DB=self.db)
        env.pop("INGATE_KEY", None)
        self.process = subprocess.Popen([str(ROOT / "scripts" / "serve-stack")], env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while "is ready" not in (data / "stack.log").read_text():
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError((data / "stack.log").read_text())
            time.sleep(0.1)
        self.key = (data / "dev-key").read_text().strip()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-f", f"ingate-otel serve --db {self.db}"], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def drive(loadgen: Path, stack: "Stack", bodies: Path, body: str, fmt: str, gzip: int, concurrency: int,
          seconds: float, counter_start: int = 1) -> dict:
    """One run of the load generator against `stack`; its JSON summary (ok, p50_ms, next_counter…).
    Request counters from `counter_start` give fresh trace ids; a later run continues from `next_counter`."""
    done = subprocess.run([str(loadgen), "--port", str(stack.port), "--key", stack.key,
                           "--content-type", "application/x-protobuf" if fmt == "pb" else "application/json",
                           "--gzip", str(gzip), "--connections", str(concurrency), "--seconds", str(seconds),
                           "--template", str(bodies / f"{body}.{fmt}"), "--offsets", str(bodies / f"{body}.{fmt}.offsets"),
                           "--counter-start", str(counter_start)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


PHASES = ("begin", "rows", "derived", "commit", "sync")


def writer_figures(stack: "Stack") -> dict:
    """What the stack's group commit did, from its /metrics: commits, requests per commit, and the
    milliseconds a commit spent per step (ReceiverMetrics.CommitPhase)."""
    context = ssl.create_default_context(cafile=str(stack.data / "tls" / "cert.pem"))
    with urllib.request.urlopen(f"https://127.0.0.1:{stack.port}/metrics", context=context, timeout=10) as answer:
        values = {}
        for line in answer.read().decode().splitlines():
            if line.startswith(("ingate_commit", "ingate_retention")):
                series, value = line.rsplit(" ", 1)
                values[series] = float(value)
    commits = values.get("ingate_commit_duration_seconds_count", 0)
    if not commits:
        return {}
    passes = values.get("ingate_retention_pass_duration_seconds_count", 0)
    retention = passes and {
        "passes": int(passes), "rows": int(values.get("ingate_retention_rows_deleted_total", 0)),
        "ms_per_pass": values["ingate_retention_pass_duration_seconds_sum"] * 1000 / passes,
        "passes_over_100_ms": int(passes - values['ingate_retention_pass_duration_seconds_bucket{le="0.1"}']),
        "commits_over_100_ms": int(commits - values['ingate_commit_duration_seconds_bucket{le="0.1"}'])}
    return {"retention": retention or None,
            "commits": int(commits),
            "requests_per_commit": values["ingate_commit_batch_requests_sum"] / commits,
            "commit_ms": values["ingate_commit_duration_seconds_sum"] * 1000 / commits,
            "commit_phase_ms": {p: values.get(f'ingate_commit_phase_duration_seconds_sum{{phase="{p}"}}', 0) * 1000 / commits
                                for p in PHASES},
            "writer_busy_seconds": values["ingate_commit_duration_seconds_sum"]}


def count_rows(db: str) -> tuple[int, int]:
    """Rows of the run and old rows still there (started at or before OLD_START_NS), on either backend."""
    new_sql = f"SELECT count(*) FROM llm_logs WHERE start_time_unix_nano > {OLD_START_NS}"
    old_sql = f"SELECT count(*) FROM llm_logs WHERE start_time_unix_nano <= {OLD_START_NS}"
    if db.startswith("postgresql://"):
        return tuple(int(psql(db, sql)) for sql in (new_sql, old_sql))
    with sqlite3.connect(db) as connection:
        return tuple(connection.execute(sql).fetchone()[0] for sql in (new_sql, old_sql))


def run_variant(name, body, fmt, gzip, concurrency, bodies: Path, loadgen: Path, serve_args="", old_rows=0,
                postgres: str | None = None, stacks: int = 1):
    """One load run. With `postgres` (a server's URL) the stacks share a fresh database on it;
    with `stacks` > 1, each stack gets its own load generator at `concurrency`, all at once."""
    with tempfile.TemporaryDirectory(prefix="ingate-bench-", dir=OUT) as folder:
        db = fresh_database(postgres) if postgres else f"{folder}/ingate.db"
        if postgres:
            serve_args = f"{serve_args} --metrics-dir {folder}/metrics".strip()
        if old_rows:
            subprocess.run([str(BIN), "bench", "store", "--db", db, "--body", str(bodies / "w1.pb"),
                            "--rows", str(old_rows), "--batch", "5000", "--start-unix-nano", str(OLD_START_NS)],
                           capture_output=True, check=True)
        running = []
        try:
            for n in range(stacks):
                (Path(folder) / str(n)).mkdir()
                running.append(Stack(Path(folder) / str(n), serve_args, db_url=db))
            peak = [0]
            sampling = threading.Event()

            def sample():
                # pgrep every 0.2 s took ≈ 3.5 % of the two cores (perf): the workers are looked
                # up every 2 s, their RSS read every 0.2 s.
                pids, found = [], 0.0
                while not sampling.is_set():
                    if time.monotonic() - found > 2:
                        pids, found = [p for stack in running for p in stack.worker_pids()], time.monotonic()
                    peak[0] = max([peak[0]] + [rss_kib(p) for p in pids])
                    time.sleep(0.2)

            def load(stack, results):
                results.append(drive(loadgen, stack, bodies, body, fmt, gzip, concurrency, SECONDS))

            sampler = threading.Thread(target=sample)
            sampler.start()
            each = []
            loaders = [threading.Thread(target=load, args=(stack, each)) for stack in running]
            for loader in loaders:
                loader.start()
            for loader in loaders:
                loader.join()
            sampling.set()
            sampler.join()
            writer = writer_figures(running[0])
        finally:
            for stack in running:
                stack.stop()
        if len(each) != stacks:
            sys.exit(f"{name}: a load generator failed")
        rows = old_left = 0
        if not serve_args.startswith("--discard-bodies"):
            rows, old_left = count_rows(db)
    ok = sum(r["ok"] for r in each)
    seconds = max(r["seconds"] for r in each)
    acknowledged = ok * GENAI_PER_REQUEST[body]
    return {
        "variant": name, "body_bytes": each[0]["body_bytes"], "concurrency": concurrency, "stacks": stacks,
        "backend": "postgresql" if postgres else "sqlite",
        "requests": ok, "non_200": sum(r["failed"] for r in each), "connection_errors": sum(r["errors"] for r in each),
        "requests_per_second": ok / seconds,
        "genai_spans_per_second": acknowledged / seconds,
        # Over several stacks, the slowest stack's figure.
        "p50_ms": max(r["p50_ms"] for r in each), "p99_ms": max(r["p99_ms"] for r in each),
        "worker_peak_rss_mib": peak[0] / 1024,
        "genai_spans_acknowledged": acknowledged, "rows_in_database": rows,
        "rows_match": serve_args.startswith("--discard-bodies") or rows == acknowledged,
        "old_rows_deleted_while_running": old_rows - old_left if old_rows else None,
        # The group commit of the first stack's metrics folder (the PostgreSQL runs share one, so there
        # it is every stack's); none for the null responder. busy: its share of the run.
        "writer": writer and dict(writer, busy=writer["writer_busy_seconds"] / seconds),
    }


def run_retention_pair(bodies: Path, loadgen: Path):
    """RETENTION_PAIRS runs of each, alternating, so that the host's own noise (easily ±10 % in p99
    here) falls on both alike; each reported with the run of median p99."""
    plains, retentions = [], []
    for _ in range(RETENTION_PAIRS):
        plains.append(run_variant(*OLD_ROWS_VARIANT, bodies, loadgen, old_rows=RETENTION_ROWS))
        retentions.append(run_variant(*RETENTION_VARIANT, bodies, loadgen, serve_args=RETENTION_ARGS,
                                      old_rows=RETENTION_ROWS))
    plain, retention = (sorted(runs, key=lambda r: r["p99_ms"])[len(runs) // 2] for runs in (plains, retentions))
    retention["p99_vs_without_retention"] = retention["p99_ms"] / plain["p99_ms"]
    retention["p99_ms_of_each_pair"] = [[p["p99_ms"], r["p99_ms"]] for p, r in zip(plains, retentions)]
    return retention, plain


def store_ceiling(db: str, bodies: Path, rows: int) -> dict:
    """The store's own ceiling: `rows` W1 rows inserted straight into `db`, 5 000 per transaction.

    `rows` is what the compared run stored: random trace ids make each insert slower as the indexes
    grow, so a ceiling over more rows than the run would be a harder load than the run's own."""
    rows = max(5000, -(-rows // 5000) * 5000)
    return json.loads(subprocess.run([str(BIN), "bench", "store", "--db", db, "--body", str(bodies / "w1.pb"),
                                      "--rows", str(rows), "--batch", "5000"],
                                     capture_output=True, text=True, check=True).stdout)


def stored_by(results: list, variant: str) -> int:
    return next(r["rows_in_database"] for r in results if r["variant"] == variant)


def main():
    OUT.mkdir(exist_ok=True)
    bodies = OUT / "bodies"
    subprocess.run([sys.executable, str(ROOT / "bench" / "workload.py"), str(bodies)], check=True)
    loadgen = OUT / "loadgen"
    subprocess.run(["cc", "-O2", "-o", str(loadgen), str(ROOT / "bench" / "loadgen.c"),
                    "-lssl", "-lcrypto", "-lz", "-lpthread"], check=True)

    results = []
    for variant in VARIANTS:
        results.append(run_variant(*variant, bodies, loadgen))
        print(f"  {results[-1]['variant']}: {results[-1]['genai_spans_per_second']:.0f} GenAI spans/s", flush=True)
    retention, plain = run_retention_pair(bodies, loadgen)
    results += [plain, retention]
    print(f"  {retention['variant']}: {retention['genai_spans_per_second']:.0f} GenAI spans/s, "
          f"{retention['old_rows_deleted_while_running']} old rows deleted meanwhile", flush=True)
    ceilings = []
    for variant in CEILINGS:
        ceilings.append(run_variant(*variant, bodies, loadgen, serve_args="--discard-bodies"))
        print(f"  {ceilings[-1]['variant']}: {ceilings[-1]['requests_per_second']:.0f} requests/s", flush=True)

    with tempfile.TemporaryDirectory(prefix="ingate-bench-", dir=OUT) as folder:
        store = store_ceiling(f"{folder}/ingate.db", bodies, stored_by(results, "W1 protobuf c=16"))

    pg_folder = tempfile.mkdtemp(prefix="ingate-bench-pg-")
    server = subprocess.run([str(ROOT / "scripts" / "postgres-server"), "start", pg_folder], capture_output=True,
                            text=True, check=True).stdout.strip()
    try:
        postgres = [run_variant(*variant[:5], bodies, loadgen, postgres=server, stacks=variant[5])
                    for variant in POSTGRES_VARIANTS]
        pg_store = store_ceiling(fresh_database(server), bodies, stored_by(postgres, POSTGRES_VARIANTS[0][0]))
    finally:
        subprocess.run([str(ROOT / "scripts" / "postgres-server"), "stop", pg_folder], capture_output=True)
    pg_ceiling = pg_store["rows_per_second"]
    for row in postgres:
        row["ratio_to_postgresql_ceiling"] = row["genai_spans_per_second"] / pg_ceiling
        print(f"  {row['variant']}: {row['genai_spans_per_second']:.0f} GenAI spans/s", flush=True)
    postgres[1]["ratio_to_one_stack"] = postgres[1]["genai_spans_per_second"] / postgres[0]["genai_spans_per_second"]
    decode = [json.loads(subprocess.run([str(BIN), "bench", "decode", "--body", str(bodies / f"w1.{ext}"),
                                         "--format", fmt, "--seconds", "3"],
                                        capture_output=True, text=True, check=True).stdout)
              for ext, fmt in (("pb", "protobuf"), ("json", "json"))]
    for row, counted in zip(decode, instructions_per_span(bodies)):
        row["instructions_per_genai_span"] = counted["instructions_per_genai_span"]

    sqlite_ceiling = store["rows_per_second"]
    null_ceiling = ceilings[0]["requests_per_second"] * GENAI_PER_REQUEST["w1"]
    for row in results:
        row["ratio_to_sqlite_ceiling"] = row["genai_spans_per_second"] / sqlite_ceiling
        row["ratio_to_null_responder"] = row["genai_spans_per_second"] / null_ceiling
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()},
        "seconds_per_run": SECONDS, "responder_threads": int(THREADS or serve_default_threads()),
        "variants": results, "null_responder": ceilings,
        "sqlite_ceiling_rows_per_second_at_5000_per_transaction": sqlite_ceiling, "sqlite_ceiling_rows": store["rows"],
        "postgresql": postgres,
        "postgresql_ceiling_rows_per_second_at_5000_per_transaction": pg_ceiling, "postgresql_ceiling_rows": pg_store["rows"],
        "decode_and_map_one_core": decode,
        # What the store's own best rate allows: a closed loop of c clients is answered c / throughput
        # apart on average (Little's law), and one request's rows take at least rows / ceiling to store.
        "latency_floors_ms": {"w1_c16_mean": 16 * GENAI_PER_REQUEST["w1"] / sqlite_ceiling * 1000,
                              "w1_c1_store": GENAI_PER_REQUEST["w1"] / sqlite_ceiling * 1000},
    }
    (OUT / "results.json").write_text(json.dumps(report, indent=2))

    print(f"\nmachine: {cpu}, {os.cpu_count()} cores; {SECONDS:.0f} s per run; responder threads {THREADS or serve_default_threads()}")
    header = f"{'variant':<28}{'GenAI spans/s':>14}{'req/s':>9}{'non-200':>8}{'p50 ms':>9}{'p99 ms':>9}{'RSS MiB':>9}{'rows ok':>8}{'/sqlite':>9}{'/null':>7}"
    print(header)
    for r in results:
        print(f"{r['variant']:<28}{r['genai_spans_per_second']:>14.0f}{r['requests_per_second']:>9.0f}{r['non_200']:>8}"
              f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['worker_peak_rss_mib']:>9.1f}{str(r['rows_match']):>8}"
              f"{r['ratio_to_sqlite_ceiling']:>9.2f}{r['ratio_to_null_responder']:>7.2f}")
    print(f"\n{'group commit (SQLite)':<28}{'commits':>8}{'req/commit':>11}{'busy':>6}{'ms/commit':>10}"
          + "".join(f"{p:>9}" for p in PHASES))
    for r in results:
        w = r["writer"]
        if w:
            print(f"{r['variant']:<28}{w['commits']:>8}{w['requests_per_commit']:>11.1f}{w['busy']:>6.0%}{w['commit_ms']:>10.1f}"
                  + "".join(f"{w['commit_phase_ms'][p]:>9.1f}" for p in PHASES))
    if retention["writer"] and retention["writer"]["retention"]:
        passes = retention["writer"]["retention"]
        print(f"retention passes: {passes['passes']} of {passes['ms_per_pass']:.1f} ms on average, "
              f"{passes['passes_over_100_ms']} over 100 ms; commits over 100 ms meanwhile: {passes['commits_over_100_ms']}")
    print(f"retention: {retention['old_rows_deleted_while_running']} of {RETENTION_ROWS} old rows deleted during the run; "
          f"p99 {retention['p99_ms']:.1f} ms vs {plain['p99_ms']:.1f} ms without ({retention['p99_vs_without_retention']:.2f}x)")
    for c in ceilings:
        print(f"{c['variant']}: {c['requests_per_second']:.0f} req/s = {c['genai_spans_per_second']:.0f} GenAI spans/s, "
              f"p99 {c['p99_ms']:.1f} ms")
    print(f"ceiling: SQLite insert of {store['rows']} such rows (what W1 c=16 stored) at 5000 rows/transaction: "
          f"{sqlite_ceiling:.0f} rows/s")
    floors = report["latency_floors_ms"]
    print(f"latency floors at that ceiling: W1 c=16 mean >= {floors['w1_c16_mean']:.1f} ms (16 clients x 50 rows / ceiling, "
          f"Little's law; issue 14 asks p99 <= 25), W1 c=1 storing alone >= {floors['w1_c1_store']:.1f} ms (50 rows / ceiling; "
          f"issue 14 asks p50 <= 3)")
    for r in postgres:
        print(f"{r['variant']}: {r['genai_spans_per_second']:.0f} GenAI spans/s, p50 {r['p50_ms']:.1f} ms, "
              f"p99 {r['p99_ms']:.1f} ms, rows ok {r['rows_match']}, {r['ratio_to_postgresql_ceiling']:.2f}x PostgreSQL ceiling")
    print(f"ceiling: PostgreSQL insert of {pg_store['rows']} such rows at 5000 rows/transaction: {pg_ceiling:.0f} rows/s; "
          f"two stacks on one PostgreSQL = {postgres[1]['ratio_to_one_stack']:.2f}x one stack")
    for d in decode:
        print(f"decode+map W1 {d['format']} on one core: {d['mb_per_second']:.1f} MB/s ({d['spans_per_second']:.0f} GenAI spans/s, "
              f"{d['instructions_per_genai_span']:,} instructions per GenAI span)")
    print(f"results: {OUT / 'results.json'}")
    if not all(r["rows_match"] for r in results + postgres):
        sys.exit("rows in the database differ from the spans acknowledged")
    refused = [r["variant"] for r in results + ceilings + postgres if r["non_200"] or r["connection_errors"]]
    if refused:
        sys.exit(f"requests were refused or failed in: {', '.join(refused)} (see non_200 in results.json)")


if __name__ == "__main__":
    main()
