#!/bin/sh
# Counts the trusted computing base: non-blank, non-comment lines of the Rust sources
# of the crates that run inside a TEE (enclave, contract, kms, compute, and the worker's
# sandbox and analyzer), excluding
# `#[cfg(test)] mod tests` blocks at the end of files. Missing crates are skipped and
# named. Usage: scripts/tcb-lines.sh (from anywhere in the repository).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
total=0
for crate in enclave contract kms compute sandbox analyzer; do
    dir="$root/crates/$crate/src"
    if [ ! -d "$dir" ]; then
        echo "$crate: missing (crates/$crate/src does not exist yet), not counted"
        continue
    fi
    lines=$(find "$dir" -name '*.rs' -print0 | sort -z | xargs -0 awk '
        FNR == 1 { in_tests = 0; in_block = 0 }
        /^#\[cfg\(test\)\]/ { in_tests = 1 }
        in_tests { next }
        {
            line = $0
            sub(/^[ \t]+/, "", line)
            if (in_block) { if (line ~ /\*\//) in_block = 0; next }
            if (line ~ /^\/\*/) { if (line !~ /\*\//) in_block = 1; next }
            if (line == "" || line ~ /^\/\//) next
            count++
        }
        END { print count + 0 }')
    echo "$crate: $lines"
    total=$((total + lines))
done
echo "total: $total"
