#!/usr/bin/env bash
# `make sanitize`: build the compiled model (spamcheck/serving/_score.c, or SCORE_SOURCE) with
# AddressSanitizer and UndefinedBehaviorSanitizer, then run the tests that drive it against that
# build. Any report stops the run with an error. The build sits in build/sanitize/, beside a copy of
# the package made of links to the real files, so the installed module is never touched.
#   scripts/sanitize.sh [PYTHON] [pytest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-.venv/bin/python}"
shift || true
source_file="${SCORE_SOURCE:-spamcheck/serving/_score.c}"
out=build/sanitize
tests=(tests/test_word_cache.py tests/test_model_arrays.py tests/test_properties.py tests/test_npz_model.py)
compiler="${CC:-gcc}"
runtime="$("$compiler" -print-file-name=libasan.so)"
if [ ! -e "$runtime" ]; then
  echo "error: $compiler has no AddressSanitizer runtime (libasan.so): install gcc's libasan" >&2
  exit 1
fi

rm -rf "$out" && mkdir -p "$out"
include="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
suffix="$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
export SPAMCHECK_SANITIZED_MODEL="$PWD/$out/_score$suffix"
"$compiler" -shared -fPIC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
  -Wall -Werror -I"$include" "$source_file" -o "$SPAMCHECK_SANITIZED_MODEL"

# tests/sanitized_compiled_model.py imports that build as spamcheck.serving._score before any test runs.
export PYTHONPATH="$PWD/tests" LD_PRELOAD="$runtime" PYTHONMALLOC=malloc
# Leaks: CPython keeps objects alive until exit by design, so LeakSanitizer would report them all.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "sanitize: the compiled model's tests against $SPAMCHECK_SANITIZED_MODEL (ASan + UBSan)"
[ $# -gt 0 ] && tests=("$@")
# --capture=sys: a report goes to the real stderr (fd 2), not into pytest's capture of a process it ends
"$python" -m pytest -p sanitized_compiled_model -p no:randomly -p no:nbval -n 0 -q --capture=sys "${tests[@]}"
