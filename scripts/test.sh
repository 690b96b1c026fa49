#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetch the third-party vectors that are not
# vendored (idempotent), install the WebAssembly target the example algorithms build
# for, then every test of every crate and of the algorithms' own workspace.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/fetch-test-vectors.sh
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
(cd algorithms && cargo test --locked --target-dir ../target/algorithms)
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
