"""The default model the tests serve: trained on every message and exported as notebook 02 exports
it, once per pytest run, under build/test-run-models/RUN (tests only read it; the tamper tests copy it).

Whoever holds the lock trains it; whoever comes next finds its model card, written last, and uses
the same files. A whole-suite run starts this file as a process of its own as soon as pytest starts
(tests/conftest.py), so that the model trains while the test processes start and collect, instead
of one of them training it while the other waits.

    python tests/trained_model.py RUN DATA_FILE
"""

from __future__ import annotations

import fcntl
import shutil
import sys
from pathlib import Path

from spamcheck.paths import ROOT
from spamcheck.serving import artifacts
from spamcheck.training import data, production

RUNS = ROOT / "build" / "test-run-models"


def ensure(run: str, messages) -> Path:
    """build/test-run-models/RUN with the default model trained on ``messages``: trained now, or earlier in this run."""
    directory = RUNS / run
    RUNS.mkdir(parents=True, exist_ok=True)
    with open(RUNS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / artifacts.CARD_FILE).exists():  # written last: its presence means complete
            for earlier in RUNS.iterdir():  # earlier runs' models
                if earlier.is_dir():
                    shutil.rmtree(earlier)
            # the recipe notebook 02 and `python -m spamcheck.training` use; metrics are the notebook's job
            production.export(production.fit(messages), messages, directory)
    return directory


if __name__ == "__main__":
    ensure(sys.argv[1], data.parse(Path(sys.argv[2])))
