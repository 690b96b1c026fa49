#!/usr/bin/env bash
# Schema-driven fuzzing of a live node's API: builds `strongroom`, starts a node on a
# temporary data directory with a generated organization, waits until /healthz
# answers, runs schemathesis (version pinned in scripts/requirements-api-fuzz.txt,
# installed if missing) against the OpenAPI document the node serves, and stops the
# node. Exits non-zero when schemathesis finds a failure.
#
# Checks: not_a_server_error (no 5xx), response_schema_conformance,
# content_type_conformance, status_code_conformance, negative_data_rejection (a
# request that breaks the schema is refused) and positive_data_acceptance (one that
# keeps it is not refused for schema reasons); scripts/api-fuzz.toml says which
# statuses count as which.
#
# TLS verification is disabled: the node's certificate is self-signed, made on its
# first start, and this runs against 127.0.0.1 only.
#
# API_FUZZ_MAX_EXAMPLES (default 100) bounds the generated requests per operation and
# phase; API_FUZZ_SEED fixes the seed (default: random, printed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

max_examples="${API_FUZZ_MAX_EXAMPLES:-100}"
seed="${API_FUZZ_SEED:-$RANDOM$RANDOM}"
pinned="$(sed -n 's/^schemathesis==//p' scripts/requirements-api-fuzz.txt)"

# Through the interpreter that pip installs into, whatever PATH holds.
st() { python3 -m schemathesis.cli "$@"; }
if [[ "$(st --version 2>/dev/null || true)" != *"$pinned"* ]]; then
  echo "== installing schemathesis $pinned (scripts/requirements-api-fuzz.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-api-fuzz.txt
fi
st --version

echo "== cargo build -p strongroom-cli"
cargo build --quiet --locked -p strongroom-cli
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
strongroom="$target/debug/strongroom"

work="$(mktemp -d)"
node_pid=""
stop_node() {
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid"
    wait "$node_pid" || true
  fi
  node_pid=""
}
cleanup() {
  stop_node
  rm -rf "$work"
}
trap cleanup EXIT

"$strongroom" org init --msp FuzzMSP --dir "$work/org" >/dev/null
: >"$work/node.out"
RUST_LOG=warn "$strongroom" node start --data-dir "$work/node" --listen 127.0.0.1:0 \
  --org "FuzzMSP=$work/org/ca.pem" >"$work/node.out" 2>"$work/node.err" &
node_pid=$!

# The port from the listening line, then /healthz over TLS (self-signed: unverified).
url=""
for _ in $(seq 1 300); do
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "api-fuzz: the node exited before listening:" >&2
    cat "$work/node.err" >&2
    exit 1
  fi
  port="$(sed -n 's|^strongroom node listening on https://127.0.0.1:\([0-9]*\) .*|\1|p' "$work/node.out")"
  if [[ -n "$port" ]] && python3 - "https://127.0.0.1:$port/healthz" <<'PY'
import ssl, sys, urllib.request
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
with urllib.request.urlopen(sys.argv[1], context=context, timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
  then
    url="https://127.0.0.1:$port"
    break
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "api-fuzz: /healthz did not answer within 30 s" >&2
  cat "$work/node.err" >&2
  exit 1
fi

echo "== schemathesis against $url/v1/openapi.json (TLS verification off: self-signed node; seed $seed, at most $max_examples examples per operation and phase)"
status=0
set -o pipefail
st --config-file scripts/api-fuzz.toml run "$url/v1/openapi.json" \
  --url "$url" \
  --tls-verify false \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance,negative_data_rejection,positive_data_acceptance \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --generation-database none \
  --no-color | tee "$work/st.out" || status=$?
# What was sent, by route and status, as the node counted it.
echo "== requests the node answered during the run, by route and status (its /metrics)"
python3 - "$url/metrics" <<'PY'
import re, ssl, sys, urllib.request
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
with urllib.request.urlopen(sys.argv[1], context=context, timeout=10) as response:
    text = response.read().decode()
counts = {}
for route, status, count in re.findall(r'strongroom_http_requests_total\{route="([^"]*)",status="(\d+)"\} (\d+)', text):
    counts.setdefault(route, {})[status] = int(count)
for route in sorted(counts):
    by_status = ", ".join(f"{s}: {n}" for s, n in sorted(counts[route].items()))
    print(f"  {route}: {sum(counts[route].values())} ({by_status})")
PY
stop_node
# One closing line that counts: "api-fuzz: N passed, M failed" (test cases).
generated="$(sed -n 's/^ *\([0-9]*\) generated, .*/\1/p' "$work/st.out" | tail -1)"
failed="$(sed -n 's/^ *[0-9]* generated, \([0-9]*\) found .*/\1/p' "$work/st.out" | tail -1)"
failed="${failed:-0}"
if [[ "$status" -ne 0 ]]; then
  echo "api-fuzz: node log:" >&2
  tail -20 "$work/node.err" >&2 || true
  [[ "$failed" == 0 ]] && failed=1
  echo "api-fuzz: $(( ${generated:-0} - failed )) passed, $failed failed"
  exit "$status"
fi
echo "api-fuzz: ${generated:-0} passed, 0 failed"
