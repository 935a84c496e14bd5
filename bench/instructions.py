"""Instructions per GenAI span of decode + map + price on one core, counted by valgrind's callgrind.

Counted, not timed: the figure is the same on a busy machine, so a change that makes decoding dearer shows
in review. The release binary is copied without its debug sections (valgrind cannot read Swift's), run for
FEW and for MANY iterations of one W1 body, and the difference is divided by the spans decoded in the
iterations between: what starting the process and loading the price table cost drops out.

    .venv/bin/python bench/instructions.py      (make bench-instructions; make bench runs it too)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".build" / "release" / "ingate-otel"
FEW, MANY = 3, 13


def counted(binary: Path, body: Path, fmt: str, iterations: int, folder: str) -> tuple[int, int]:
    """Instructions of one run and the GenAI spans one iteration keeps."""
    out = f"{folder}/callgrind.{fmt}.{iterations}"
    # Swift seeds its hashing per process; a fixed seed makes two runs count the same instructions.
    env = {**os.environ, "SWIFT_DETERMINISTIC_HASHING": "1"}
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(binary), "bench", "decode",
                          "--body", str(body), "--format", fmt, "--iterations", str(iterations)],
                         capture_output=True, text=True, check=True, env=env)
    summary = next(line for line in Path(out).read_text().splitlines() if line.startswith("summary:"))
    return int(summary.split()[1]), json.loads(run.stdout)["genai_spans"]


def instructions_per_span(bodies: Path) -> list[dict]:
    if not shutil.which("valgrind"):
        sys.exit("valgrind is missing: scripts/install-deps valgrind")
    with tempfile.TemporaryDirectory(prefix="ingate-callgrind-") as folder:
        binary = Path(folder) / "ingate-otel"
        shutil.copy(BIN, binary)
        subprocess.run(["strip", "--strip-debug", str(binary)], check=True)
        results = []
        for ext, fmt in (("pb", "protobuf"), ("json", "json")):
            few, spans = counted(binary, bodies / f"w1.{ext}", fmt, FEW, folder)
            many, _ = counted(binary, bodies / f"w1.{ext}", fmt, MANY, folder)
            results.append({"format": fmt, "genai_spans_per_body": spans,
                            "instructions_per_genai_span": round((many - few) / ((MANY - FEW) * spans))})
        return results


if __name__ == "__main__":
    bodies = ROOT / "bench-out" / "bodies"
    for row in instructions_per_span(bodies):
        print(f"decode+map W1 {row['format']}: {row['instructions_per_genai_span']:,} instructions per GenAI span")
