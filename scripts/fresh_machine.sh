#!/usr/bin/env bash
# What a newcomer sees: clone the committed HEAD into a temp folder and run the README's two
# commands there, `make run` then `make test`, printing each command's wall time and exit code.
# Exits 1 if any command failed. `make newcomer` calls it.
#
#   scripts/fresh_machine.sh                      # make run, then make test
#   scripts/fresh_machine.sh "make run ARGS='--limit 4'" "make lint"   # other commands, in order
#
# Uncommitted changes are not in the clone. The clone (with its .venv, a few GB) is removed at
# the end unless FRESH_KEEP=1.
#
# A fresh clone is not a fresh machine: the check relies on the machine's state, which it cannot
# undo. Where that matters:
# - chromium: where /usr/bin/chromium is present, `make test` skips its apt-get step, so that step
#   is exercised only on a machine without chromium (this script cannot uninstall it).
# - pip: packages come from the pip cache (~/.cache/pip) and the machine's pip configuration
#   (pip config list: local wheel folders, extra indexes, constraints), so install times are
#   those of a warm cache; PIP_NO_CACHE_DIR=1 skips the cache, not the configuration.
# - the model cache: the converted SmolLM2 checkpoint in the user cache directory
#   ($TIGHTROPE_CACHE_DIR, else ~/.cache/tightrope) is reused; point TIGHTROPE_CACHE_DIR at an
#   empty folder to time the first conversion (about 30 s).
# - the pinned benchmark data the tests read lies beside the checkout in ../shared/data; the clone
#   gets a link to this checkout's ../shared so that the layout is the same.
# - Python: python3 from PATH (or PYTHON=...), as the Makefile uses it.
set -euo pipefail

repo="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
commit="$(git -C "$repo" rev-parse HEAD)"
if [ "$#" -eq 0 ]; then
  set -- "make run" "make test"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tightrope-fresh.XXXXXX")"
cleanup() {
  if [ "${FRESH_KEEP:-0}" = 1 ]; then
    echo "kept the clone in $work/tightrope"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

git clone --quiet --no-checkout "$repo" "$work/tightrope"
git -C "$work/tightrope" checkout --quiet --detach "$commit"
if [ -d "$repo/../shared" ]; then
  ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"
fi
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "note: $repo has uncommitted changes; the clone has only commit ${commit:0:12}"
fi
echo "fresh clone of ${commit:0:12} in $work/tightrope"

# Nothing of the caller's environment that a newcomer would not have: no make flags from a
# calling make, no virtual environment, no PYTHONPATH.
unset MAKEFLAGS MAKELEVEL MFLAGS VIRTUAL_ENV PYTHONPATH

results=()
failed=0
for cmd in "$@"; do
  echo
  echo "\$ $cmd"
  start="$(date +%s.%N)"
  set +e
  (cd "$work/tightrope" && bash -c "$cmd")
  rc=$?
  set -e
  end="$(date +%s.%N)"
  secs="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  echo "\$ $cmd: exit $rc, ${secs} s"
  results+=("$(printf '%-40s exit %3d  %8s s' "$cmd" "$rc" "$secs")")
  if [ "$rc" -ne 0 ]; then failed=1; fi
done

echo
echo "fresh clone of ${commit:0:12} on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ):"
printf '  %s\n' "${results[@]}"
exit "$failed"
