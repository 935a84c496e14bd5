"""Which B-trees a served commit writes: WAL frames per commit, by table and index.

Serves W1 protobuf at the given concurrency (default 16) on the shipped stack for a few seconds,
then holds a read transaction open, so that no checkpoint can start the WAL over, and serves a
few seconds more. Every frame the second run appended is then read back from the -wal file
(https://www.sqlite.org/fileformat2.html#walformat: a 32-byte header, then frames of a 24-byte
header and one page) and charged to the B-tree that owns its page (the `dbstat` table), both as
it was before the run and, for pages the run added, as it is after.

    .venv/bin/python bench/wal_frames.py [CONCURRENCY]   (after `make release`; `make bench` builds bench-out/)
"""
import collections
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

import run

SECONDS = 4


def load(stack, concurrency: int, counter: int) -> dict:
    return run.drive(run.OUT / "loadgen", stack, run.OUT / "bodies", "w1", "pb", 0, concurrency, SECONDS, counter)


def owners(db: str) -> dict:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT pageno, name FROM dbstat"))


def commits_in_wal(wal: bytes) -> tuple[int, list]:
    """The page size and the page numbers each commit wrote, oldest first (frames of the current salt)."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    salt = wal[16:24]
    commits, pages, at = [], [], 32
    while at + 24 + page_size <= len(wal) and wal[at + 8:at + 16] == salt:
        page, size_after_commit = struct.unpack(">II", wal[at:at + 8])
        pages.append(page)
        if size_after_commit:
            commits.append(pages)
            pages = []
        at += 24 + page_size
    return page_size, commits


def main(concurrency: int):
    with tempfile.TemporaryDirectory(prefix="ingate-wal-", dir=run.OUT) as folder:
        stack = run.Stack(Path(folder))
        try:
            first = load(stack, concurrency, 1)
            before = owners(stack.db)
            reader = sqlite3.connect(stack.db)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM api_keys").fetchall()
            second = load(stack, concurrency, first["next_counter"])
            page_size, commits = commits_in_wal(Path(stack.db + "-wal").read_bytes())
            reader.close()
            after = owners(stack.db)
        finally:
            stack.stop()
    last_before = max(before)
    frames = [page for commit in commits for page in commit]
    by_owner = collections.Counter(before.get(page, "(pointer map or free list)") if page <= last_before
                                   else after.get(page, "(pointer map or free list)") + " (new page)"
                                   for page in frames)
    requests = second["ok"]
    print(f"W1 protobuf c={concurrency}: {len(commits)} commits of {requests / max(1, len(commits)):.1f} requests "
          f"({requests * run.GENAI_PER_REQUEST['w1'] / max(1, len(commits)):.0f} rows), "
          f"{len(frames) / max(1, len(commits)):.1f} frames of {page_size // 1024} KiB each "
          f"({len(frames) * (page_size + 24) / max(1, len(commits)) / 1024:.0f} KiB of WAL per commit)")
    for owner, count in by_owner.most_common():
        print(f"  {owner:<48}{count / max(1, len(commits)):>8.1f} frames/commit")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
