"""`make drill`: every fault drill at full length against the real gunicorn server on 127.0.0.1 and
the image, then a table of the figures and whether each met its bar.

    python -m drills                 # all, full length (about 5 minutes)
    python -m drills --only soak     # one drill
    python -m drills --quick         # the bounded versions `make test` runs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drills.common import Report
from drills.fuzz import fuzz
from drills.long_words import long_words
from drills.plans import FULL, QUICK
from drills.soak import soak
from drills.stops import graceful_stop, graceful_stop_container, kill_worker
from drills.tamper import tampered
from spamcheck.paths import BUILD_DIR, DEFAULT_MODEL_DIR
from spamcheck.tooling.engines import container_engine

BY_MODEL = {
    "fuzz": fuzz,
    "kill_worker": kill_worker,
    "graceful_stop": graceful_stop,
    "soak": soak,
    "long_words": long_words,
}


def run(name: str, settings: dict, model_dir: Path, log_dir: Path, engine: str | None, image: str):
    if name == "graceful_stop_container":
        if engine is None:
            return Report("graceful stop (container)", False, {"skipped": "no docker or podman engine answers"})
        return graceful_stop_container(engine, image, **settings)
    if name == "tampered":
        return tampered(model_dir, log_dir, engine, image if engine else None, **settings)
    return BY_MODEL[name](model_dir, log_dir, **settings)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(FULL), action="append")
    parser.add_argument("--quick", action="store_true", help="the bounded versions")
    parser.add_argument("--image", default="spamcheck:1.0.0")
    args = parser.parse_args(argv)
    log_dir = BUILD_DIR / "drills"
    log_dir.mkdir(parents=True, exist_ok=True)
    engine = container_engine()
    plan = QUICK if args.quick else FULL
    reports = []
    for name in args.only or plan:
        print(f"==> {name}", file=sys.stderr, flush=True)
        reports.append(run(name, plan[name], DEFAULT_MODEL_DIR, log_dir, engine, args.image))
    print(f"\n{'drill':38s} {'bar met':8s} figures")
    for report in reports:
        figures = {k: v for k, v in report.figures.items() if k != "details" or v}
        print(
            f"{report.name:38s} {'yes' if report.passed else 'NO':8s} "
            + "; ".join(f"{k}: {v}" for k, v in figures.items())
        )
    print(f"\nLogs in {log_dir}/")
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
