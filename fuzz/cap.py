#!/usr/bin/env python3
"""Cuts a minimized corpus to a byte budget, keeping the files that cover the most
not-yet-covered edges per byte (greedy), and every seed (seed-*).

Usage: python3 fuzz/cap.py TARGET BUDGET_BYTES  (after `cargo fuzz cmin`; run from the
repository root, with the target built by cargo fuzz).
"""
import os
import subprocess
import sys
import tempfile

target, budget = sys.argv[1], int(sys.argv[2])
corpus = os.path.join("fuzz", "corpus", target)
binary = os.path.join("fuzz", "target", "x86_64-unknown-linux-gnu", "release", target)
with tempfile.TemporaryDirectory() as tmp:
    control = os.path.join(tmp, "control")
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    # A merge into an empty directory records each file's edges (COV lines).
    subprocess.run(
        [binary, "-merge=1", "-use_counters=0", f"-merge_control_file={control}", empty, corpus],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    lines = open(control).read().splitlines()
    count = int(lines[0])
    files = lines[2:2 + count]
    edges = {}
    for line in lines[2 + count:]:
        parts = line.split()
        if parts and parts[0] == "COV":
            edges[files[int(parts[1])]] = set(parts[2:])
covered, kept, used = set(), [], 0
for path in files:
    if os.path.basename(path).startswith("seed-"):
        kept.append(path)
        used += os.path.getsize(path)
        covered |= edges.get(path, set())
candidates = [p for p in files if p not in kept]
while candidates:
    best = max(candidates, key=lambda p: len(edges.get(p, set()) - covered) / max(os.path.getsize(p), 1))
    gain = edges.get(best, set()) - covered
    if not gain or used + os.path.getsize(best) > budget:
        candidates.remove(best)
        if not gain:
            break
        continue
    kept.append(best)
    used += os.path.getsize(best)
    covered |= gain
    candidates.remove(best)
all_edges = set().union(*edges.values()) if edges else set()
for path in files:
    if path not in kept:
        os.remove(path)
print(f"{target}: kept {len(kept)} of {len(files)} files, {used} bytes, "
      f"{len(covered)} of {len(all_edges)} edges")
