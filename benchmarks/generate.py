"""Wall time, peak memory and output size of the sample data generator.

Run on demand (not part of the test suite):

    uv run python benchmarks/generate.py [--scale england] [--terms 6]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sendwatch.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["bcp", "england"], default="bcp")
    parser.add_argument("--terms", type=int, default=6)
    parser.add_argument("--schools", type=int)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sample"
        started = time.perf_counter()
        summary = generate(out, args.schools, seed=1, scale=args.scale, terms=args.terms)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scale={args.scale} terms={args.terms} schools={summary.schools}")
    print(f"wall time      {seconds:8.1f} s")
    print(f"peak memory    {peak_mb:8.0f} MB")
    print(f"files          {summary.files:8d}   ({size / 1e6:.0f} MB)")
    print(f"returns        {summary.returns:8d}   ({summary.returns / seconds:.0f} per second)")
    print(f"enquiries      {summary.enquiries:8d}")


if __name__ == "__main__":
    main()
