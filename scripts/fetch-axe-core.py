#!/usr/bin/env python3
"""Fetches axe-core's minified script for the console's browser tests.

Usage: fetch-axe-core.py DEST_ROOT

Downloads the axe-core npm package, pinned below by version and by the registry's
`dist.integrity` (SRI, sha512), verifies the tarball against that integrity before
reading anything from it, and extracts `package/axe.min.js` to
DEST_ROOT/axe-core-<VERSION>/axe.min.js. Prints that file's absolute path on stdout
(progress and errors go to stderr). Idempotent: does nothing but print the path when
the file is already there. Needs only python3 (no node or npm).
"""

import base64
import hashlib
import io
import pathlib
import sys
import tarfile
import urllib.error
import urllib.request
from typing import NoReturn

VERSION = "4.14.1"
INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
TARBALL_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
MEMBER = "package/axe.min.js"
TIMEOUT_SECONDS = 120


def fail(message: str) -> NoReturn:
    print(f"error: fetch-axe-core: {message}", file=sys.stderr)
    sys.exit(1)


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        fail(
            f"could not download axe-core {VERSION} (needed by the console's browser tests) "
            f"from {url}: HTTP {err.code} {err.reason}"
        )
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        fail(
            f"could not download axe-core {VERSION} (needed by the console's browser tests) "
            f"from {url}: {reason}"
        )


def main() -> None:
    if len(sys.argv) != 2:
        fail(f"usage: {sys.argv[0]} DEST_ROOT (axe.min.js goes to DEST_ROOT/axe-core-{VERSION}/)")
    dest_dir = pathlib.Path(sys.argv[1]).resolve() / f"axe-core-{VERSION}"
    target = dest_dir / "axe.min.js"
    if target.is_file() and target.stat().st_size > 0:
        print(target)
        return

    print(f"== fetching axe-core {VERSION} ({TARBALL_URL})", file=sys.stderr)
    tarball = download(TARBALL_URL)
    actual = sri_sha512(tarball)
    if actual != INTEGRITY:
        fail(
            f"axe-core-{VERSION}.tgz from {TARBALL_URL} does not match its pinned integrity: "
            f"expected {INTEGRITY}, got {actual} ({len(tarball)} bytes); nothing was extracted"
        )

    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            member = archive.getmember(MEMBER)
            if not member.isfile():
                fail(f"{MEMBER} in axe-core-{VERSION}.tgz is not a regular file")
            extracted = archive.extractfile(member)
            script = extracted.read() if extracted is not None else b""
    except KeyError:
        fail(f"{MEMBER} not found in axe-core-{VERSION}.tgz")
    except tarfile.TarError as err:
        fail(f"axe-core-{VERSION}.tgz is not a readable gzip tarball: {err}")
    if not script:
        fail(f"{MEMBER} in axe-core-{VERSION}.tgz is empty")

    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(script)
    tmp.replace(target)
    print(f"== extracted {MEMBER} ({len(script)} bytes) to {target}", file=sys.stderr)
    print(target)


if __name__ == "__main__":
    main()
