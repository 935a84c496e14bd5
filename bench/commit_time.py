"""Where a served commit's time goes: the worker's file syscalls and its threads' wait for a CPU.

Serves W1 protobuf at the given concurrency (default 16) on the shipped stack, and for SECONDS in
the middle of the run records the worker's pwrite64, pread64, fdatasync and fsync calls with the
kernel's syscall tracepoints (`perf record`, which needs root or perf_event_paranoid ≤ 1). A
commit is the run of WAL writes that ends in a fdatasync of the WAL: its frames' pwrite64 time,
then the fdatasync that makes it durable. The same seconds, each thread's run and run-queue wait
time come from /proc/PID/task/TID/schedstat, and the group commit's steps from /metrics.

    .venv/bin/python bench/commit_time.py [CONCURRENCY]   (after `make bench`, which builds bench-out/)
"""
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import run

SECONDS = 4
SYSCALLS = ("pwrite64", "pread64", "fdatasync", "fsync")


def files_of(pid: int) -> dict:
    """The worker's open file descriptors by number: the database, its WAL, or another file."""
    names = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        names[int(fd.name)] = ("WAL" if target.endswith("-wal") else "database" if target.endswith(".db")
                               else Path(target).name)
    return names


def schedstat(pid: int) -> dict:
    """Nanoseconds each thread has run and waited on a run queue."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ran, waited, _ = map(int, (task / "schedstat").read_text().split())
        except (OSError, ValueError):
            continue
        times[task.name] = (ran, waited)
    return times


def record(pid: int, out: str):
    events = [arg for call in SYSCALLS for arg in ("-e", f"syscalls:sys_enter_{call}", "-e", f"syscalls:sys_exit_{call}")]
    subprocess.run(["perf", "record", "-q", "-o", out, "-p", str(pid), *events, "--", "sleep", str(SECONDS)],
                   check=True, capture_output=True)
    return subprocess.run(["perf", "script", "-i", out, "-F", "tid,time,event,trace"],
                          check=True, capture_output=True, text=True).stdout


def calls(script: str):
    """(thread, syscall, fd, bytes asked, seconds) per completed call, in order of completion."""
    entered = {}
    for line in script.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        thread, at, event = fields[0], float(fields[1].rstrip(":")), fields[2].rstrip(":")
        kind, name = event.split(":")[1].split("_", 2)[1:]
        if kind == "enter":
            fd = re.search(r"fd: (0x[0-9a-f]+)", line)
            count = re.search(r"count: (0x[0-9a-f]+)", line)
            entered[thread] = (name, int(fd.group(1), 16) if fd else -1, int(count.group(1), 16) if count else 0, at)
        elif thread in entered:
            name, fd, count, started = entered.pop(thread)
            yield thread, name, fd, count, at - started


def commits_and_totals(script: str, files: dict):
    commits, totals, open_commit = [], collections.defaultdict(lambda: [0, 0.0]), {}
    for thread, name, fd, count, seconds in calls(script):
        what = files.get(fd, f"fd {fd}")
        totals[(name, what)][0] += 1
        totals[(name, what)][1] += seconds
        if what != "WAL":
            continue
        if name == "pwrite64":
            commit = open_commit.setdefault(thread, {"writes": 0, "bytes": 0, "write_s": 0.0})
            commit["writes"] += 1
            commit["bytes"] += count
            commit["write_s"] += seconds
        elif name == "fdatasync" and thread in open_commit:
            commits.append(dict(open_commit.pop(thread), sync_s=seconds))
    return commits, totals


def main(concurrency: int):
    with tempfile.TemporaryDirectory(prefix="ingate-commit-", dir=run.OUT) as folder:
        stack = run.Stack(Path(folder))
        try:
            loaded = {}
            loader = threading.Thread(target=lambda: loaded.update(
                run.drive(run.OUT / "loadgen", stack, run.OUT / "bodies", "w1", "pb", 0, concurrency, SECONDS + 4)))
            loader.start()
            time.sleep(2)
            pid = stack.worker_pids()[0]
            files = files_of(pid)
            before = schedstat(pid)
            script = record(pid, f"{folder}/perf.data")
            after = schedstat(pid)
            loader.join()
            writer = run.writer_figures(stack)
        finally:
            stack.stop()
    commits, totals = commits_and_totals(script, files)
    if not commits:
        sys.exit("no WAL commit seen: is perf allowed to trace syscalls here?")
    ran = sum(after[t][0] - before[t][0] for t in after if t in before) / 1e9
    waited = sum(after[t][1] - before[t][1] for t in after if t in before) / 1e9

    def median_ms(key):
        return statistics.median(c[key] for c in commits) * 1000

    phases = writer["commit_phase_ms"]
    print(f"W1 protobuf c={concurrency}: {loaded['ok'] * run.GENAI_PER_REQUEST['w1'] / loaded['seconds']:.0f} GenAI spans/s; "
          f"{len(commits)} commits traced in {SECONDS} s, {writer['requests_per_commit']:.1f} requests each")
    print(f"  group commit steps (ms, mean): " + ", ".join(f"{p} {phases[p]:.2f}" for p in run.PHASES))
    print(f"  a commit's WAL (median): {statistics.median(c['writes'] for c in commits):.0f} pwrite64 of "
          f"{statistics.median(c['bytes'] for c in commits) / 1e6:.2f} MB in {median_ms('write_s'):.2f} ms, "
          f"then fdatasync {median_ms('sync_s'):.2f} ms (mean {statistics.mean(c['sync_s'] for c in commits) * 1000:.2f})")
    print(f"  worker threads: ran {ran:.2f} s and waited for a CPU {waited:.2f} s in {SECONDS} s")
    print("  file syscalls in those seconds (every thread, the checkpointer's too):")
    for (name, what), (count, seconds) in sorted(totals.items(), key=lambda item: -item[1][1]):
        print(f"    {name:<10} {what:<12} {count:>7} calls {seconds * 1000:>9.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
