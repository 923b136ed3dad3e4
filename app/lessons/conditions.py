"""When a lesson step is done: the condition vocabulary, its parser and its evaluator.

Owns the fixed vocabulary a lesson file's ``when:`` lines are written in, and ``condition_met``,
which decides a condition from two plain snapshots of the lab (``LabState``): the one taken when
the step began and the current one. Pure Python (standard library only): it must not import numpy,
param, panel or bokeh, nor any other module of the lab, so ``python -m app.lessons check`` (run by
``build.py``) works anywhere and the lesson panel can test it without a session.

Vocabulary (one clause, or several joined by ``and``, all of which must hold):

=====================  =========================================================================
events: something the learner did since the step began (``after`` compared with ``before``)
------------------------------------------------------------------------------------------------
``e-step``             an E-step was taken
``m-step``             an M-step was taken
``half-steps >= N``    at least N half-steps were taken (also ``>`` and ``=``)
``k-changed``          K is not what it was when the step began
``mean-dragged``       a mean's handle was dragged (dropped somewhere)
``restarts-run``       the restarts were run
``point-pinned``       a point was clicked to pin its responsibilities
``predicted``          a prediction was made and revealed
``manual``             the learner pressed Next
``answered``           the learner chose a right answer to the step's question
------------------------------------------------------------------------------------------------
states: how the lab is now (``after`` alone)
------------------------------------------------------------------------------------------------
``collapse``           a component has collapsed (onto a point, a stack of copies or a line)
``no-collapse``        no component has collapsed
``converged``          EM (or k-means) has converged
``worse-optimum``      converged, with a log-likelihood more than 1 below the best known one
``bic-computed``       the BIC/AIC table has been computed for the current data and settings
``k = N``              K compared with a whole number (``=``, ``>=``, ``<=``, ``>``, ``<``)
``reg-covar = X``      reg_covar compared with a number (same comparisons)
``mode = em``          the mode: ``em`` or ``kmeans``
``covariance = full``  the covariance type: ``full``, ``tied``, ``diag`` or ``spherical``
=====================  =========================================================================

Example: ``when: covariance = diag and converged``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "COMPARISONS",
    "COVARIANCE_TYPES",
    "EVENTS",
    "MODES",
    "STATES",
    "WORSE_MARGIN",
    "Clause",
    "Condition",
    "ConditionError",
    "LabState",
    "condition_met",
    "parse_condition",
]

# The lab's own vocabularies (app.em.COVARIANCE_TYPES, the session's modes); repeated here so this
# module imports nothing of the lab (tests/test_lessons.py checks they agree).
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
MODES = ("em", "kmeans")
# How much lower than the best known log-likelihood a converged fit must be to count as a worse
# optimum: the local optima the lessons use are tens of nats apart, while reruns of the same optimum
# differ by far less than one.
WORSE_MARGIN = 1.0

# Clauses without a value. Events compare the snapshot at the step's start with the current one.
EVENTS = {
    "e-step": "an E-step was taken",
    "m-step": "an M-step was taken",
    "k-changed": "K was changed",
    "mean-dragged": "a mean was dragged",
    "restarts-run": "the restarts were run",
    "point-pinned": "a point was pinned",
    "predicted": "a prediction was made",
    "manual": "Next was pressed",
    "answered": "a right answer was chosen",
}
STATES = {
    "collapse": "a component has collapsed",
    "no-collapse": "no component has collapsed",
    "converged": "EM has converged",
    "worse-optimum": "EM has converged to a worse optimum",
    "bic-computed": "BIC and AIC have been computed",
}
COMPARISONS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: a == b,
}
# Clauses with a value: name -> (allowed comparisons, what the value is, its parser).
_VALUED = {
    "half-steps": ((">=", ">", "="), "a whole number", "whole"),
    "k": (tuple(COMPARISONS), "a whole number", "whole"),
    "reg-covar": (tuple(COMPARISONS), "a number", "real"),
    "mode": (("=",), " or ".join(MODES), MODES),
    "covariance": (("=",), ", ".join(COVARIANCE_TYPES), COVARIANCE_TYPES),
}
_CLAUSE = re.compile(r"^\s*([a-z][a-z-]*)\s*(?:(>=|<=|=|>|<)\s*(\S+))?\s*$")


class ConditionError(ValueError):
    """A condition that is not in the vocabulary; the message says what would be accepted."""


@dataclass(frozen=True)
class Clause:
    """One clause: ``name`` alone (``op`` and ``value`` None) or ``name op value``."""

    name: str
    op: str | None = None
    value: int | float | str | None = None

    def __str__(self) -> str:
        if self.op is None:
            return self.name
        value = f"{self.value:g}" if isinstance(self.value, float) else self.value
        return f"{self.name} {self.op} {value}"


@dataclass(frozen=True)
class Condition:
    """A parsed ``when:`` line: all of ``clauses`` must hold; ``str()`` writes it back."""

    clauses: tuple[Clause, ...]

    @property
    def manual(self) -> bool:
        """True when the step waits for the Next button (the panel then shows it)."""
        return any(c.name == "manual" for c in self.clauses)

    @property
    def answered(self) -> bool:
        """True when the step waits for a right answer to its question (the panel shows it)."""
        return any(c.name == "answered" for c in self.clauses)

    def __str__(self) -> str:
        return " and ".join(map(str, self.clauses))


def _vocabulary() -> str:
    valued = [f"{name} {ops[0]} <{what}>" for name, (ops, what, _) in _VALUED.items()]
    return ", ".join([*EVENTS, *STATES, *valued])


def _parse_clause(text: str) -> Clause:
    match = _CLAUSE.match(text)
    if not match:
        raise ConditionError(
            f"cannot read the condition {text.strip()!r}; write a name from the vocabulary, "
            "optionally followed by a comparison, as in 'e-step' or 'k = 3'"
        )
    name, op, raw = match.groups()
    if name in EVENTS or name in STATES:
        if op is not None:
            raise ConditionError(f"{name!r} takes no value; write just {name!r}")
        return Clause(name)
    if name not in _VALUED:
        raise ConditionError(f"unknown condition {name!r}; the vocabulary is: {_vocabulary()}")
    ops, what, kind = _VALUED[name]
    if op is None:
        raise ConditionError(f"{name!r} needs a comparison and {what}, as in '{name} {ops[0]} ...'")
    if op not in ops:
        raise ConditionError(f"{name!r} takes {' or '.join(map(repr, ops))}, not {op!r}")
    if kind == "whole":
        if not re.fullmatch(r"\d+", raw):
            raise ConditionError(f"{name!r} needs a whole number >= 0; got {raw!r}")
        value: int | float | str = int(raw)
    elif kind == "real":
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise ConditionError(f"{name!r} needs a number >= 0; got {raw!r}")
    else:
        if raw not in kind:
            raise ConditionError(f"{name!r} is one of {what}; got {raw!r}")
        value = raw
    return Clause(name, op, value)


def parse_condition(text: str) -> Condition:
    """Parse a ``when:`` line (``"covariance = diag and converged"``) into a ``Condition``.

    Raises
    ------
    ConditionError
        For a clause outside the vocabulary, a missing or wrong comparison, or a bad value.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError(f"the condition is empty; the vocabulary is: {_vocabulary()}")
    parts = re.split(r"\s+and\s+", text.strip())
    return Condition(tuple(_parse_clause(part) for part in parts))


@dataclass(frozen=True)
class LabState:
    """A plain snapshot of what the lab shows and what the learner has done, for ``condition_met``.

    The lesson panel takes one when a step begins and one after every change it sees. Counters only
    ever grow (Step back does not take a half-step back out of ``e_steps``), so an event stays done.

    Attributes
    ----------
    e_steps, m_steps : int
        E-steps and M-steps taken since the lesson began (by E-step, M-step, Step, Play or Run).
    k : int
        The number of components.
    covariance : str
        The covariance type.
    mode : str
        ``"em"`` or ``"kmeans"``.
    reg_covar : float
    collapsed : bool
        A component has collapsed (the lab shows its banner).
    converged : bool
    log_likelihood : float or None
        The current log-likelihood (None before the first E-step).
    best_log_likelihood : float or None
        The highest log-likelihood known for this data, K and covariance type (from the lab's own
        runs and restarts); None when nothing is known yet.
    drags : int
        Times a mean's handle was dropped.
    restarts_runs : int
        Times the restarts were run.
    bic_done : bool
        The BIC/AIC table is computed for the current data and settings.
    pins : int
        Times a point was pinned.
    predictions : int
        Predictions made and revealed.
    next_presses : int
        Times Next was pressed.
    answers : int
        Right answers chosen to the steps' questions.
    """

    e_steps: int = 0
    m_steps: int = 0
    k: int = 1
    covariance: str = "full"
    mode: str = "em"
    reg_covar: float = 1e-6
    collapsed: bool = False
    converged: bool = False
    log_likelihood: float | None = None
    best_log_likelihood: float | None = None
    drags: int = 0
    restarts_runs: int = 0
    bic_done: bool = False
    pins: int = 0
    predictions: int = 0
    next_presses: int = 0
    answers: int = 0

    @property
    def half_steps(self) -> int:
        """Half-steps taken since the lesson began: E-steps plus M-steps."""
        return self.e_steps + self.m_steps

    @classmethod
    def from_session(cls, session, **counters) -> "LabState":
        """A snapshot of an ``app.session.Session``, read through its public parameters only.

        Parameters
        ----------
        session : app.session.Session
            Read, never changed (and not imported here: any object with the same names works).
        **counters
            What the session does not count, kept by the lesson panel from the actions it sees:
            ``drags``, ``restarts_runs``, ``pins``, ``predictions``, ``next_presses``,
            ``answers``, ``best_log_likelihood`` (the best converged log-likelihood the panel has seen for this
            data, K and covariance type; the session's restarts count too), and ``e_steps`` /
            ``m_steps`` (by default the E and M records in the session's history, which Step back
            shortens).

        Returns
        -------
        LabState
        """
        history = tuple(session.history)
        kinds = [getattr(record, "kind", "") for record in history]
        best = counters.pop("best_log_likelihood", None)
        known = [best] if best is not None else []
        known += [r.log_likelihood for r in session.restarts if not r.collapsed]
        values = dict(
            e_steps=kinds.count("E"),
            m_steps=kinds.count("M"),
            k=int(session.n_components),
            covariance=str(session.covariance_type),
            mode=str(session.mode),
            reg_covar=float(session.reg_covar),
            collapsed=bool(session.collapse),
            converged=bool(session.converged),
            log_likelihood=float(session.current_log_likelihood()) if history else None,
            best_log_likelihood=max(known) if known else None,
            bic_done=bool(session.model_selection),
        )
        values.update(counters)
        return cls(**values)


def _worse_optimum(state: LabState) -> bool:
    return (
        state.converged
        and not state.collapsed
        and state.log_likelihood is not None
        and state.best_log_likelihood is not None
        and state.log_likelihood < state.best_log_likelihood - WORSE_MARGIN
    )


# How each clause without a value is decided; events see both snapshots.
_DECIDERS = {
    "e-step": lambda b, a: a.e_steps > b.e_steps,
    "m-step": lambda b, a: a.m_steps > b.m_steps,
    "k-changed": lambda b, a: a.k != b.k,
    "mean-dragged": lambda b, a: a.drags > b.drags,
    "restarts-run": lambda b, a: a.restarts_runs > b.restarts_runs,
    "point-pinned": lambda b, a: a.pins > b.pins,
    "predicted": lambda b, a: a.predictions > b.predictions,
    "manual": lambda b, a: a.next_presses > b.next_presses,
    "answered": lambda b, a: a.answers > b.answers,
    "collapse": lambda b, a: a.collapsed,
    "no-collapse": lambda b, a: not a.collapsed,
    "converged": lambda b, a: a.converged,
    "worse-optimum": lambda b, a: _worse_optimum(a),
    "bic-computed": lambda b, a: a.bic_done,
}
# The quantity each valued clause compares.
_QUANTITIES = {
    "half-steps": lambda b, a: a.half_steps - b.half_steps,
    "k": lambda b, a: a.k,
    "reg-covar": lambda b, a: a.reg_covar,
    "mode": lambda b, a: a.mode,
    "covariance": lambda b, a: a.covariance,
}


def _clause_met(clause: Clause, before: LabState, after: LabState) -> bool:
    if clause.op is None:
        return bool(_DECIDERS[clause.name](before, after))
    quantity = _QUANTITIES[clause.name](before, after)
    if clause.name == "reg-covar" and clause.op == "=":
        # reg_covar travels through sliders and links as a float: equal to 1e-12 relative.
        return math.isclose(quantity, clause.value, rel_tol=1e-12, abs_tol=0.0)
    return bool(COMPARISONS[clause.op](quantity, clause.value))


def condition_met(condition: Condition | str, before: LabState, after: LabState) -> bool:
    """Is the step whose condition is ``condition`` done?

    Parameters
    ----------
    condition : Condition or str
        A parsed condition, or its text (parsed here; ``ConditionError`` if it is not valid).
    before : LabState
        The snapshot taken when the step began: events count from it.
    after : LabState
        The current snapshot: states are read from it.

    Returns
    -------
    bool
        True when every clause holds.
    """
    if isinstance(condition, str):
        condition = parse_condition(condition)
    return all(_clause_met(clause, before, after) for clause in condition.clauses)
