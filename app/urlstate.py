"""The lab's state in a URL: parse a query string safely, apply it to a session, and write it back.

Owns the query-string vocabulary of shareable lesson links (``?data=old_faithful&k=2&steps=4``) and
its validation. A value that is unknown, malformed or out of range is never executed and never
injected as HTML: it is dropped, and a plain-text note (HTML-escaped, truncated) says what was
ignored and what would have been accepted. Imports the engine, the data module and the session's
names only; no Panel or Bokeh (views read ``UrlState`` and show the notes).

Vocabulary (every key optional):

=========  =====================================================================================
data       a shipped data set's name (``app.data.names()``)
k          number of components, 1..15
cov        covariance type: full | tied | diag | spherical
reg        reg_covar, a number in [0, 1]
init       k-means++ | random | random_from_data | kmeans
seed       a whole number in [0, 2**31 - 1]
mode       em | kmeans
tol        convergence tolerance, a number in [0, 1]
means      the start's means as ``x1,y1;x2,y2;...`` (one pair per component): EM starts there
steps      half-steps to take after loading, 0..200
hide       comma-separated parts of the screen to hide: see ``HIDEABLE``
embed      1 for the compact layout without template chrome (iframes, phones)
lesson     a lesson's name (``app.lessons``): the lesson sets the lab up and opens at its first
           step, so ``data``, the settings, ``means`` and ``steps`` are ignored beside it
=========  =====================================================================================
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import numpy as np

from app import data, em

__all__ = ["HIDEABLE", "MAX_STEPS", "UrlState", "apply", "encode", "parse",
           "start_was_dragged"]

MAX_STEPS = 200
MAX_QUERY_LENGTH = 4096
# Parts of the screen a lesson link may hide (the views decide what each covers).
HIDEABLE = frozenset(
    {"data", "upload", "model", "restarts", "bic", "inspect", "export", "narration", "loglik",
     "kmeans", "breakit", "keys", "share", "predict"}
)
_MAX_COMPONENTS = 15
_MEANS_LIMIT = 1e12  # a dragged mean beyond this is a typo or an attack, not a lesson


@dataclass(frozen=True)
class UrlState:
    """What a query string asked for, after validation.

    Attributes
    ----------
    settings : dict
        Session parameter name -> value (``n_components``, ``covariance_type``, ``reg_covar``,
        ``init``, ``seed``, ``mode``, ``tol``), only those given and valid.
    dataset : str or None
    means : ndarray of shape (n_components, 2) or None
    steps : int
    hide : frozenset of str
    embed : bool
    notes : tuple of str
        One plain-text sentence (already HTML-escaped) per ignored value.
    lesson : str or None
        A known lesson's name (the lesson panel starts it; it sets the lab up itself).
    """

    settings: dict = field(default_factory=dict)
    dataset: str | None = None
    means: np.ndarray | None = None
    steps: int = 0
    hide: frozenset = frozenset()
    embed: bool = False
    notes: tuple = ()
    lesson: str | None = None


def _shown(value: str) -> str:
    """A user-supplied value as it may appear in a note: truncated and HTML-escaped."""
    value = value if len(value) <= 40 else value[:37] + "..."
    return html.escape(repr(value), quote=True)


def _whole(value: str, low: int, high: int) -> int:
    number = int(value.strip())  # ValueError on "3.5", "1e3", "abc"
    if not low <= number <= high:
        raise ValueError
    return number


def _real(value: str, low: float, high: float) -> float:
    number = float(value.strip())
    if not (math.isfinite(number) and low <= number <= high):  # NaN fails both comparisons
        raise ValueError
    return number


def _choice(choices):
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError
        return value

    return check


# key -> (session parameter, converter, what is accepted)
_SETTINGS = {
    "k": ("n_components", lambda v: _whole(v, 1, _MAX_COMPONENTS),
          f"a whole number from 1 to {_MAX_COMPONENTS}"),
    "cov": ("covariance_type", _choice(em.COVARIANCE_TYPES), " | ".join(em.COVARIANCE_TYPES)),
    "reg": ("reg_covar", lambda v: _real(v, 0.0, 1.0), "a number from 0 to 1"),
    "init": ("init", _choice(em.INITS), " | ".join(em.INITS)),
    "seed": ("seed", lambda v: _whole(v, 0, 2**31 - 1), "a whole number from 0 to 2147483647"),
    "mode": ("mode", _choice(("em", "kmeans")), "em | kmeans"),
    "tol": ("tol", lambda v: _real(v, 0.0, 1.0), "a number from 0 to 1"),
}


def _parse_means(value: str) -> np.ndarray:
    pairs = [pair for pair in value.split(";") if pair.strip()]
    if not 1 <= len(pairs) <= _MAX_COMPONENTS:
        raise ValueError
    means = np.array([[float(v) for v in pair.split(",")] for pair in pairs])  # ragged: ValueError
    if means.shape != (len(pairs), 2) or not np.all(np.abs(means) <= _MEANS_LIMIT):
        raise ValueError  # also catches NaN and inf
    return means


def parse(query: str) -> UrlState:
    """Validate a query string (with or without its leading ``?``) into a ``UrlState``.

    Never raises: whatever cannot be used is left out and named in ``notes``.
    """
    notes = []
    query = (query or "").lstrip("?")
    if len(query) > MAX_QUERY_LENGTH:
        notes.append(f"The link's settings were longer than {MAX_QUERY_LENGTH} characters and were "
                     "ignored; share a shorter link.")
        return UrlState(notes=tuple(notes))
    settings, dataset, means, steps, hide, embed, lesson = {}, None, None, 0, set(), False, None
    seen = set()
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in seen:
            notes.append(f"Ignored a second {_shown(key)}: each setting counts once.")
            continue
        seen.add(key)
        try:
            if key in _SETTINGS:
                name, convert, _ = _SETTINGS[key]
                settings[name] = convert(value)
            elif key == "data":
                dataset = _choice(data.names())(value)
            elif key == "means":
                means = _parse_means(value)
            elif key == "steps":
                steps = _whole(value, 0, MAX_STEPS)
            elif key == "hide":
                parts = {part.strip() for part in value.split(",") if part.strip()}
                unknown = sorted(parts - HIDEABLE)
                if unknown:
                    notes.append(f"Ignored hide={', '.join(map(_shown, unknown))}: the parts that "
                                 f"can be hidden are {', '.join(sorted(HIDEABLE))}.")
                hide = parts & HIDEABLE
            elif key == "embed":
                embed = _choice(("1", "0", "true", "false"))(value.lower()) in ("1", "true")
            elif key == "lesson":
                lesson = _choice(tuple(_lesson_names()))(value)
            else:
                notes.append(f"Ignored the unknown setting {_shown(key)}.")
        except (ValueError, OverflowError):
            notes.append(f"Ignored {_shown(key)}={_shown(value)}: {_expected(key)}.")
    if means is not None and "n_components" in settings and len(means) != settings["n_components"]:
        notes.append(f"Ignored means: it gives {len(means)} means but k is "
                     f"{settings['n_components']}.")
        means = None
    if lesson is not None:
        given = [key for key, value in (("data", dataset), ("means", means), ("steps", steps))
                 if value] + [key for key, (name, _, _) in _SETTINGS.items() if name in settings]
        if given:
            notes.append(f"Ignored {', '.join(given)}: the lesson sets the lab up itself.")
        settings, dataset, means, steps = {}, None, None, 0
    return UrlState(settings, dataset, means, steps, frozenset(hide), embed, tuple(notes), lesson)


def _lesson_names():
    # Imported here: app.lesson_run applies a lesson through this module.
    from app.lesson_run import catalogue

    return catalogue()


def _expected(key: str) -> str:
    if key in _SETTINGS:
        return f"expected {_SETTINGS[key][2]}"
    return {
        "data": f"expected one of {', '.join(data.names())}",
        "means": "expected x1,y1;x2,y2;... with one finite pair per component",
        "steps": f"expected a whole number from 0 to {MAX_STEPS}",
        "embed": "expected 1 or 0",
        "lesson": f"expected one of {', '.join(_lesson_names())}",
    }[key]


def apply(session, state: UrlState) -> list[str]:
    """Load ``state`` into ``session``: data set, settings, dropped means, then the half-steps.

    Returns the notes to show: the parser's, plus means that do not fit the lab's K. What the
    session says on the way (a data set's remark, a refused half-step) is in ``session.message``,
    which the lab shows anyway.
    """
    notes = list(state.notes)
    if state.dataset is not None:
        session.load_dataset(state.dataset)
    if state.settings:
        session.param.update(**state.settings)
    if state.means is not None:
        if len(state.means) == session.n_components:
            session.move_means(state.means)
        else:
            notes.append(f"Ignored means: it gives {len(state.means)} means but the lab has "
                         f"{session.n_components} components.")
    for _ in range(state.steps):
        if not (session.e_step() if session.phase == "E" else session.m_step()):
            break
    return notes


def start_was_dragged(session) -> bool:
    """Did the learner drop the means, rather than the init and seed choosing them?"""
    start = session.history[0].mixture
    seeded = em.initial_mixture(
        session.X, start.n_components, covariance_type=start.covariance_type,
        reg_covar=session.reg_covar, init=session.init, rng=np.random.default_rng(session.seed),
    )
    return not np.allclose(seeded.means, start.means, rtol=1e-9, atol=0)


def encode(session, *, hide=frozenset(), embed: bool = False,
           lesson: str | None = None) -> tuple[str, list[str]]:
    """A query string that reproduces the session's state, and notes on what it cannot carry.

    ``hide`` and ``embed`` are carried over from the link the lab was opened with, so a lesson
    link shared on by a student stays the same lesson. With ``lesson`` (the name of the lesson
    running) the link opens that lesson at its first step instead of the session's state.
    """
    notes = []
    query = {}
    if lesson is not None:
        query["lesson"] = lesson
        if hide:
            query["hide"] = ",".join(sorted(set(hide) & HIDEABLE))
        if embed:
            query["embed"] = 1
        return "?" + urlencode(query, safe=",;"), notes
    if session.dataset in data.names():
        query["data"] = session.dataset
    else:
        notes.append("Your own data is not part of the link: whoever opens it sees the "
                     "default data set.")
    query.update(
        k=session.n_components, cov=session.covariance_type, reg=repr(float(session.reg_covar)),
        init=session.init, seed=session.seed, mode=session.mode, tol=repr(float(session.tol)),
    )
    if session.history and start_was_dragged(session):
        start = session.history[0].mixture.means
        query["means"] = ";".join(f"{x:.6g},{y:.6g}" for x, y in start)
    steps = max(len(session.history) - 1, 0)
    if steps > MAX_STEPS:
        notes.append(f"The link replays the first {MAX_STEPS} of your {steps} half-steps.")
    query["steps"] = min(steps, MAX_STEPS)
    if hide:
        query["hide"] = ",".join(sorted(set(hide) & HIDEABLE))
    if embed:
        query["embed"] = 1
    return "?" + urlencode(query, safe=",;"), notes
