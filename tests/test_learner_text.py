"""No code names in what a learner reads (issue 13: a learner saw ``drop_invalid=True`` in a
message).

Every learner-facing string is gathered from where it is made: every public text function of
app/narration.py (each wrapped to record what it returns while the scenarios run, and each must
have been called), the messages and refusals of app/data.py for a corpus of good and bad files,
and every text the views put on the page (panes, widget labels, options and tooltips, tab
titles, plot axes, hover tooltips and legends) across the same scenarios. Each must read as
words and maths, not code:

* no identifier with an underscore (``reg_covar``, ``drop_invalid``);
* no ``=`` glued to a name or value (``k=3``); ``=`` only between spaces, as maths writes it
  (``K = 3``, ``p(x) = 0.012``), after a maths symbol, never after a code-like word;
* no Python literals (``True``, ``False``, ``None``) and no Python reprs (``['a']``, ``(3, 2)``
  shapes, ``nan``).

Maths typeset by KaTeX (``$$...$$``) is left out: its ``_`` are subscripts. Text quoted from a
user's file ('...' in a message) is left out too: a column may well be called ``bill_length_mm``.
"""

from __future__ import annotations

import functools
import html
import re

import numpy as np
import panel as pn
import pytest
from bokeh.models import HoverTool, Legend

from app import data, em, narration
from app.session import CUSTOM, Session
from app.views import Lab

# ------------------------------------------------------------------------------------------ rules
_LATEX = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
_QUOTED = re.compile(r"'[^'\n]*'|‘[^’\n]*’|\"[^\"\n]*\"")
_TAG = re.compile(r"<[^>]+>")
_IDENTIFIER = re.compile(r"\b[A-Za-z]\w*_\w+\b")
_GLUED_EQUALS = re.compile(r"\S=|=\S")
# maths before " = ": one letter or Greek symbol with an optional subscript or argument list,
# K, N, p(x), x, π₁, ε, |Σ|, 𝒩(x | μ, Σ)
_MATHS_LEFT = re.compile(r"(?:^|[\s(·,;:])(?:[A-Za-zα-ωΑ-Ω𝒩][₀-₉ₖᵢ]*(?:\([^()]*\))?|\|[^|]+\|)"
                         r"(?:<sub>\w+</sub>)?$")
_LITERAL = re.compile(r"\b(?:True|False|nan|NaN|inf)\b|\bNone\b(?! of\b)")
_REPR = re.compile(r"\[['\"\d]")                   # a printed Python list


def readable(text: str) -> str:
    """What a learner reads of ``text``: no LaTeX, no quoted file content, no HTML tags."""
    text = _LATEX.sub(" ", str(text))
    text = html.unescape(_TAG.sub(" ", text))
    return _QUOTED.sub(" ", text)


def code_in(text: str) -> list[str]:
    """The pieces of ``text`` that read as code (empty when it reads as words and maths)."""
    shown = readable(text)
    found = _IDENTIFIER.findall(shown) + _LITERAL.findall(shown)
    found += _REPR.findall(html.unescape(_TAG.sub(" ", _LATEX.sub(" ", str(text)))))
    found += [f"glued {m.group(0)!r}" for m in _GLUED_EQUALS.finditer(shown)
              if not shown[max(0, m.start() - 1):m.end() + 1].strip() == "="]
    for m in re.finditer(r" = ", shown):
        left = shown[:m.start()]
        if not _MATHS_LEFT.search(left):
            found.append(f"= after {left[-25:]!r}")
    return found


def test_the_rules_catch_code_and_let_maths_through():
    """The checker itself: code is caught, words and maths are not."""
    for bad in ("Drop rows (drop_invalid=True).", "raise reg_covar", "got None", "x=3",
                "shape reg_covar = 0", "got ['a', 'b']", "a NaN value", "it = 4", "[1.0, nan]"):
        assert code_in(bad), bad
    for good in ("K = 3 components", "p(x) = 0.0123", "the variance floor ε = 10⁻⁶",
                 "x = (1.0000, 2.0000)", "$$r_{ik} = \\frac{a}{b}$$", "Column 'bill_length_mm'",
                 "|Σ<sub>k</sub>| = 0.5", "𝒩(x | μ, Σ) = exp(−½ …)", "BIC is lowest at K = 4",
                 "None of the 2 columns holds numbers", "the point (1, 2)"):
        assert not code_in(good), (good, code_in(good))


# --------------------------------------------------------------------------- narration, recorded
NOT_TEXT = {"num", "pct", "equation"}        # numbers and LaTeX, used inside the texts


def _text_functions():
    return sorted(name for name, value in vars(narration).items()
                  if callable(value) and not name.startswith("_") and name not in NOT_TEXT
                  and getattr(value, "__module__", "") == narration.__name__)


@pytest.fixture
def recorded(monkeypatch):
    """Every public text function of app.narration, wrapped: name -> list of returned texts."""
    texts = {name: [] for name in _text_functions()}
    for name in texts:
        original = getattr(narration, name)

        @functools.wraps(original)
        def wrapper(*args, _original=original, _name=name, **kwargs):
            out = _original(*args, **kwargs)
            texts[_name].append(out)
            return out
        monkeypatch.setattr(narration, name, wrapper)
    return texts


# ------------------------------------------------------------------------------------ the views
def view_texts(lab) -> list[str]:
    """Every text the lab's views put on the page right now."""
    out = []
    for obj in lab._layout.select():
        if isinstance(obj, (pn.pane.HTML, pn.pane.Markdown, pn.pane.Alert, pn.pane.LaTeX)):
            if obj.visible:
                out.append(str(obj.object or ""))
        if isinstance(obj, pn.widgets.Widget):
            for attribute in ("name", "label", "description", "placeholder", "filename"):
                value = getattr(obj, attribute, None)
                if isinstance(value, str):
                    out.append(value)
            options = getattr(obj, "options", None)
            if isinstance(options, dict):
                out.extend(str(k) for k in options)
            elif isinstance(options, list):
                out.extend(str(o) for o in options)
            if isinstance(obj, pn.widgets.StaticText):
                out.append(str(obj.value))
        if isinstance(obj, pn.Tabs):
            out.extend(obj._names)
        if isinstance(obj, pn.pane.Bokeh):
            out.extend(_figure_texts(obj.object))
    return out


def _figure_texts(fig):
    out = []
    for model in fig.select({"type": HoverTool}):
        tooltips = model.tooltips if isinstance(model.tooltips, list) else []
        out.extend(str(label) for label, _ in tooltips)
    for axis in list(getattr(fig, "xaxis", [])) + list(getattr(fig, "yaxis", [])):
        out.append(str(axis.axis_label or ""))
    for legend in fig.select({"type": Legend}):
        for item in legend.items:
            label = item.label
            out.append(str(getattr(label, "value", "") or ""))
    title = getattr(fig, "title", None)
    out.append(str(getattr(title, "text", "") or ""))
    return out


def _session_texts(s):
    return [s.narration, s.message, s.collapse_banner, s.data_name, s.data_note,
            *s.columns]


# ------------------------------------------------------------------------------------ scenarios
def _scenarios(lab):
    """Drive the lab through what a class does; yield after each step."""
    s, view = lab.session, lab.view_state
    s.dataset = CUSTOM
    yield "your data, before there is any (refused)"
    for name in data.names():
        s.dataset = name
        yield f"opened {name}"
        view.pinned = 0
        s.step()
        yield f"{name}: one iteration, point 1 pinned"
        s.e_step()
        yield f"{name}: E-step after M"
        view.pinned = None
    s.dataset = "six_points"
    for mode in ("kmeans", "em"):
        s.mode = mode
        s.e_step()
        yield f"six points, {mode}, first E-step"
        s.m_step()
        s.e_step()
        yield f"six points, {mode}, second E-step"
        for covariance_type in em.COVARIANCE_TYPES:
            s.covariance_type = covariance_type
            s.run()
            yield f"six points, {mode}, {covariance_type}, converged"
            s.run()
            yield "run again, already converged"
    for init in em.INITS:
        s.init = init
        yield f"init {init}"
    s.play()
    s.speed = 10
    s.tick()
    yield "playing fast"
    s.pause()
    s.e_step()
    s.e_step()
    yield "E-step twice (refused)"
    s.reset()
    s.back()
    yield "back at the start (refused)"
    s.break_it()
    yield "break it"
    while not s.collapse:
        s.step()
    yield "collapsed"
    s.step()
    yield "step refused after the collapse"
    s.reg_covar = 1e-6
    yield "a floor that does not help"
    s.reg_covar = 0.1
    yield "a floor that helps"
    s.reg_covar = 1e-3
    s.reset()
    s.run(max_iter=3)
    yield "run stopped early (not converged)"
    s.break_it()
    s.reg_covar = 1e-3
    for _ in range(3):
        s.step()
    yield "a component on its lone point (starving)"
    narration.init_failed("random_from_data", ValueError("the engine's reason"))
    yield "an init that cannot be built (called directly: no shipped data makes one fail)"
    s.run_restarts(5)
    yield "restarts"
    s.load_restart(1)
    yield "restart loaded"
    s.load_restart(99)
    yield "no such restart"
    s.compute_model_selection(4)
    yield "model selection"
    s.reg_covar = 0.0
    s.compute_model_selection(3)
    yield "model selection with a raised floor"
    s.set_data(np.array([[0.0, np.nan]]))
    yield "NaN data refused"
    s.set_data(np.zeros((3, 3)))
    yield "three columns refused"
    s.set_data("text")
    yield "text refused"
    s.set_data(np.zeros((0, 2)))
    yield "no points refused"
    s.add_point((np.inf, 0.0))
    yield "a point at infinity refused"
    s.remove_point(10_000)
    yield "no such point"
    s.remove_point("one")
    yield "not a point number"
    s.move_mean(7, (0.0, 0.0))
    yield "no such component"
    s.move_means(np.zeros((1, 2)))
    yield "wrong number of means"
    s.move_means(np.full((s.n_components, 2), np.nan))
    yield "means not finite"
    s.set_data(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]))
    s.n_components = 3
    yield "K lowered"
    s.set_data(np.array([[1.0, 2.0]]))
    s.remove_point(0)
    yield "the last point"
    s.dataset = CUSTOM
    s.mode = "kmeans"
    s.step()
    yield "k-means on custom data"
    s.mode = "em"
    yield "back to EM"
    s.move_means(np.array([[1.0, 2.0]] * s.n_components))
    yield "means dropped"
    s.load_restart(0)
    yield "load a restart before running any"
    for name, content in UPLOADS:
        lab.data._file, lab.data._filename, lab.data._auto = content, name, True
        lab.data._load()
        yield f"upload {name}"
        lab.data.drop_invalid.value = True
        yield f"upload {name}, invalid rows dropped"
        lab.data.drop_invalid.value = False
        lab.data.standardize.value = True
        yield f"upload {name}, standardised"
        lab.data.standardize.value = False
    lab.data._refuse("big.csv", data.EMPTY_FILE)
    yield "empty file refused"
    lab.data.upload_guard.refused = ["huge.csv", data.MAX_BYTES + 1, 1]
    yield "file over the limit refused"
    view.add_points = True
    view.coloring = "uncertainty"
    view.show_outliers = True
    yield "add points, uncertainty colouring, outliers"
    view.coloring = "hard"
    yield "hard colouring"


# Files a class uploads, good and bad: each reaches app.data's messages and refusals.
UPLOADS = [
    ("good.csv", b"a,b\n1,2\n2,3\n3,1\n8,9\n9,8\n"),
    ("gaps.csv", b"u,v\n1,2\n2,NA\n3,1\n,4\n5,5\n6,2\n"),
    ("text.csv", b"x,y\n1,2\n3,abc\n5,6\n7,8\n"),
    ("not numbers.csv", b"x,y\n1,nan\nNaN,2\n3,inf\n-inf,4\n5,6\n7,8\n9,NaN\n"),
    ("one column.csv", b"x\n1\n2\n3\n"),
    ("header only.csv", b"x,y\n"),
    ("words.csv", b"a,b\nfoo,bar\nbaz,qux\n"),
    ("same.csv", b"x,y\n1,1\n1,1\n1,1\n"),
    ("one point.csv", b"x,y\n1,2\n"),
    ("repeats.csv", b"x,y\n1,2\n1,2\n3,4\n5,6\n5,6\n"),
    ("tiny.csv", b"x,y\n" + b"".join(b"%g,%g\n" % (i * 1e-6, (i % 3) * 1e-6)
                                     for i in range(20))),
    ("decimal commas.csv", b"x;y\n1,5;2,5\n3,5;4,5\n5,5;1,5\n"),
    ("latin1.csv", "größe,gewicht\n1,2\n3,4\n5,1\n".encode("latin-1")),
    ("utf16.csv", "x,y\n1,2\n3,4\n5,1\n".encode("utf-16")),
    ("binary.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("numbered rows.csv", b"id,x,y\n1,0.5,1.5\n2,1.5,2.5\n3,3.5,0.5\n"),
    ("spaces.txt", b"1 2\n3 4\n5 1\n"),
]


def test_no_code_in_anything_a_learner_reads(recorded):
    """Narration, session messages, data notes and refusals, and every view's text, across the
    scenarios of a class: no code names, no glued '=', no Python literals."""
    lab = Lab(session=Session())
    problems = []

    def check(where, texts):
        for text in texts:
            found = code_in(text)
            if found:
                problems.append(f"{where}: {found} in {readable(text)[:300]!r}")

    check("opening", view_texts(lab) + _session_texts(lab.session))
    for where in _scenarios(lab):
        check(where, view_texts(lab) + _session_texts(lab.session))
    for name, texts in recorded.items():
        check(f"narration.{name}", texts)
    assert not problems, "\n".join(problems)
    uncalled = [name for name, texts in recorded.items() if not texts]
    assert not uncalled, f"not reached by the scenarios: {uncalled}"


def test_no_code_in_data_messages_and_refusals():
    """Every note app.data.parse_csv gives and every refusal it raises, for the upload corpus and
    the shipped sets, reads as words."""
    problems = []
    for name, content in UPLOADS:
        for options in ({}, {"drop_invalid": True}, {"standardize": True}, {"x": 1, "y": 0}):
            try:
                texts = list(data.parse_csv(content, name=name, **options).messages)
            except data.DataError as exc:
                texts = [str(exc)]
            for text in texts:
                if code_in(text):
                    problems.append(f"{name} {options}: {code_in(text)} in {text!r}")
    for name in data.names():
        ds = data.load(name)
        for text in (*ds.messages, ds.note, ds.title, *ds.columns):
            if code_in(text):
                problems.append(f"{name}: {code_in(text)} in {text!r}")
    assert not problems, "\n".join(problems)
