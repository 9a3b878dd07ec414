"""Where things are, and the file helpers every layer shares (hashes, atomic writes).

In a checkout, ROOT is the repository; in the image, it is /srv (the service's MODEL_DIR is set there).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = ROOT / "models"  # git-ignored; MODEL_DIR overrides it
DEFAULT_DATA_DIR = ROOT / "data"  # git-ignored; SPAMCHECK_DATA_DIR overrides it
BUILD_DIR = ROOT / "build"  # git-ignored: executed notebooks, logs, tools


def sha256_bytes(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_atomically(path: Path, blob: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(blob)
    os.replace(partial, path)
