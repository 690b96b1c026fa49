#!/usr/bin/env bash
# Fuzzes targets one after the other (one process each, -jobs=1), RUNS executions
# each (default one million), and appends a line of figures per target to
# fuzz/results.tsv: target, executions, seconds, exec/s, corpus files and bytes,
# edges covered. Usage: bash fuzz/run.sh [RUNS] [TARGET...] (default: every target).
set -euo pipefail
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs="${1:-1000000}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(ls "$fuzz_dir/fuzz_targets" | sed 's/\.rs$//')
fi
# The seeds copied from shared/data are not committed: write them first.
(cd "$fuzz_dir/.." && cargo test -q -p strongroom-fuzz-targets --test generate_seeds \
  write_sample_seeds -- --ignored --exact > /dev/null)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
  start=$(date +%s)
  # libFuzzer writes the job's output to fuzz-0.log in the current directory.
  (cd "$work" && cargo +nightly fuzz run --fuzz-dir "$fuzz_dir" -s none "$target" -- \
    -runs="$runs" -jobs=1 -workers=1 -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 \
    > /dev/null 2>&1) || { echo "$target: the fuzzer stopped early (a crash?), see $work/fuzz-0.log"; cp "$work/fuzz-0.log" "$fuzz_dir/$target.crash.log"; continue; }
  seconds=$(( $(date +%s) - start ))
  log="$work/fuzz-0.log"
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus="$fuzz_dir/corpus/$target"
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  rate=$(( executed / (seconds > 0 ? seconds : 1) ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$executed" "$seconds" "$rate" "$files" "$bytes" "$cov" \
    | tee -a "$fuzz_dir/results.tsv"
  rm -f "$log"
done
