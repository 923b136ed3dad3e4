"""Lesson files: their format, and a reader that turns one into a ``Lesson`` or says why not.

Owns the lesson file format (documented in README, "Writing a lesson"). Pure Python (standard
library only): it must not import numpy, param, panel or bokeh, nor the session or the views; a
lesson is data, and the lesson panel (a view) is what applies it to a session.

A lesson file is UTF-8 Markdown named ``<name>.md`` (the name is what ``?lesson=<name>`` uses:
lower-case letters, digits and dashes). It opens with a front matter between two ``---`` lines,
one ``key: value`` per line, that sets the lab up; an optional introduction follows; then one
``## `` section per step: its heading is the step's title, its text says what to do and what to
notice, and one ``when:`` line gives the condition that completes it (``app.lessons.conditions``).
A step may end its text with a multiple-choice question: list items ``- [x] choice -> feedback``
(a right answer) and ``- [ ] choice -> feedback`` (a wrong one), at least two, one right, and
``when: answered``.

Front matter keys (``title``, ``data`` and ``k`` are required):

============  ========================================================================  ==========
key           value                                                                     default
============  ========================================================================  ==========
title         the lesson's title, as the picker lists it
summary       one sentence under the title                                              ""
order         a whole number: the picker lists lessons by order, then title             100
data          a shipped data set's name (``old_faithful``, ``six_points_1d``, ...)
k             the number of components, 1..15
covariance    full | tied | diag | spherical                                            full
init          k-means++ | random | random_from_data | kmeans                            k-means++
means         the start's means, ``x,y; x,y; ...`` (one number each for 1-D data),      (init)
              one per component
weights       the start's weights, ``w; w; ...``, summing to 1 (needs means)            equal
variances     the start's variances for 1-D data, ``v; v; ...`` (needs means)          the data's
seed          a whole number, 0..2147483647                                             0
reg_covar     a number in [0, 1]                                                        1e-6
tol           a number in [0, 1]                                                        1e-3
mode          em | kmeans                                                               em
steps         half-steps the lab takes after setting up, 0..200                        0
hide          parts of the screen to hide, comma-separated (as in lesson links)         none
============  ========================================================================  ==========
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from app.lessons.conditions import (
    COVARIANCE_TYPES,
    MODES,
    Condition,
    ConditionError,
    parse_condition,
)

__all__ = [
    "HIDEABLE",
    "INITS",
    "KEYS",
    "Choice",
    "Lesson",
    "LessonError",
    "Setup",
    "Step",
    "parse_lesson",
    "read_lesson",
]

# The lab's vocabularies (app.em.INITS, app.urlstate.HIDEABLE and its limits), repeated so this
# module imports nothing of the lab; tests/test_lessons.py checks they agree.
INITS = ("k-means++", "random", "random_from_data", "kmeans")
HIDEABLE = frozenset(
    {"data", "upload", "model", "restarts", "bic", "inspect", "export", "narration", "loglik",
     "kmeans", "breakit", "keys", "share", "predict"}
)
MAX_COMPONENTS = 15
MAX_STEPS = 200
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_MEANS_LIMIT = 1e12


class LessonError(ValueError):
    """A problem in a lesson file: ``str()`` is ``"<file>:<line>: <problem>"``."""

    def __init__(self, path: str, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass(frozen=True)
class Setup:
    """How the lab is set up when the lesson opens (the front matter, validated).

    ``means`` holds one tuple per component (two numbers for 2-D data, one for 1-D); ``weights``
    and ``variances`` one number per component. Each is None when the file does not give it.
    """

    data: str
    k: int
    covariance: str = "full"
    init: str = "k-means++"
    means: tuple[tuple[float, ...], ...] | None = None
    weights: tuple[float, ...] | None = None
    variances: tuple[float, ...] | None = None
    seed: int = 0
    reg_covar: float = 1e-6
    tol: float = 1e-3
    mode: str = "em"
    steps: int = 0
    hide: frozenset[str] = frozenset()

    @property
    def dimension(self) -> int | None:
        """1 or 2 when the means say so, else None."""
        return len(self.means[0]) if self.means else None

    def settings(self) -> dict:
        """Session parameter name -> value, as ``app.urlstate.UrlState.settings`` holds them."""
        return {"n_components": self.k, "covariance_type": self.covariance,
                "reg_covar": self.reg_covar, "init": self.init, "seed": self.seed,
                "mode": self.mode, "tol": self.tol}

    def query(self) -> str:
        """The lesson link's query (no ``?``) that sets the same lab up.

        Weights and variances have no link key, so they are left out.
        """
        pairs = [("data", self.data), ("k", self.k), ("cov", self.covariance),
                 ("reg", f"{self.reg_covar:g}"), ("init", self.init), ("seed", self.seed),
                 ("mode", self.mode), ("tol", f"{self.tol:g}")]
        if self.means:
            pairs.append(("means", ";".join(",".join(f"{v:g}" for v in m) for m in self.means)))
        if self.steps:
            pairs.append(("steps", self.steps))
        if self.hide:
            pairs.append(("hide", ",".join(sorted(self.hide))))
        return urlencode(pairs, safe=",;")


@dataclass(frozen=True)
class Choice:
    """One answer of a step's question: its text, whether it is right, and the feedback shown when
    the learner picks it."""

    text: str
    right: bool
    feedback: str


@dataclass(frozen=True)
class Step:
    """One step: its title, its Markdown text and the condition that completes it.

    ``choices`` is the step's multiple-choice question (empty when it has none): the list items
    ``- [x] text -> feedback`` (right) and ``- [ ] text -> feedback`` (wrong) after its text; such a
    step is done ``when: answered``. ``line`` is where its ``## `` heading is in the file.
    """

    title: str
    text: str
    condition: Condition
    line: int
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Lesson:
    """A lesson: its name (the file's stem), set-up and steps, in the order the file gives them."""

    name: str
    title: str
    summary: str
    order: int
    setup: Setup
    intro: str
    steps: tuple[Step, ...]
    path: str = field(default="", compare=False)


# ------------------------------------------------------------------------------------------------
# Front matter values


def _whole(low, high):
    def read(raw):
        if not re.fullmatch(r"\d+", raw):
            raise ValueError(f"a whole number from {low} to {high}")
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value
    return read


def _real(low, high):
    def read(raw):
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"a number from {low:g} to {high:g}")
        return value
    return read


def _choice(choices):
    def read(raw):
        if raw not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return raw
    return read


def _text(raw):
    if not raw:
        raise ValueError("some text")
    return raw


def _numbers(raw, what):
    """'1.6; 4.4' -> (1.6, 4.4), each finite."""
    values = []
    for part in raw.split(";"):
        try:
            value = float(part.strip())
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and abs(value) < _MEANS_LIMIT):
            raise ValueError(what)
        values.append(value)
    return tuple(values)


def _means(raw):
    what = "one point per component, 'x,y; x,y; ...' (or 'x; x; ...' for 1-D data)"
    means = []
    for part in raw.split(";"):
        means.append(_numbers(part.replace(",", ";"), what))
    if len({len(m) for m in means}) != 1 or len(means[0]) not in (1, 2):
        raise ValueError(what)
    return tuple(means)


def _hide(raw):
    parts = {p.strip() for p in raw.split(",") if p.strip()}
    unknown = sorted(parts - HIDEABLE)
    if unknown:
        raise ValueError(f"parts from: {', '.join(sorted(HIDEABLE))} (not {', '.join(unknown)})")
    return frozenset(parts)


# key -> reader (raises ValueError naming what is accepted)
KEYS = {
    "title": _text,
    "summary": _text,
    "order": _whole(0, 10**6),
    "data": _text,
    "k": _whole(1, MAX_COMPONENTS),
    "covariance": _choice(COVARIANCE_TYPES),
    "init": _choice(INITS),
    "means": _means,
    "weights": lambda raw: _numbers(raw, "one weight per component, 'w; w; ...', each >= 0"),
    "variances": lambda raw: _numbers(raw, "one variance per component, 'v; v; ...', each > 0"),
    "seed": _whole(0, 2**31 - 1),
    "reg_covar": _real(0.0, 1.0),
    "tol": _real(0.0, 1.0),
    "mode": _choice(MODES),
    "steps": _whole(0, MAX_STEPS),
    "hide": _hide,
}
_REQUIRED = ("title", "data", "k")


def _front_matter(lines, path):
    """The front matter as key -> (value, line number), and the index of the line after it."""
    if not lines or lines[0].strip() != "---":
        raise LessonError(path, 1, "a lesson starts with a front matter: a line '---', then "
                                   "'key: value' lines (title, data, k, ...), then '---'")
    values = {}
    for index in range(1, len(lines)):
        line, number = lines[index].strip(), index + 1
        if line == "---":
            return values, index + 1
        if not line or line.startswith("#"):
            continue
        key, colon, raw = line.partition(":")
        key = key.strip()
        if not colon:
            raise LessonError(path, number, f"expected 'key: value' in the front matter; got "
                                            f"{line[:60]!r}")
        if key not in KEYS:
            raise LessonError(path, number, f"unknown key {key!r}; the keys are: "
                                            f"{', '.join(KEYS)}")
        if key in values:
            raise LessonError(path, number, f"{key!r} is given twice (first on line "
                                            f"{values[key][1]})")
        try:
            values[key] = (KEYS[key](raw.strip()), number)
        except ValueError as error:
            raise LessonError(path, number, f"{key!r} must be {error}; got {raw.strip()!r}")
    raise LessonError(path, 1, "the front matter is not closed: add a line '---' after its last "
                               "'key: value' line")


def _setup(values, path, datasets):
    for key in _REQUIRED:
        if key not in values:
            raise LessonError(path, 1, f"the front matter needs {key!r}")
    get = {key: value for key, (value, _) in values.items()}
    line = {key: number for key, (_, number) in values.items()}
    k = get["k"]
    dimension = None
    if datasets is not None:
        if get["data"] not in datasets:
            raise LessonError(path, line["data"], f"unknown data set {get['data']!r}; the data "
                                                  f"sets are: {', '.join(sorted(datasets))}")
        dimension = datasets[get["data"]]
    if "means" in get:
        means = get["means"]
        if len(means) != k:
            raise LessonError(path, line["means"], f"'means' gives {len(means)} points but k is "
                                                   f"{k}: give one per component")
        if dimension is not None and len(means[0]) != dimension:
            raise LessonError(path, line["means"], f"{get['data']!r} is {dimension}-D, so each "
                                                   f"mean needs {dimension} number(s)")
        dimension = len(means[0])
    for key in ("weights", "variances"):
        if key not in get:
            continue
        if "means" not in get:
            raise LessonError(path, line[key], f"{key!r} needs 'means' as well")
        if len(get[key]) != k:
            raise LessonError(path, line[key], f"{key!r} gives {len(get[key])} numbers but k is "
                                               f"{k}: give one per component")
    if "weights" in get:
        weights = get["weights"]
        if min(weights) < 0 or abs(sum(weights) - 1.0) > 1e-6:
            raise LessonError(path, line["weights"], f"'weights' must be >= 0 and sum to 1; they "
                                                     f"sum to {sum(weights):.6g}")
    if "variances" in get:
        if dimension != 1:
            raise LessonError(path, line["variances"], "'variances' is for 1-D data only")
        if min(get["variances"]) <= 0:
            raise LessonError(path, line["variances"], "'variances' must all be > 0")
        if get.get("covariance") == "tied" and len(set(get["variances"])) > 1:
            raise LessonError(path, line["variances"], "'tied' components share one variance: "
                                                       "give the same number for each")
    names = ("data", "k", "covariance", "init", "means", "weights", "variances", "seed",
             "reg_covar", "tol", "mode", "steps", "hide")
    return Setup(**{key: get[key] for key in names if key in get})


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_WHEN = re.compile(r"^\s*when\s*:(.*)$", re.IGNORECASE)
# A line that means to be a question's choice ('- [x]', '- [ ]', '-[]', ...), and one that is.
_CHOICE_START = re.compile(r"^\s*[-*]\s*\[[ xX]?\]")
_CHOICE = re.compile(r"^\s*[-*]\s+\[([ xX])\]\s+(.*?)\s*->\s*(.*?)\s*$")


def _question(lines, title, number, path):
    """The step's text and its choices: the ``- [x] text -> feedback`` items after the text.

    ``lines`` are the step's body as (line number, line) pairs.
    """
    text, choices, first = [], [], None
    for at, line in lines:
        if not _CHOICE_START.match(line):
            if choices and line.strip():
                raise LessonError(path, at, f"step {title!r}: text after the question's choices; "
                                            "put the text before them and the 'when:' line after")
            if not choices:
                text.append(line)
            continue
        match = _CHOICE.match(line)
        if not match or not match.group(2) or not match.group(3):
            raise LessonError(path, at, "a choice is '- [x] text -> feedback' (right) or "
                                        "'- [ ] text -> feedback' (wrong), with text and feedback; "
                                        f"got {line.strip()[:60]!r}")
        first = first or at
        choices.append(Choice(match.group(2), match.group(1) != " ", match.group(3)))
    if choices and len(choices) < 2:
        raise LessonError(path, first, f"step {title!r}: a question needs at least two choices")
    if choices and not any(c.right for c in choices):
        raise LessonError(path, first, f"step {title!r}: no choice is marked right; mark at "
                                       "least one '- [x]'")
    return text, tuple(choices)


def _steps(lines, start, path):
    """The introduction and the steps, from line index ``start`` on."""
    intro, steps, current = [], [], None

    def finish(step):
        title, number, body, when = step
        body, choices = _question(body, title, number, path)
        text = "\n".join(body).strip()
        if not text:
            raise LessonError(path, number, f"step {title!r} has no text: say what to do and "
                                            "what to notice")
        if when is None:
            raise LessonError(path, number, f"step {title!r} has no 'when:' line (the condition "
                                            "that completes it, e.g. 'when: e-step')")
        if when.answered and not choices:
            raise LessonError(path, number, f"step {title!r} waits for 'answered' but has no "
                                            "question: add its choices, '- [x] text -> feedback'")
        if choices and not when.answered:
            raise LessonError(path, number, f"step {title!r} asks a question: its 'when:' line "
                                            "needs 'answered'")
        steps.append(Step(title, text, when, number, choices))

    for index in range(start, len(lines)):
        line, number = lines[index], index + 1
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) <= 2:
            if len(heading.group(1)) == 1:
                raise LessonError(path, number, "use '## ' for a step's heading (the title "
                                                "comes from the front matter)")
            if current is not None:
                finish(current)
            if not heading.group(2):
                raise LessonError(path, number, "a step's heading needs a title")
            current = [heading.group(2), number, [], None]
            continue
        when = _WHEN.match(line)
        if when:
            if current is None:
                raise LessonError(path, number, "a 'when:' line belongs inside a step (after a "
                                                "'## ' heading)")
            if current[3] is not None:
                raise LessonError(path, number, f"step {current[0]!r} has a second 'when:' line; "
                                                "join the conditions with 'and'")
            try:
                current[3] = parse_condition(when.group(1))
            except ConditionError as error:
                raise LessonError(path, number, str(error)) from None
            continue
        if current is None:
            intro.append(line)
        else:
            current[2].append((number, line))
    if current is None:
        raise LessonError(path, start, "the lesson has no steps: add a '## ' heading, its "
                                            "text and a 'when:' line")
    finish(current)
    return "\n".join(intro).strip(), tuple(steps)


def parse_lesson(text: str, name: str, *, path: str = "<lesson>",
                 datasets: dict[str, int] | None = None) -> Lesson:
    """Parse a lesson file's text.

    Parameters
    ----------
    text : str
        The file's contents.
    name : str
        The lesson's name (its file's stem): lower-case letters, digits and dashes.
    path : str
        What messages call the file.
    datasets : dict of str -> int, optional
        Known data set names and their dimension (1 or 2); when given, ``data`` must be one of
        them and the means must have that many numbers.

    Returns
    -------
    Lesson

    Raises
    ------
    LessonError
        Naming the file, the line and the problem.
    """
    if not _NAME.fullmatch(name):
        raise LessonError(path, 1, f"the file name {name!r} cannot name a lesson: use lower-case "
                                   "letters, digits and dashes (e.g. trace-lab.md)")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    values, start = _front_matter(lines, path)
    setup = _setup(values, path, datasets)
    intro, steps = _steps(lines, start, path)
    return Lesson(
        name=name,
        title=values["title"][0],
        summary=values.get("summary", ("", 0))[0],
        order=values.get("order", (100, 0))[0],
        setup=setup,
        intro=intro,
        steps=steps,
        path=path,
    )


def read_lesson(path, datasets: dict[str, int] | None = None) -> Lesson:
    """Read and parse one lesson file (its name is the file's stem); see ``parse_lesson``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise LessonError(str(path), 1, f"not UTF-8 text ({error.reason} at byte "
                                        f"{error.start})") from None
    return parse_lesson(text, path.stem, path=str(path), datasets=datasets)
