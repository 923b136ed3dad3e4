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


GOOD_LESSON = """\
---
title: A teacher's lesson
data: old_faithful
k: 2
---

## Take an E-step

Press **E-step**.

when: e-step
"""


def test_a_teachers_lessons_ship_in_the_wheel_with_the_built_in_ones(tmp_path, monkeypatch):
    """build.py --lessons DIR: the folder's lesson files are checked and join app/lessons/ in
    the site's wheel, beside the seven built-in ones."""
    root = tmp_path / "repo"
    build.copy_own_sources(REPO, root)
    monkeypatch.setattr(build, "ROOT", root)
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")
    teacher = tmp_path / "my-lessons"
    teacher.mkdir()
    (teacher / "first-look.md").write_text(GOOD_LESSON, encoding="utf-8")

    build.check_lessons(teacher)
    wheel = build.build_own_wheel(teacher)

    with ZipFile(wheel) as z:
        names = z.namelist()
    assert "app/lessons/first-look.md" in names
    for builtin in ("trace-lab", "soft-vs-hard", "the-math"):
        assert f"app/lessons/{builtin}.md" in names
    assert "app/lessons/reader.py" in names and "app/lessons/conditions.py" in names


def test_a_malformed_lesson_fails_the_build_naming_file_line_and_problem(tmp_path, capsys):
    """A bad lesson stops `build.py --lessons DIR` before anything is fetched, with the
    checker's file:line: problem message and exit status 1."""
    teacher = tmp_path / "my-lessons"
    teacher.mkdir()
    (teacher / "broken.md").write_text(GOOD_LESSON.replace("k: 2", "k: lots"), encoding="utf-8")
    status = build.main(["build", "--lessons", str(teacher), "--out", str(tmp_path / "site")])
    err = capsys.readouterr().err
    assert status == 1
    assert "build.py: error: a lesson file is malformed" in err
    assert f"{teacher / 'broken.md'}:4: 'k' must be a whole number from 1 to 15" in err
    assert not (tmp_path / "site").exists()


def test_a_lesson_named_like_a_built_in_one_fails_the_build(tmp_path):
    """A teacher's trace-lab.md would hide the built-in lesson: the check refuses it."""
    teacher = tmp_path / "my-lessons"
    teacher.mkdir()
    (teacher / "trace-lab.md").write_text(GOOD_LESSON, encoding="utf-8")
    try:
        build.check_lessons(teacher)
    except build.BuildError as error:
        assert "a lesson named 'trace-lab' exists already" in str(error)
    else:
        raise AssertionError("a lesson clashing with a built-in one passed the check")
    try:
        build.check_lessons(tmp_path / "nowhere")
    except build.BuildError as error:
        assert "no such folder" in str(error)
    else:
        raise AssertionError("a missing folder passed the check")
