#!/usr/bin/env python3
"""Vendor the JS/CSS/font assets that folium needs into ``static/vendor/``.

Folium renders ``<script>``/``<link>`` tags pointing at public CDNs. Maillage must
work fully offline, so this script fetches pinned npm packages (``npm pack``),
checks each tarball against its pinned sha512 integrity, and copies only the
files that are actually used (plus each package's licence) under
``static/vendor/<name>/...``, keeping the relative paths that the CSS files
expect for their ``url(...)`` references (fonts, sprite images).

A few files are transformed on the way:

* ``sourceMappingURL`` comments are stripped (the ``.map`` files are not kept);
* Font Awesome's ``all.min.css`` loses its ``.ttf`` fallbacks (only ``woff2``
  fonts are shipped, supported by every current browser);
* the Bootstrap 3 glyphicon rules are extracted from ``bootstrap.css`` 3.4.1
  into a standalone ``bootstrap-glyphicons.css`` (equivalent of folium's
  ``bootstrap-glyphicons.css`` CDN file), ``woff2`` font only;
* ``leaflet.awesome.rotate.min.css`` (a generated folium file: ``.fa-rotate-N``
  classes for ``folium.Icon(angle=N)``) is written by this script.

The output is deterministic: running the script twice yields byte-identical
files. ``static/vendor/`` is owned by this script and is fully rebuilt on each
run. Requires ``npm`` on PATH and network access to the npm registry.

Usage::

    python scripts/vendor_assets.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "static" / "vendor"

Transform = Callable[[bytes], bytes]


# --------------------------------------------------------------------------
# Transforms
# --------------------------------------------------------------------------

_CSS_SOURCEMAP_RE = re.compile(rb"/\*# sourceMappingURL=[^*]*\*/\s*")
_JS_SOURCEMAP_RE = re.compile(rb"\n?//# sourceMappingURL=[^\n]*\n?")


def strip_css_sourcemap(data: bytes) -> bytes:
    """Remove ``/*# sourceMappingURL=... */`` comments (no .map is shipped)."""
    return _CSS_SOURCEMAP_RE.sub(b"", data)


def strip_js_sourcemap(data: bytes) -> bytes:
    """Remove ``//# sourceMappingURL=...`` lines (no .map is shipped)."""
    out = _JS_SOURCEMAP_RE.sub(b"\n", data)
    return out.rstrip(b"\n") + b"\n"


def fontawesome_woff2_only(data: bytes) -> bytes:
    """Drop the ``.ttf`` fallbacks of Font Awesome's @font-face rules."""
    data = strip_css_sourcemap(data)
    out, count = re.subn(rb',url\(\.\./webfonts/[\w.-]+\.ttf\) format\("truetype"\)', b"", data)
    if count == 0 or b".ttf" in out:
        raise RuntimeError("unexpected Font Awesome CSS layout: could not drop .ttf fallbacks")
    header = (
        b"/* Vendored by scripts/vendor_assets.py: .ttf fallbacks removed "
        b"(woff2 only); otherwise unchanged. */\n"
    )
    return header + out


def extract_glyphicons(data: bytes) -> bytes:
    """Extract the glyphicon @font-face and ``.glyphicon*`` rules from bootstrap.css 3.x.

    The result is a standalone stylesheet equivalent to the old
    ``bootstrap-glyphicons.css`` file folium links to, with a woff2-only
    ``src`` pointing at ``../fonts/glyphicons-halflings-regular.woff2``.
    """
    text = data.decode("utf-8")
    start = text.find('@font-face {\n  font-family: "Glyphicons Halflings";')
    if start < 0:
        raise RuntimeError("Glyphicons @font-face not found in bootstrap.css")
    rule_re = re.compile(r"\s*([^{}]+?)\s*\{([^{}]*)\}")
    pos = start
    rules = []
    first = True
    while True:
        m = rule_re.match(text, pos)
        if not m:
            break
        selector, body = m.group(1), m.group(2)
        if first:
            if selector != "@font-face":
                raise RuntimeError("unexpected bootstrap.css layout")
            body = (
                '\n  font-family: "Glyphicons Halflings";\n'
                '  src: url("../fonts/glyphicons-halflings-regular.woff2") format("woff2");\n'
            )
            first = False
        elif "glyphicon" not in selector:
            break
        rules.append(f"{selector} {{{body}}}")
        pos = m.end()
    if len(rules) < 200:
        raise RuntimeError(f"only {len(rules)} glyphicon rules extracted from bootstrap.css")
    header = (
        "/*!\n"
        " * Bootstrap v3.4.1 glyphicons (https://getbootstrap.com/docs/3.4/components/#glyphicons)\n"
        " * Copyright 2011-2019 Twitter, Inc.\n"
        " * Licensed under MIT (see LICENSE in this directory)\n"
        " * Glyphicons Halflings font by Jan Kovarik, included in Bootstrap.\n"
        " *\n"
        " * Extracted from bootstrap@3.4.1 dist/css/bootstrap.css by\n"
        " * scripts/vendor_assets.py (glyphicon rules only, woff2 font only).\n"
        " */\n"
    )
    return (header + "\n".join(rules) + "\n").encode("utf-8")


# --------------------------------------------------------------------------
# Generated files (not from npm)
# --------------------------------------------------------------------------

FOLIUM_LICENSE = """\
Copyright (C) 2013-, Folium developers
See https://github.com/python-visualization/folium/graphs/contributors for a
full list of contributors.

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def awesome_rotate_css() -> bytes:
    """Local equivalent of folium's ``leaflet.awesome.rotate.min.css``.

    folium.Icon(angle=N) adds the class ``fa-rotate-N`` to the icon; the folium
    file defines one rule per degree, 1..360.
    """
    lines = [
        "/* Local equivalent of folium's templates/leaflet.awesome.rotate.css",
        " * (https://github.com/python-visualization/folium), served by folium from",
        " * cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/",
        " * leaflet.awesome.rotate.min.css. Regenerated by scripts/vendor_assets.py.",
        " * folium is MIT licensed (see LICENSE in this directory). */",
    ]
    for n in range(1, 361):
        lines.append(
            f".fa-rotate-{n}{{-ms-transform:rotate({n}deg);"
            f"-webkit-transform:rotate({n}deg);transform:rotate({n}deg)}}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------
# Package specification
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSpec:
    """One file to keep: ``src`` inside the npm tarball, ``dest`` under the package dir."""

    src: str
    dest: str
    transform: Transform | None = None


@dataclass(frozen=True)
class Package:
    """A pinned npm package and the files kept from it."""

    npm: str
    version: str
    integrity: str  # npm "dist.integrity" (sha512, base64)
    dest: str  # directory under static/vendor/
    license: str  # SPDX-ish licence summary (for the manifest/docs)
    files: tuple = field(default_factory=tuple)

    @property
    def spec(self) -> str:
        return f"{self.npm}@{self.version}"


def _images(prefix: str, names: list[str]) -> list[FileSpec]:
    return [FileSpec(f"{prefix}/{n}", f"{prefix}/{n}") for n in names]


PACKAGES: tuple[Package, ...] = (
    Package(
        npm="leaflet",
        version="1.9.4",
        integrity="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        dest="leaflet",
        license="BSD-2-Clause",
        files=(
            FileSpec("dist/leaflet.js", "dist/leaflet.js", strip_js_sourcemap),
            FileSpec("dist/leaflet.css", "dist/leaflet.css", strip_css_sourcemap),
            *_images(
                "dist/images",
                ["layers-2x.png", "layers.png", "marker-icon-2x.png", "marker-icon.png", "marker-shadow.png"],
            ),
            FileSpec("LICENSE", "LICENSE"),
        ),
    ),
    Package(
        npm="jquery",
        version="3.7.1",
        integrity="sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
        dest="jquery",
        license="MIT",
        files=(
            FileSpec("dist/jquery.min.js", "dist/jquery.min.js", strip_js_sourcemap),
            FileSpec("LICENSE.txt", "LICENSE.txt"),
        ),
    ),
    Package(
        npm="bootstrap",
        version="5.2.2",
        integrity="sha512-dEtzMTV71n6Fhmbg4fYJzQsw1N29hJKO1js5ackCgIpDcGid2ETMGC6zwSYw09v05Y+oRdQ9loC54zB1La3hHQ==",
        dest="bootstrap",
        license="MIT",
        files=(
            FileSpec("dist/js/bootstrap.bundle.min.js", "dist/js/bootstrap.bundle.min.js", strip_js_sourcemap),
            FileSpec("dist/css/bootstrap.min.css", "dist/css/bootstrap.min.css", strip_css_sourcemap),
            FileSpec("LICENSE", "LICENSE"),
        ),
    ),
    Package(
        # Official Bootstrap 3 release, used only for the glyphicons (folium's
        # default Icon prefix is "glyphicon").
        npm="bootstrap",
        version="3.4.1",
        integrity="sha512-yN5oZVmRCwe5aKwzRj6736nSmKDX7pLYwsXiCj/EYmo16hODaBiT4En5btW/jhBF/seV+XMx3aYwukYC3A49DA==",
        dest="bootstrap3-glyphicons",
        license="MIT",
        files=(
            FileSpec("dist/css/bootstrap.css", "css/bootstrap-glyphicons.css", extract_glyphicons),
            FileSpec(
                "dist/fonts/glyphicons-halflings-regular.woff2",
                "fonts/glyphicons-halflings-regular.woff2",
            ),
            FileSpec("LICENSE", "LICENSE"),
        ),
    ),
    Package(
        npm="@fortawesome/fontawesome-free",
        version="6.2.0",
        integrity="sha512-CNR7qRIfCwWHNN7FnKUniva94edPdyQzil/zCwk3v6k4R6rR2Fr8i4s3PM7n/lyfPA6Zfko9z5WDzFxG9SW1uQ==",
        dest="fontawesome-free",
        license="CC-BY-4.0 (icons), OFL-1.1 (fonts), MIT (code)",
        files=(
            FileSpec("css/all.min.css", "css/all.min.css", fontawesome_woff2_only),
            *[
                FileSpec(f"webfonts/{n}.woff2", f"webfonts/{n}.woff2")
                for n in ["fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility"]
            ],
            FileSpec("LICENSE.txt", "LICENSE.txt"),
        ),
    ),
    Package(
        npm="leaflet.awesome-markers",
        version="2.0.5",
        integrity="sha512-Ne/xDjkGyaujwNVVkv2tyXQUV0ZW7gZ0Mo0FuQY4jp2qWrvXi0hwDBvmZyF/8YOvybyMabTMM/mFWCTd1jZIQA==",
        dest="leaflet.awesome-markers",
        license="MIT",
        files=(
            FileSpec("dist/leaflet.awesome-markers.js", "dist/leaflet.awesome-markers.js"),
            FileSpec("dist/leaflet.awesome-markers.css", "dist/leaflet.awesome-markers.css"),
            *_images(
                "dist/images",
                ["markers-shadow.png", "markers-shadow@2x.png", "markers-soft.png", "markers-soft@2x.png"],
            ),
            FileSpec("LICENSE", "LICENSE"),
        ),
    ),
    Package(
        npm="leaflet.markercluster",
        version="1.5.3",
        integrity="sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA==",
        dest="leaflet.markercluster",
        license="MIT",
        files=(
            FileSpec("dist/leaflet.markercluster.js", "dist/leaflet.markercluster.js", strip_js_sourcemap),
            FileSpec("dist/MarkerCluster.css", "dist/MarkerCluster.css"),
            FileSpec("dist/MarkerCluster.Default.css", "dist/MarkerCluster.Default.css"),
            FileSpec("MIT-LICENCE.txt", "MIT-LICENCE.txt"),
        ),
    ),
)

# Files written by this script rather than taken from npm: dest -> content.
GENERATED: dict[str, bytes] = {
    "leaflet.awesome-rotate/leaflet.awesome.rotate.min.css": awesome_rotate_css(),
    "leaflet.awesome-rotate/LICENSE": FOLIUM_LICENSE.encode("utf-8"),
}


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------


def npm_pack(spec: str, workdir: Path) -> Path:
    """Run ``npm pack <spec>`` in ``workdir`` and return the tarball path."""
    proc = subprocess.run(
        ["npm", "pack", spec, "--json", "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(proc.stdout)[0]
    return workdir / info["filename"]


def check_integrity(tarball: Path, expected: str, spec: str) -> None:
    """Verify the tarball against its pinned npm sha512 integrity string."""
    algo, _, b64 = expected.partition("-")
    digest = hashlib.new(algo, tarball.read_bytes()).digest()
    if base64.b64encode(digest).decode() != b64:
        raise RuntimeError(f"integrity mismatch for {spec}: expected {expected}")


def read_member(tar: tarfile.TarFile, src: str, spec: str) -> bytes:
    """Return the bytes of ``package/<src>`` from an npm tarball."""
    try:
        member = tar.getmember(f"package/{src}")
    except KeyError:
        raise RuntimeError(f"{spec}: file {src!r} not found in tarball") from None
    if not member.isfile():
        raise RuntimeError(f"{spec}: {src!r} is not a regular file")
    fh = tar.extractfile(member)
    assert fh is not None
    return fh.read()


_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.S)


def check_css_refs(outputs: dict[str, bytes]) -> None:
    """Fail if a vendored CSS file imports or references anything not vendored."""
    for path, data in outputs.items():
        if not path.endswith(".css"):
            continue
        text = data.decode("utf-8")
        if re.search(r"@import\b", text):
            raise RuntimeError(f"{path}: @import is not allowed in vendored CSS")
        for _, ref in _URL_RE.findall(text):
            if ref.startswith(("data:", "#")):
                continue
            if re.match(r"^([a-z]+:)?//", ref, re.I):
                raise RuntimeError(f"{path}: external reference url({ref})")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), ref.split("?")[0].split("#")[0]))
            if target not in outputs:
                raise RuntimeError(f"{path}: url({ref}) -> {target} is not vendored")


def build(workdir: Path) -> tuple[dict[str, bytes], list[dict]]:
    """Download, verify and transform every package; return (files, manifest entries)."""
    outputs: dict[str, bytes] = {}
    manifest: list[dict] = []
    for pkg in PACKAGES:
        pack_dir = workdir / pkg.dest
        pack_dir.mkdir(parents=True)
        tarball = npm_pack(pkg.spec, pack_dir)
        check_integrity(tarball, pkg.integrity, pkg.spec)
        kept = []
        with tarfile.open(tarball, "r:gz") as tar:
            for fs in pkg.files:
                data = read_member(tar, fs.src, pkg.spec)
                if fs.transform is not None:
                    data = fs.transform(data)
                dest = f"{pkg.dest}/{fs.dest}"
                if dest in outputs:
                    raise RuntimeError(f"duplicate destination {dest}")
                outputs[dest] = data
                kept.append(dest)
        manifest.append(
            {
                "npm": pkg.npm,
                "version": pkg.version,
                "integrity": pkg.integrity,
                "license": pkg.license,
                "dir": pkg.dest,
                "files": sorted(kept),
            }
        )
    for dest, data in GENERATED.items():
        outputs[dest] = data
    manifest.append(
        {
            "npm": None,
            "source": "generated by scripts/vendor_assets.py (equivalent of folium's leaflet.awesome.rotate.min.css)",
            "license": "MIT",
            "dir": "leaflet.awesome-rotate",
            "files": sorted(GENERATED),
        }
    )
    check_css_refs(outputs)
    return outputs, manifest


def write_tree(outputs: dict[str, bytes], manifest: list[dict], dest_dir: Path) -> None:
    """Write all files plus ``manifest.json`` (with sha256/size per file) into dest_dir."""
    files_meta = {
        path: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for path, data in sorted(outputs.items())
    }
    doc = {
        "generated_by": "scripts/vendor_assets.py",
        "packages": manifest,
        "files": files_meta,
    }
    for path, data in outputs.items():
        target = dest_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (dest_dir / "manifest.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main() -> int:
    """Rebuild ``static/vendor/`` from the pinned npm packages."""
    if shutil.which("npm") is None:
        print("error: npm is required (npm pack)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="vendor-assets-") as tmp:
        tmp_path = Path(tmp)
        outputs, manifest = build(tmp_path / "npm")
        staging = tmp_path / "out"
        staging.mkdir()
        write_tree(outputs, manifest, staging)
        # Replace static/vendor/ only once everything succeeded.
        if VENDOR_DIR.exists():
            shutil.rmtree(VENDOR_DIR)
        VENDOR_DIR.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, VENDOR_DIR)
    total = sum(len(d) for d in outputs.values())
    print(
        f"vendored {len(PACKAGES)} npm packages + {len(GENERATED)} generated files: "
        f"{len(outputs)} files, {total / 1024:.0f} KiB in {VENDOR_DIR.relative_to(ROOT)}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
