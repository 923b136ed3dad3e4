"""build.py's own steps that need no browser: building our wheel.

Runs pip (setuptools in an isolated build environment), so it takes a few seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from zipfile import ZipFile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import build  # noqa: E402  (build.py at the repository root)


def test_own_wheel_ignores_a_stale_build_lib(tmp_path, monkeypatch):
    """Guards the stale-module bug: a module left in setuptools' build/lib (deleted from app/
    since) must not ship in the site's wheel."""
    root = tmp_path / "repo"
    build.copy_own_sources(REPO, root)
    stale = root / "build" / "lib" / "app" / "deleted_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("raise RuntimeError('a deleted module shipped')\n")
    monkeypatch.setattr(build, "ROOT", root)
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")

    wheel = build.build_own_wheel()

    with ZipFile(wheel) as z:
        names = z.namelist()
    assert "app/em.py" in names
    assert "app/deleted_module.py" not in names


def test_serve_is_quiet_when_a_browser_leaves_mid_download(capsys):
    """A reload or closed tab breaks the pipe: no traceback for that; a real error still prints."""
    server = build.SiteServer(("127.0.0.1", 0), build.SiteHandler, bind_and_activate=False)
    try:
        for error in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
            try:
                raise error
            except OSError:
                server.handle_error(None, ("127.0.0.1", 1234))
        assert capsys.readouterr().err == ""
        try:
            raise ValueError("a real bug")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1234))
        assert "ValueError: a real bug" in capsys.readouterr().err
    finally:
        server.server_close()
