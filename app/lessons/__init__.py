"""Guided lessons as data: lesson files (``app/lessons/*.md``), their reader, and step conditions.

Owns the built-in lesson files in this folder, reading them (and a teacher's) into ``Lesson``
dataclasses (``reader``), and deciding when a step is done (``conditions``). Pure Python (standard
library only): it must not import numpy, param, panel or bokeh, nor the session or the views. The
lesson panel, a view, applies a ``Lesson``'s set-up to the session through its public actions and
watches it, as any view does; the session does not know about lessons.

    from app import lessons
    catalogue = lessons.load_lessons()          # name -> Lesson, in the picker's order
    lesson = catalogue["trace-lab"]
    lesson.setup.settings(), lesson.setup.means, lesson.steps[0].condition
    lessons.condition_met(step.condition, before, after)   # before/after: LabState snapshots

``python -m app.lessons check [DIR ...]`` checks the built-in lessons and a teacher's folders
(what ``build.py --lessons DIR`` runs before it builds).
"""

from __future__ import annotations

import csv
import io
import json
import os
from importlib import resources
from pathlib import Path

from app.lessons.conditions import (
    Condition,
    ConditionError,
    LabState,
    condition_met,
    parse_condition,
)
from app.lessons.reader import Choice, Lesson, LessonError, Setup, Step, parse_lesson, read_lesson

__all__ = [
    "Choice",
    "Condition",
    "ConditionError",
    "LabState",
    "Lesson",
    "LessonError",
    "Setup",
    "Step",
    "builtin_folder",
    "check_folders",
    "condition_met",
    "known_datasets",
    "load_lessons",
    "parse_condition",
    "parse_lesson",
    "read_lesson",
]

# A folder of extra lessons for `panel serve` (os.pathsep-separated); the static site gets a
# teacher's lessons built in instead (build.py --lessons DIR copies them into this package).
ENV_VAR = "EMLAB_LESSONS"


def builtin_folder():
    """The folder of this package's lesson files (a Traversable: a path, or inside a wheel)."""
    return resources.files("app.lessons")


def known_datasets() -> dict[str, int]:
    """Every shipped data set's name -> its dimension (1 or 2).

    An indexed set (``datasets/index.json``) is 2-D unless its entry says ``"dimension": 1`` or
    names no ``y`` column; any other CSV file there (such as ``six_points_1d.csv``, until it is
    indexed) counts its header's columns.
    """
    try:
        folder = resources.files("app.datasets")
    except ModuleNotFoundError:  # a source tree that is not installed: datasets/ beside app/
        folder = Path(__file__).resolve().parents[2] / "datasets"
    index = json.loads(folder.joinpath("index.json").read_text("utf-8"))
    known = {entry["name"]: int(entry.get("dimension", 2 if entry.get("y") else 1))
             for entry in index}
    indexed_files = {entry["file"] for entry in index}
    for item in folder.iterdir():
        if item.name.endswith(".csv") and item.name not in indexed_files:
            with item.open("r", encoding="utf-8") as handle:
                header = next(csv.reader(io.StringIO(handle.readline())), [])
            known[item.name[:-4]] = 1 if len(header) == 1 else 2
    return known


def _lesson_files(folder) -> list:
    return sorted((item for item in folder.iterdir() if item.name.endswith(".md")),
                  key=lambda item: item.name)


def _read(item, datasets) -> Lesson:
    path = str(item)
    try:
        text = item.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise LessonError(path, 1, f"not UTF-8 text ({error.reason} at byte {error.start})")
    return parse_lesson(text, item.name[:-3], path=path, datasets=datasets)


def _extra_folders(extra) -> list[Path]:
    if extra is None:
        extra = [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    folders = [Path(folder) for folder in extra]
    for folder in folders:
        if not folder.is_dir():
            raise LessonError(str(folder), 0, "no such folder of lessons")
    return folders


def load_lessons(extra=None, *, errors: list | None = None) -> dict[str, Lesson]:
    """The built-in lessons and any extra ones, as name -> Lesson in the picker's order.

    Parameters
    ----------
    extra : list of path-like, optional
        Folders of more lesson files (``*.md``). By default the folders named in the environment
        variable ``EMLAB_LESSONS`` (none when it is unset).
    errors : list, optional
        When given, a bad file is skipped and its ``LessonError`` appended here (a running lab
        keeps its other lessons); otherwise the first one is raised.

    Returns
    -------
    dict of str -> Lesson, ordered by (order, title).

    Raises
    ------
    LessonError
        For a malformed file or two lessons of the same name (unless ``errors`` is given).
    """
    datasets = known_datasets()
    found: dict[str, Lesson] = {}
    sources = [builtin_folder(), *_extra_folders(extra)]
    for folder in sources:
        for item in _lesson_files(folder):
            try:
                lesson = _read(item, datasets)
                if lesson.name in found:
                    raise LessonError(str(item), 1, f"a lesson named {lesson.name!r} exists "
                                                    f"already ({found[lesson.name].path}); "
                                                    "rename the file")
            except LessonError as error:
                if errors is None:
                    raise
                errors.append(error)
                continue
            found[lesson.name] = lesson
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[1].title)))


def check_folders(folders) -> tuple[list[Lesson], list[LessonError]]:
    """Read the built-in lessons and every lesson in ``folders``; return them and all problems."""
    errors: list[LessonError] = []
    try:
        lessons = load_lessons(folders, errors=errors)
    except LessonError as error:  # a folder that does not exist
        return [], [error]
    return list(lessons.values()), errors
