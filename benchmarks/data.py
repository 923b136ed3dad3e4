"""How long app.data.parse_csv takes on large files, against numpy.loadtxt in the same run.

Prints figures only (no assertions on time). The file has a header, two numeric columns and a text
column, as exported spreadsheets do. parse_csv reads every line but splits and converts only a
sample of MAX_ROWS rows, so its time grows with the file's bytes, not with its number of cells;
numpy.loadtxt (the reference) converts every row. In the browser, expect about twice these times
(shared/PYODIDE.md measures Pyodide at 1.5-2x CPython for numpy work).

    .venv/bin/python benchmarks/data.py
    .venv/bin/python benchmarks/data.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np

from app import data


def make_file(n_rows: int, seed: int = 0) -> bytes:
    X = np.random.default_rng(seed).normal(size=(n_rows, 2))
    lines = (f"{a:.6f},{b:.6f},group{i % 5}" for i, (a, b) in enumerate(X))
    return ("x,y,group\n" + "\n".join(lines) + "\n").encode()


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    repeats = 1 if parser.parse_args().quick else 3
    print(f"parse_csv (sample of {data.MAX_ROWS:,} rows) vs numpy.loadtxt (every row), best of "
          f"{repeats}")
    print(f"{'rows':>10} {'MB':>6} {'parse_csv s':>12} {'loadtxt s':>10} {'ratio':>6}")
    for n_rows in (10_000, 100_000, 1_000_000):
        raw = make_file(n_rows)
        ours = best_of(repeats, lambda: data.parse_csv(raw))
        reference = best_of(
            repeats,
            lambda: np.loadtxt(io.StringIO(raw.decode()), delimiter=",", skiprows=1,
                               usecols=(0, 1)),
        )
        print(f"{n_rows:>10,} {len(raw) / 2**20:>6.1f} {ours:>12.3f} {reference:>10.3f} "
              f"{ours / reference:>6.2f}")


if __name__ == "__main__":
    main()
