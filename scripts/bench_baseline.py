"""`make bench BASELINE_REF=<commit>`: the same benchmark on earlier code, in the same run.

Checks out ``<commit>`` into build/baseline-<commit>/ (a git worktree, made once), gives it this
checkout's models/ (an earlier service reads the pickles and the card, which training still writes)
and data/, then runs this checkout's scripts/bench.py with that commit's package and app, so that
both are measured the same way (if the earlier package lacks what this benchmark imports, it runs
that commit's own scripts/bench.py, and says so), and builds its image as ``spamcheck:<commit>``
for scripts/container_start.py. Machines here vary in speed by up to 2.5x in
an afternoon, so only figures taken back to back compare (docs/benchmarks.md).

    python scripts/bench_baseline.py <commit>     # prints the earlier code's figures
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's spamcheck

from spamcheck.paths import ROOT  # noqa: E402
from spamcheck.tooling.engines import container_engine  # noqa: E402


def worktree(ref: str) -> Path:
    """build/baseline-<ref>/, checked out at ``ref``, with this checkout's models/ and data/."""
    folder = ROOT / "build" / f"baseline-{ref}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=ROOT, check=True)
    for name in ("models", "data"):
        shutil.copytree(ROOT / name, folder / name, dirs_exist_ok=True)
    if (folder / "setup.py").exists():  # its compiled module, built in place (without it, its slower fallback)
        build = [sys.executable, "setup.py", "-q", "build_ext", "--inplace"]
        subprocess.run(build, cwd=folder, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return folder


def main(ref: str) -> int:
    folder = worktree(ref)
    print(f"==> the benchmark of {ref} (build/baseline-{ref}/), then this checkout's", flush=True)
    environment = {**os.environ, "PYTHONPATH": str(folder)}  # its own package, not this checkout's
    imports = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='imports')"  # its imports, not its main()
    ours = ROOT / "scripts" / "bench.py"
    if subprocess.run([sys.executable, "-c", imports, str(ours)], cwd=folder, env=environment).returncode != 0:
        print(f"this benchmark cannot import {ref}'s package: running {ref}'s own scripts/bench.py", flush=True)
        ours = folder / "scripts" / "bench.py"
    done = subprocess.run([sys.executable, str(ours)], cwd=folder, env=environment)
    engine = container_engine()
    if engine is None:
        print(f"the image of {ref}: SKIPPED, NO CONTAINER ENGINE (docker or podman answers)")
        return done.returncode
    fmt = ["--format", "docker"] if engine == "podman" else []
    build = [engine, "build", "-q", "-t", f"spamcheck:{ref}", "-f", "docker/Dockerfile", *fmt, "."]
    return done.returncode or subprocess.run(build, cwd=folder, stdout=subprocess.DEVNULL).returncode


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
