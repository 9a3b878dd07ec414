"""`make test-fast` runs the tests in a random order, and the Makefile's way to repeat an order works:
`make test-fast PYTEST_ARGS=--randomly-seed=N` with the seed pytest-randomly printed."""

from __future__ import annotations

import subprocess

from spamcheck.paths import ROOT


def collect(seed: int) -> subprocess.Popen:
    """`make test-fast` with this seed, collecting only (a few files: quick), started in the background."""
    return subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "test-fast",
            "TESTS=tests/test_api.py tests/test_word_cache.py tests/test_environment.py",  # unit tests, no nbformat: quick
            "TEST_PROCESSES=0",
            f"PYTEST_ARGS=--randomly-seed={seed} --collect-only",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def order(run: subprocess.Popen, seed: int) -> list[str]:
    """The order in which the tests would run; the seed must be printed, for a failing run to repeat."""
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 0, output[-3000:]
    assert f"Using --randomly-seed={seed}" in output
    return [line.strip() for line in output.splitlines() if line.strip().startswith(("<Module", "<Function"))]


def test_the_printed_seed_repeats_the_order():
    runs = {name: (collect(seed), seed) for name, seed in (("first", 1234), ("again", 1234), ("other", 4321))}
    first, again, other = (order(*runs[name]) for name in ("first", "again", "other"))
    assert len(first) > 30 and again == first
    assert other != first, "another seed, another order"
