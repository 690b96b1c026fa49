#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetch the third-party vectors that are not
# vendored (idempotent), install the WebAssembly target the example algorithms build
# for and the S3-compatible server the object-store tests start (moto, pinned in
# scripts/requirements-s3-tests.txt, with pip if missing), SciPy (pinned in
# scripts/requirements-genome-tests.txt; the genome statistics tests compare with it)
# and bcftools (Debian's package, with apt-get if missing: strongroom-genome's tests
# compare with it), Debian's Chromium and ChromeDriver (apt-get if missing) and axe-core's
# axe.min.js (pinned in scripts/fetch-axe-core.py, integrity-checked) for the console's
# browser tests, then every test of every crate and of the algorithms' own workspace.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/fetch-test-vectors.sh
moto_pinned="$(sed -n 's/^moto\[server\]==//p' scripts/requirements-s3-tests.txt)"
if [[ "$(python3 -c 'import moto.server, flask, flask_cors, moto; print(moto.__version__)' 2>/dev/null || true)" != "$moto_pinned" ]]; then
  echo "== installing moto[server] $moto_pinned (scripts/requirements-s3-tests.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-s3-tests.txt
fi
scipy_pinned="$(sed -n 's/^scipy==//p' scripts/requirements-genome-tests.txt)"
if [[ "$(python3 -c 'import scipy; print(scipy.__version__)' 2>/dev/null || true)" != "$scipy_pinned" ]]; then
  echo "== installing scipy $scipy_pinned (scripts/requirements-genome-tests.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-genome-tests.txt
fi
if ! command -v bcftools >/dev/null; then
  echo "== installing bcftools (apt-get; the genome tests compare allele counts with it)"
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "error: bcftools is not on PATH and cannot be installed here (needs apt-get as root):" >&2
    echo "       install it (Debian/Ubuntu: apt-get install -y bcftools) and run again" >&2
    exit 1
  fi
  if ! apt-get install -y bcftools; then
    apt-get update || true
    apt-get install -y bcftools || {
      echo "error: apt-get install -y bcftools failed; install bcftools and run again" >&2
      exit 1
    }
  fi
fi
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
  echo "== installing chromium and chromium-driver (apt-get; the console's browser tests drive them)"
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "error: /usr/bin/chromium or /usr/bin/chromedriver is missing and cannot be installed here (needs apt-get as root):" >&2
    echo "       install them (Debian: apt-get install -y chromium chromium-driver) and run again" >&2
    exit 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; then
    apt-get update || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver || {
      echo "error: apt-get install -y chromium chromium-driver failed; install them and run again" >&2
      exit 1
    }
  fi
  for f in /usr/bin/chromium /usr/bin/chromedriver; do
    [[ -x "$f" ]] || { echo "error: $f is still missing after installing chromium and chromium-driver" >&2; exit 1; }
  done
fi
# axe-core's axe.min.js (the accessibility engine the browser tests inject), version and
# sha512 integrity pinned in the script, which prints the file's absolute path. A plain
# assignment so that set -e stops here when the fetch fails (its message says why).
axe_js="$(python3 scripts/fetch-axe-core.py "$PWD/target/test-assets")"
export STRONGROOM_AXE="$axe_js"
export STRONGROOM_CHROMIUM=/usr/bin/chromium
export STRONGROOM_CHROMEDRIVER=/usr/bin/chromedriver
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
(cd algorithms && cargo test --locked --target-dir ../target/algorithms)
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
