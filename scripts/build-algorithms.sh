#!/usr/bin/env bash
# Builds the WebAssembly algorithms (the separate workspace in algorithms/) for
# wasm32-unknown-unknown, checks that each module keeps to the algorithm ABI's imports
# and exports (docs/formats/algorithm-abi.md), and prints each module's path, size and
# SHA-256: its measurement, which approvals name.
# Usage: bash scripts/build-algorithms.sh (from anywhere in the repository).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=wasm32-unknown-unknown
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
    echo "the $target target is not installed: rustup target add $target" >&2
    exit 1
fi

cargo build --release --locked --target "$target" \
    --manifest-path algorithms/Cargo.toml --target-dir target/algorithms

modules=()
for name in count_by_group sum_by_group two_by_two; do
    modules+=("target/algorithms/$target/release/$name.wasm")
done

python3 - "${modules[@]}" <<'PY'
"""Checks each module's imports and exports against the algorithm ABI, version 1,
then prints its path, size and SHA-256. Exits nonzero naming what is wrong."""
import hashlib
import sys

I32, F64 = 0x7F, 0x7C
# The only imports allowed, all from module "strongroom", with their types.
IMPORTS = {
    "inputs": ((), (I32,)),
    "columns": ((), (I32,)),
    "read": ((I32, I32, I32), (I32,)),
    "contribute": ((I32, I32, I32), ()),
    "emit": ((I32, I32, I32, I32, F64), ()),
}
RUN = ((), (I32,))
# Exports every module has; wasm-ld adds these two globals to any cdylib, and they
# expose nothing but two addresses in the module's own memory.
REQUIRED = {("memory", 2), ("run", 0)}
TOLERATED = {("__data_end", 3), ("__heap_base", 3)}
KINDS = {0: "function", 1: "table", 2: "memory", 3: "global", 4: "tag"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def byte(self):
        if self.pos >= len(self.data):
            raise ValueError("truncated module")
        self.pos += 1
        return self.data[self.pos - 1]

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def bytes(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated module")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def name(self):
        return self.bytes(self.uleb()).decode("utf-8")

    def limits(self):
        flags = self.byte()
        self.uleb()
        if flags & 1:
            self.uleb()


def check(data):
    """The problems of a module, as a list of strings."""
    r = Reader(data)
    if r.bytes(8) != b"\0asm\1\0\0\0":
        return ["not a core WebAssembly module, version 1"]
    types, imports, functions, exports = [], [], [], []
    while r.pos < len(data):
        section, size = r.byte(), r.uleb()
        body = Reader(r.bytes(size))
        if section == 1:  # type
            for _ in range(body.uleb()):
                if body.byte() != 0x60:
                    return ["a type that is not a function type"]
                params = tuple(body.byte() for _ in range(body.uleb()))
                results = tuple(body.byte() for _ in range(body.uleb()))
                types.append((params, results))
        elif section == 2:  # import
            for _ in range(body.uleb()):
                module, field, kind = body.name(), body.name(), body.byte()
                if kind == 0:
                    imports.append((module, field, body.uleb()))
                    continue
                if kind == 1:
                    body.byte()
                    body.limits()
                elif kind == 2:
                    body.limits()
                elif kind == 3:
                    body.byte(), body.byte()
                else:
                    body.byte(), body.uleb()
                imports.append((module, field, None, KINDS.get(kind, f"kind {kind}")))
        elif section == 3:  # function
            functions = [body.uleb() for _ in range(body.uleb())]
        elif section == 7:  # export
            exports = [(body.name(), body.byte(), body.uleb()) for _ in range(body.uleb())]

    problems = []
    func_types = []
    for imported in imports:
        module, field, type_index = imported[:3]
        what = f'import "{module}" "{field}"'
        if type_index is None:
            problems.append(f"{what}: a {imported[3]}, not a function")
        elif module != "strongroom" or field not in IMPORTS:
            problems.append(f"{what}: not in the ABI")
        elif type_index >= len(types) or types[type_index] != IMPORTS[field]:
            problems.append(f"{what}: not the ABI's type")
        if type_index is not None:
            func_types.append(type_index)
    func_types += functions

    names = {(name, kind) for name, kind, _ in exports}
    for name, kind in sorted(REQUIRED - names):
        problems.append(f'no {KINDS[kind]} export "{name}"')
    for name, kind in sorted(names - REQUIRED - TOLERATED):
        problems.append(f'export "{name}" ({KINDS.get(kind, kind)}): not in the ABI')
    for name, kind, index in exports:
        if (name, kind) == ("run", 0):
            if index >= len(func_types) or func_types[index] >= len(types) or types[func_types[index]] != RUN:
                problems.append('export "run": not of type () -> i32')
    return problems


failed = False
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    try:
        problems = check(data)
    except (ValueError, UnicodeDecodeError) as e:
        problems = [str(e)]
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    failed |= bool(problems)
    print(f"{path}  {len(data)} bytes  sha256 {hashlib.sha256(data).hexdigest()}")
sys.exit(1 if failed else 0)
PY
