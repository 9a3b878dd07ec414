#!/usr/bin/env bash
# Print the path of the first installed Python that spamcheck supports (3.11, 3.12 or 3.13), or
# exit 1. `make` uses it when PYTHON is not given. Each candidate is *run*, not just found: a pyenv
# shim for a version that is not active exists on PATH but fails.
for candidate in python3 python3.13 python3.12 python3.11 python; do
  path=$(command -v "$candidate") || continue
  if "$path" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
exit 1
