"""A pytest plugin for `make sanitize` (scripts/sanitize.sh): imports the compiled model from the file
SPAMCHECK_SANITIZED_MODEL names (built with AddressSanitizer and UBSan) as spamcheck.serving._score,
before any test imports it, so that every test of the run drives that build."""

from __future__ import annotations

import importlib.util
import os
import sys

import spamcheck.serving

path = os.environ["SPAMCHECK_SANITIZED_MODEL"]
spec = importlib.util.spec_from_file_location("spamcheck.serving._score", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["spamcheck.serving._score"] = spamcheck.serving._score = module


def pytest_report_header(config):
    return f"spamcheck.serving._score: {module.__file__}"
