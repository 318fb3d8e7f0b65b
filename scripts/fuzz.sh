#!/usr/bin/env bash
# make fuzz: runs each fuzz target of fuzz/ (cargo-fuzz, libFuzzer) for
# FUZZ_SECONDS (60 by default) and prints one line per target with its runs
# and execs/s. FUZZ_TARGETS picks targets (default: all five).
#
# On stable Rust: cargo-fuzz asks for nightly-only flags (AddressSanitizer,
# the coverage instrumentation), which RUSTC_BOOTSTRAP=1 lets a stable
# compiler take. If the AddressSanitizer build fails, the targets are built
# without it (FUZZ_SANITIZER=none does that from the start); either way with
# debug assertions and overflow checks.
#
# Each target starts from its seeds (fuzz/seeds/<target>/) and what earlier
# runs kept (fuzz/corpus/<target>/, not committed). A crash fails the script,
# which says where the input is and how to keep it as a regression input.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo=${CARGO:-cargo}
version=0.13.2
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-query cursor rows import write}
sanitizer=${FUZZ_SANITIZER:-address}
export RUSTC_BOOTSTRAP=1

if ! "$cargo" fuzz --version 2>/dev/null | grep -qF "$version"; then
  echo "fuzz.sh: installing cargo-fuzz $version into ${CARGO_HOME:-$HOME/.cargo}/bin"
  "$cargo" install cargo-fuzz --version "$version" --locked
fi

build() {
  # -a: debug assertions and overflow checks in the optimised build.
  for target in $targets; do
    nice -n 10 "$cargo" fuzz build -a -s "$1" "$target" || return 1
  done
}
if ! build "$sanitizer"; then
  [ "$sanitizer" != none ] || exit 1
  echo "fuzz.sh: the $sanitizer build failed (above): building without a sanitizer" >&2
  sanitizer=none
  build none
fi

failed=()
summary=()
for target in $targets; do
  corpus=fuzz/corpus/$target
  log=fuzz/artifacts/$target/run.log
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  cp -n fuzz/seeds/"$target"/* "$corpus"/
  dictionary=()
  [ ! -f "fuzz/dictionaries/$target.dict" ] || dictionary=("-dict=fuzz/dictionaries/$target.dict")
  echo "fuzz.sh: $target for $seconds s (sanitizer: $sanitizer)"
  status=0
  # -timeout: an input that takes 10 s is a finding too (a hang).
  "$cargo" fuzz run -a -s "$sanitizer" "$target" "$corpus" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dictionary[@]}" >"$log" 2>&1 || status=$?
  runs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log" | tail -1)
  speed=$(awk '/^stat::average_exec_per_sec:/ { print $2 }' "$log" | tail -1)
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
  if [ "$status" -eq 0 ]; then
    summary+=("$(printf '%-7s %10s runs  %7s execs/s  (%s; corpus %s inputs)' \
      "$target" "${runs:-?}" "${speed:-?}" "${done_line:-no final line}" "$(ls "$corpus" | wc -l)")")
  else
    crash=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //' || true)
    failed+=("$target")
    summary+=("$(printf '%-7s FAILED after %s runs: %s' "$target" "${runs:-?}" "${crash:-see $log}")")
    {
      echo "fuzz.sh: $target failed; its output is in $log"
      grep -E 'panicked at|ERROR: |SUMMARY: ' "$log" | head -5 || true
      if [ -n "$crash" ]; then
        echo "  the input: $crash"
        echo "  replay it: RUSTC_BOOTSTRAP=1 cargo fuzz run -a -s $sanitizer $target $crash"
        echo "  keep it:   mkdir -p fuzz/regressions/$target && cp $crash fuzz/regressions/$target/<what-it-found>"
        echo "  then fix the code; the crate's tests (cargo test) replay every fuzz/regressions/$target/ input"
      fi
    } >&2
  fi
done

echo "fuzz.sh: $seconds s per target, sanitizer: $sanitizer"
printf '%s\n' "${summary[@]}"
[ "${#failed[@]}" -eq 0 ] || { echo "fuzz.sh: failed: ${failed[*]}" >&2; exit 1; }
