"""`make bench-viewer`: how fast the viewer's pages answer on a database of 1 000 000 rows.

Fills a SQLite database (release build, `ingate-otel bench store --vary --spread-days 30`: the W1
rows with 8 models, a rare one, 5 services, 1 % errors, conversations of 20 calls, starts spread
over 30 days), starts the stack as shipped on it (nginx with TLS, spawn-fcgi), signs in with a
read key, and times each page through nginx, BENCH_VIEWER_REQUESTS (default 10) times, one at a
time. Prints p50 and p95 per page and writes bench-out/viewer.json.

    BENCH_VIEWER_ROWS (default 1000000) rows; BENCH_VIEWER_DB reuses a database made before;
    BENCH_VIEWER_BACKEND=postgresql fills a throwaway PostgreSQL server (scripts/postgres-server) instead.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BIN, OUT, ROOT, Stack, fresh_database, psql  # noqa: E402

# requests prefers these to a session's own certificate, which is the stack's development one.
for _variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_variable, None)
ROWS = int(os.environ.get("BENCH_VIEWER_ROWS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_VIEWER_REQUESTS", "10"))


def pages(middle: str) -> list[tuple[str, str]]:
    return [
        ("calls, last 24 h", "/ui/"),
        ("calls, all time", "/ui/?window=all"),
        ("calls, one model of 8", "/ui/?window=all&model=model-3"),
        ("calls, a rare model", "/ui/?window=all&model=rare-model"),
        ("calls, one service of 5", "/ui/?window=30d&service=service-2"),
        ("calls, errors only", "/ui/?window=all&errors=1"),
        ("calls, one conversation", "/ui/?window=all&conversation=conversation-25000"),
        ("calls, key and operation", "/ui/?window=7d&key=1&operation=chat"),
        ("calls, page in the middle", f"/ui/?window=all&after={middle}"),
        ("calls, text found, 24 h", "/ui/?q=latency"),
        ("calls, text absent, 1 h", "/ui/?window=1h&q=no-such-words"),
        ("calls, text absent, 24 h", "/ui/?q=no-such-words"),
        ("calls, text absent, all time", "/ui/?window=all&q=no-such-words"),
        ("calls, text absent, going on", f"/ui/?window=all&q=no-such-words&after={middle}"),
        ("one call", "/ui/call/500000"),
        ("usage, 1 day", "/ui/usage?days=1"),
        ("usage, 7 days", "/ui/usage?days=7"),
        ("usage, 30 days", "/ui/usage?days=30"),
        ("usage, 365 days", "/ui/usage?days=365"),
    ]


def main():
    urllib3.disable_warnings()
    OUT.mkdir(exist_ok=True)
    bodies = OUT / "bodies"
    subprocess.run([sys.executable, str(ROOT / "bench" / "workload.py"), str(bodies)], check=True, capture_output=True)
    postgres = os.environ.get("BENCH_VIEWER_BACKEND") == "postgresql"
    pg_folder = tempfile.mkdtemp(prefix="ingate-bench-viewer-pg-") if postgres else None
    with tempfile.TemporaryDirectory(prefix="ingate-bench-viewer-", dir=OUT) as folder:
        if postgres:
            server = subprocess.run([str(ROOT / "scripts" / "postgres-server"), "start", pg_folder], capture_output=True,
                                    text=True, check=True).stdout.strip()
        db = os.environ.get("BENCH_VIEWER_DB") or (fresh_database(server) if postgres else f"{folder}/ingate.db")
        try:
            results = measure(db, folder, bodies, fill=not os.environ.get("BENCH_VIEWER_DB"))
        finally:
            if postgres:
                subprocess.run([str(ROOT / "scripts" / "postgres-server"), "stop", pg_folder], capture_output=True)
    (OUT / "viewer.json").write_text(json.dumps({"rows": ROWS, "backend": "postgresql" if postgres else "sqlite",
                                                 "requests_per_page": REQUESTS, "pages": results}, indent=2))
    print(f"\n{'page':<30}{'p50 ms':>9}{'p95 ms':>9}{'rows':>6}{'KiB':>7}")
    for r in results:
        print(f"{r['page']:<30}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['rows_shown']:>6}{r['bytes'] / 1024:>7.0f}")
    slow = [r["page"] for r in results if r["p50_ms"] > 100]
    print(f"over 100 ms (p50): {', '.join(slow) if slow else 'none'}")


def measure(db: str, folder: str, bodies: Path, fill: bool) -> list[dict]:
    """Fills `db` when asked, serves it as shipped, signs in with a read key, times every page."""
    if fill:
        started = time.time()
        subprocess.run([str(BIN), "bench", "store", "--db", db, "--body", str(bodies / "w1.pb"), "--rows", str(ROWS),
                        "--batch", "5000", "--spread-days", "30", "--vary"], check=True, capture_output=True)
        print(f"  filled {ROWS} rows in {time.time() - started:.0f} s", flush=True)
    stack = Stack(Path(folder), db_url=db)
    try:
        reader = subprocess.run([str(BIN), "keys", "create", "--db", db, "--name", "bench-viewer", "--scope", "read"],
                                capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        base = f"https://127.0.0.1:{stack.port}"
        with requests.Session() as session:
            session.verify = f"{folder}/tls/cert.pem"
            login = session.get(f"{base}/ui/login")
            token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            assert session.post(f"{base}/ui/login", data={"key": reader, "csrf": token}, allow_redirects=False).status_code == 303
            middle = f"SELECT start_time_unix_nano FROM llm_logs WHERE id = {ROWS // 2}"
            mid_start = psql(db, middle) if db.startswith("postgresql://") else subprocess.run(
                ["sqlite3", db, middle], capture_output=True, text=True, check=True).stdout.strip()
            results = []
            for name, path in pages(f"{mid_start}-{ROWS // 2}"):
                times = []
                for _ in range(REQUESTS):
                    began = time.perf_counter()
                    answer = session.get(base + path)
                    times.append((time.perf_counter() - began) * 1000)
                    if answer.status_code != 200:
                        sys.exit(f"{name}: {path} answered {answer.status_code}")
                times.sort()
                results.append({"page": name, "path": path, "p50_ms": statistics.median(times),
                                "p95_ms": times[int(len(times) * 0.95) - 1], "rows_shown": answer.text.count('href="/ui/call/'),
                                "bytes": len(answer.content)})
                print(f"  {name}: p50 {results[-1]['p50_ms']:.1f} ms", flush=True)
    finally:
        stack.stop()
    return results


if __name__ == "__main__":
    main()
