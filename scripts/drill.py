#!/usr/bin/env python3
"""`make drill`: every fault drill at full length against the real gunicorn server on 127.0.0.1 and
the image, then a table of the figures and whether each met its bar (spamcheck/tooling/drills.py).

    python scripts/drill.py                 # all, full length (about 5 minutes)
    python scripts/drill.py --only soak     # one drill
    python scripts/drill.py --quick         # the bounded versions `make test` runs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spamcheck.paths import BUILD_DIR, DEFAULT_MODEL_DIR
from spamcheck.tooling import drills
from spamcheck.tooling.engines import container_engine

FULL = {
    "fuzz": {"max_examples": 200},  # about 2,500 requests
    "kill_worker": {"seconds": 10, "connections": 16},
    "graceful_stop": {},
    "graceful_stop_container": {},
    "tampered": {},
    "soak": {"seconds": 180, "connections": 8, "warmup": 30},
}
QUICK = {  # what tests/test_drills.py runs
    "fuzz": {"max_examples": 5},
    "kill_worker": {"seconds": 3, "connections": 16},
    "graceful_stop": {"before_signal": 1},
    "graceful_stop_container": {"before_signal": 1},
    "tampered": {"only": ["feature.pkl changed", "card's hash wrong"]},
    "soak": {"seconds": 3, "connections": 8, "warmup": 1, "every": 0.5},
}


def run(name: str, settings: dict, model_dir: Path, log_dir: Path, engine: str | None, image: str):
    if name == "graceful_stop_container":
        if engine is None:
            return drills.Report("graceful stop (container)", False, {"skipped": "no docker or podman engine answers"})
        return drills.graceful_stop_container(engine, image, **settings)
    if name == "tampered":
        return drills.tampered(model_dir, log_dir, engine, image if engine else None, **settings)
    return getattr(drills, name)(model_dir, log_dir, **settings)


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
