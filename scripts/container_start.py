#!/usr/bin/env python3
"""How long the production image takes to get ready, and how big it is, as podman or docker says.

Each start is a new container run as the Pod runs it: a read-only root filesystem and /tmp in
memory, so nothing is carried over from an earlier start. The time is from `ENGINE run` to the
first 200 of /readyz (asked every 20 ms). With several images, the starts alternate between them,
so that a shared machine's drift in speed falls on all alike; the median of each is printed.

    python scripts/container_start.py [--starts 5] IMAGE [IMAGE ...]

`make bench` runs it on the image `make image` built.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from spamcheck.tooling.containers import Container
from spamcheck.tooling.engines import container_engine

TARGETS = {"ready_s": 2.0, "image_mb": 450}
POD_LIKE = ("--read-only", "--tmpfs", "/tmp")  # as k8s/ runs it: readOnlyRootFilesystem, /tmp an emptyDir in memory


def image_mb(engine: str, image: str) -> float:
    """The image's size in MB (10^6 bytes), as `ENGINE images` reports it."""
    done = subprocess.run([engine, "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{engine} has no image {image}: build it with `make image IMAGE={image}`\n{done.stderr}")
    return int(done.stdout.strip()) / 1e6


def seconds_to_ready(engine: str, image: str) -> float:
    with Container(engine, image, *POD_LIKE, name_prefix="spamcheck-start", poll=0.02) as container:
        return container.seconds_to_ready


def measure(engine: str, images: list[str], starts: int) -> dict[str, dict]:
    """{image: {"image_mb": size, "ready_s": [seconds of each start]}}, the starts alternating."""
    results = {image: {"image_mb": image_mb(engine, image), "ready_s": []} for image in images}
    for _ in range(starts):
        for image in images:
            results[image]["ready_s"].append(seconds_to_ready(engine, image))
    return results


def report(results: dict[str, dict]) -> None:
    for image, result in results.items():
        ready = statistics.median(result["ready_s"])
        print(
            f"{image}: ready in {ready:.2f} s (median of {len(result['ready_s'])} starts: "
            f"{', '.join(f'{s:.2f}' for s in result['ready_s'])}; target <= {TARGETS['ready_s']:.1f} s: "
            f"{'met' if ready <= TARGETS['ready_s'] else 'NOT MET'}), image {result['image_mb']:.0f} MB "
            f"(target <= {TARGETS['image_mb']} MB: {'met' if result['image_mb'] <= TARGETS['image_mb'] else 'NOT MET'})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    engine = container_engine()
    if engine is None:
        print("SKIPPED: no container engine answers (`docker info` or `podman info`)", file=sys.stderr)
        return 1
    report(measure(engine, args.images, args.starts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
