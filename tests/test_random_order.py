"""`make test-fast` runs the tests in a random order, and the Makefile's way to repeat an order works:
`make test-fast PYTEST_ARGS=--randomly-seed=N` with the seed pytest-randomly printed."""

from __future__ import annotations

import subprocess

from spamcheck.paths import ROOT


def collected(seed: int) -> list[str]:
    """The order in which `make test-fast` would run the tests with this seed."""
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "test-fast",
            "TEST_PROCESSES=0",
            f"PYTEST_ARGS=--randomly-seed={seed} --collect-only",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"Using --randomly-seed={seed}" in done.stdout  # what a failing run prints, to be repeated
    return [line.strip() for line in done.stdout.splitlines() if line.strip().startswith(("<Module", "<Function"))]


def test_the_printed_seed_repeats_the_order():
    first = collected(1234)
    assert len(first) > 100 and collected(1234) == first
    assert collected(4321) != first, "another seed, another order"
