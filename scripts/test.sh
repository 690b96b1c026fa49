#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetch the third-party vectors that are not
# vendored (idempotent), then every test of every crate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/fetch-test-vectors.sh
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
