"""One lesson running against one session: set the lab up, count what the learner does, move on.

Owns ``LessonRun``, a small ``param.Parameterized``: it applies a lesson's set-up to the session
through the lesson-link path (``app.urlstate.parse`` + ``apply`` of ``Setup.query()``), keeps the
counts ``app.lessons.LabState`` needs that the session does not keep (E- and M-steps that only ever
grow, handle drops, restarts runs, pinned points, predictions revealed (``app.prediction``), Next
presses, right answers to the steps' questions, the best converged log-likelihood
seen for each data set, K and covariance type), watches the session's ``version`` (and, when
given, the views' pinned point), and moves to the next step when the current step's condition is
met. The learner can go back a step or leave the lesson. A question step (``when: answered``) is
answered through ``answer(i)``: a wrong choice's feedback shows and the step stays; a right one
moves on, and its feedback stays shown (``feedback``, ``feedback_step``) until the lesson moves
again.

A step is judged only on a change that happens while it is the current step (never the moment it
begins): a state that already holds when a step begins (``converged`` after Back, say) waits for
the learner's next action, so Back can always show a step again.

Imports param, app.lessons and app.urlstate; no Panel or Bokeh (the lesson panel,
``app.views.lessons``, shows a ``LessonRun``), and the session does not know about lessons.
"""

from __future__ import annotations

import functools
import math

import param

from app import data, lessons, urlstate
from app.lessons import LabState, Lesson, condition_met

__all__ = ["LessonRun", "catalogue", "lesson_needs", "unavailable_reason"]

# The session shows 2-D data only; a lesson on other data is listed as unavailable.
LAB_DIMENSION = 2

# Which part of the screen (app.urlstate.HIDEABLE) a condition needs to be reachable.
_NEEDS = {
    "restarts-run": "restarts",
    "bic-computed": "bic",
    "k": "model",
    "k-changed": "model",
    "reg-covar": "model",
    "covariance": "model",
    "mode": "kmeans",
}
# How the learner reads those parts' names.
PART_NAMES = {"restarts": "the Restarts tab", "bic": "the Model selection tab",
              "model": "the Model settings", "kmeans": "the EM / k-means switch"}


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, Lesson]:
    # A bad teacher's file (panel serve with EMLAB_LESSONS) is skipped, not fatal: `python -m
    # app.lessons check` and build.py report it.
    return lessons.load_lessons(errors=[])


def catalogue() -> dict[str, Lesson]:
    """Every lesson the lab knows (built in and a teacher's), name -> Lesson, in picker order."""
    return dict(_catalogue())


def lesson_needs(lesson: Lesson) -> set[str]:
    """The parts of the screen (``app.urlstate.HIDEABLE`` names) the lesson's steps need."""
    return {_NEEDS[clause.name] for step in lesson.steps for clause in step.condition.clauses
            if clause.name in _NEEDS}


def unavailable_reason(lesson: Lesson, hidden=frozenset(), dimension: int = LAB_DIMENSION) -> str:
    """Why the lab cannot run ``lesson`` ('' when it can): data it cannot show, or a part of the
    screen the lesson needs that this page hides (``hidden``). ``dimension``: the data the session
    holds (2 for app.session.Session, 1 for the trace lab's app.trace_session.TraceSession)."""
    known = lessons.known_datasets().get(lesson.setup.data)
    if known != dimension or (dimension == 2 and lesson.setup.data not in data.names()):
        return (f"“{lesson.title}” works on points along a line (1-D data), which the lab "
                "cannot show yet.")
    missing = sorted(lesson_needs(lesson) & (set(hidden) - set(lesson.setup.hide)))
    if missing:
        parts = " and ".join(PART_NAMES[part] for part in missing)
        return f"“{lesson.title}” needs {parts}, which this page hides."
    return ""


def _apply_1d(session, setup) -> list[str]:
    """Set the trace lab's session (app.trace_session.TraceSession) up for a 1-D lesson through
    its public actions: data, covariance type, floor and tol, the start, then the half-steps."""
    session.param.update(covariance_type=setup.covariance, reg_covar=setup.reg_covar,
                         tol=setup.tol)
    means = [m[0] for m in setup.means] if setup.means else None
    if session.dataset != setup.data or means is not None:
        session.load_dataset(setup.data, means=means, variances=setup.variances,
                             weights=setup.weights)
    for _ in range(setup.steps):
        if not session.step():
            break
    return [session.message] if session.message else []


def _same_record(old, new) -> bool:
    """The same half-step: the very record, or one re-judged under a new tol (same mixture)."""
    return old is new or (old.kind == new.kind and old.iteration == new.iteration
                          and old.mixture is new.mixture)


class LessonRun(param.Parameterized):
    """A lesson in progress on a session: its current step, and the counts its conditions read."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.Parameter(default=None, doc="The views' ViewState (its pinned point "
                                 "counts as a pin), or None.")
    prediction = param.Parameter(default=None, doc="The lab's app.prediction.Prediction (each "
                                 "prediction revealed counts), or None.")
    hidden = param.Parameter(default=frozenset(), doc="Parts of the screen this page hides.")
    lessons = param.Dict(default={}, doc="name -> Lesson: what can be started (default: all).")
    lesson = param.ClassSelector(class_=Lesson, default=None, allow_None=True, constant=True,
                                 doc="The lesson running, or None.")
    step = param.Integer(default=0, bounds=(0, None), constant=True,
                         doc="Index of the current step; len(steps) once the last one is done.")
    message = param.String(default="", constant=True,
                           doc="Why the last start was refused or what its set-up left out.")
    # What the session does not count (LabState's counters), since the lesson began.
    e_steps = param.Integer(default=0, constant=True)
    m_steps = param.Integer(default=0, constant=True)
    drags = param.Integer(default=0, constant=True)
    restarts_runs = param.Integer(default=0, constant=True)
    pins = param.Integer(default=0, constant=True)
    predictions = param.Integer(default=0, constant=True)
    next_presses = param.Integer(default=0, constant=True)
    answers = param.Integer(default=0, constant=True)
    # The feedback of the last choice made, the step it answered and whether it was right: shown
    # under a wrong answer's question, and above the next step after a right one.
    feedback = param.String(default="", constant=True,
                            doc="The last chosen answer's feedback ('' when none is shown).")
    feedback_step = param.Integer(default=-1, constant=True,
                                  doc="The step whose question 'feedback' answers.")
    feedback_right = param.Boolean(default=False, constant=True,
                                   doc="The last chosen answer was a right one.")

    def __init__(self, **params):
        super().__init__(**params)
        if not self.lessons:
            self.lessons = catalogue()
        self._history = tuple(self.session.history)
        self._restarts = self.session.restarts
        self._best: dict[tuple, float] = {}   # (data, K, covariance, reg_covar) -> best ll
        self._before: LabState | None = None  # the snapshot taken when the current step began
        self._applying = False
        self.session.param.watch(self._on_session, ["version"])
        if self.view_state is not None:
            self.view_state.param.watch(self._on_pinned, ["pinned"], onlychanged=False)
        self._watch_prediction()

    @param.depends("prediction", watch=True)
    def _watch_prediction(self):
        if self.prediction is not None:
            self.prediction.param.watch(self._on_predicted, ["count"])

    # ------------------------------------------------------------------------------ reading

    @property
    def dimension(self) -> int:
        """The session's data: 2 (app.session.Session) or 1 (the trace lab's TraceSession)."""
        return getattr(self.session, "dimension", LAB_DIMENSION)

    @property
    def running(self) -> bool:
        return self.lesson is not None

    @property
    def done(self) -> bool:
        """Every step of the lesson is done."""
        return self.running and self.step >= len(self.lesson.steps)

    @property
    def current(self):
        """The current step (an ``app.lessons.Step``), or None (no lesson, or done)."""
        return None if not self.running or self.done else self.lesson.steps[self.step]

    def state(self) -> LabState:
        """The lab now, as the lesson's conditions read it."""
        s = self.session
        key = self._key()
        return LabState.from_session(
            s, e_steps=self.e_steps, m_steps=self.m_steps, drags=self.drags,
            restarts_runs=self.restarts_runs, pins=self.pins, predictions=self.predictions,
            next_presses=self.next_presses, answers=self.answers,
            best_log_likelihood=self._best.get(key))

    def availability(self) -> dict[str, str]:
        """name -> why it cannot run here ('' when it can), for every lesson."""
        return {name: unavailable_reason(lesson, self.hidden, self.dimension)
                for name, lesson in self.lessons.items()}

    # ------------------------------------------------------------------------------ actions

    def start(self, name: str) -> bool:
        """Set the lab up for lesson ``name`` and begin at its first step.

        False (with ``message``) for an unknown lesson or one this lab cannot run.
        """
        lesson = self.lessons.get(name)
        if lesson is None:
            self._set(message=f"There is no lesson called “{name}”.")
            return False
        reason = unavailable_reason(lesson, self.hidden, self.dimension)
        if reason:
            self._set(message=reason)
            return False
        self._applying = True  # the set-up's own changes are nobody's step
        try:
            if self.dimension == 1:
                notes = _apply_1d(self.session, lesson.setup)
            else:
                notes = urlstate.apply(self.session, urlstate.parse(lesson.setup.query()))
        finally:
            self._applying = False
        self._history = tuple(self.session.history)
        self._restarts = self.session.restarts
        self._best = {}
        self._set(lesson=lesson, step=0, message=" ".join(notes), e_steps=0, m_steps=0,
                  drags=0, restarts_runs=0, pins=0, predictions=0, next_presses=0, answers=0,
                  feedback="", feedback_step=-1, feedback_right=False)
        self._note_best()
        self._before = self.state()
        return True

    def next(self) -> bool:
        """The learner pressed Next: a ``manual`` step is done. False when no step waits for it."""
        step = self.current
        if step is None or not step.condition.manual:
            return False
        self._set(next_presses=self.next_presses + 1)
        self._check()
        return True

    def answer(self, index: int) -> str:
        """The learner chose answer ``index`` of the current step's question: its feedback.

        A right answer meets ``answered`` (the step moves on, its feedback stays shown); a wrong
        one shows its feedback and the step stays. '' when the step asks no such question.
        """
        step = self.current
        if step is None or not 0 <= index < len(step.choices):
            return ""
        choice, at = step.choices[index], self.step
        if choice.right:
            self._set(answers=self.answers + 1)
            self._check()
        self._set(feedback=choice.feedback, feedback_step=at, feedback_right=choice.right)
        return choice.feedback

    def back(self) -> bool:
        """Go back one step (from the end: to the last step); it is judged afresh from now."""
        if not self.running or self.step == 0:
            return False
        self._set(step=self.step - 1, feedback="", feedback_step=-1)
        self._before = self.state()
        return True

    def leave(self) -> bool:
        """Leave the lesson; the lab stays as it is."""
        if not self.running:
            return False
        self._set(lesson=None, step=0, message="", feedback="", feedback_step=-1)
        self._before = None
        return True

    # ------------------------------------------------------------------------------ watching

    def _on_session(self, *events):
        s = self.session
        new = tuple(s.history)
        old = self._history
        self._history = new
        same = 0
        while same < min(len(old), len(new)) and _same_record(old[same], new[same]):
            same += 1
        restarts = s.restarts
        ran_restarts = bool(restarts) and restarts is not self._restarts
        self._restarts = restarts
        if not self.running or self._applying:
            return
        kinds = [record.kind for record in new[same:]]
        counts = {}
        if "E" in kinds:
            counts["e_steps"] = self.e_steps + kinds.count("E")
        if "M" in kinds:
            counts["m_steps"] = self.m_steps + kinds.count("M")
        if ran_restarts:
            counts["restarts_runs"] = self.restarts_runs + 1
        # A new start whose means the init and seed did not choose: the learner dropped a handle
        # (Break it, which puts a mean on a point, counts too).
        if (same == 0 and new and kinds == ["init"] and self.dimension == 2
                and urlstate.start_was_dragged(s)):
            counts["drags"] = self.drags + 1
        if counts:
            self._set(**counts)
        self._note_best()
        self._check()

    def _on_predicted(self, event):
        if self.running and event.new > event.old:
            self._set(predictions=self.predictions + event.new - event.old)
            self._check()

    def _on_pinned(self, event):
        if self.running and event.new is not None:
            self._set(pins=self.pins + 1)
            self._check()

    def _key(self):
        s = self.session
        return (s.dataset, s.data_name, len(s.X), int(s.n_components), str(s.covariance_type),
                float(s.reg_covar))

    def _note_best(self):
        """Remember the best converged (not collapsed) EM log-likelihood for these settings."""
        s = self.session
        if s.converged and not s.collapse and s.mode == "em" and s.history:
            ll = float(s.current_log_likelihood())
            key = self._key()
            if math.isfinite(ll) and ll > self._best.get(key, -math.inf):
                self._best[key] = ll

    def _check(self):
        """Move on when the current step's condition is met (one step per change)."""
        step = self.current
        if step is None or self._before is None:
            return
        now = self.state()
        if condition_met(step.condition, self._before, now):
            self._set(step=self.step + 1, feedback="", feedback_step=-1)
            self._before = now

    def _set(self, **values):
        with param.edit_constant(self):
            self.param.update(**values)
