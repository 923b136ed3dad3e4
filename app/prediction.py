"""Predict, then reveal: the learner guesses what the next half-step will do, then takes it.

Owns: Prediction, a small param.Parameterized beside the session (like ViewState). Two kinds:

- ``means``, before an M-step: a guess of where each component's mean will move (placed by clicks
  on the plot, one component after another). The M-step then reveals the new means, and how far
  each guess was, also as a fraction of the data's spread.
- ``colour``, before an E-step: for one point (the one pinned in Inspect), a guess of the
  component that will be most responsible for it. The E-step then reveals the point's
  responsibilities and whether the guess was right.

A prediction is revealed by the predicted half-step however it is taken (its button, a key,
Step); anything else that changes the fit first (Reset, step back, new data, another K) calls it
off with a short note. Composes its own words (short, for learners). Imports numpy, param and
app.narration (number formats) only: testable without a browser.
"""

from __future__ import annotations

import numpy as np
import param

from app.narration import num, pct

KINDS = ("means", "colour")
_COLLAPSED = ("A component has collapsed: recover first (Reset, or a larger variance floor ε), "
              "then predict.")


class Prediction(param.Parameterized):
    """One pending prediction at a time, and the outcome of the last one."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.Parameter(doc="The views' shared state (app.views.state.ViewState): its "
                                 "pinned point is the one a colour prediction is about.")

    kind = param.Selector(default=None, objects=[None, *KINDS], doc="What is being predicted, or "
                          "None when nothing is.")
    guesses = param.Parameter(default=(), doc="Means: one (x, y) per component placed so far, in "
                              "component order.")
    component = param.Integer(default=None, allow_None=True, doc="Colour: the component guessed "
                              "(0-based), or None while not chosen.")
    point = param.Integer(default=None, allow_None=True, doc="Colour: the point the guess is "
                          "about (0-based).")
    outcome = param.String(default="", doc="Markdown: the last reveal, or why a prediction was "
                           "called off, or why one cannot start now.")
    revealed = param.Parameter(default=None, doc="The last reveal's numbers: for means, a dict "
                               "with guesses, means and distances; for colour, with point, "
                               "guess, resp and right.")
    count = param.Integer(default=0, doc="Predictions revealed so far (a lesson counts them).")

    def __init__(self, **params):
        super().__init__(**params)
        self._history_length = None
        self._fit = None  # (X, K): what the prediction was made on
        self.session.param.watch(self._on_session, ["version"])

    # ------------------------------------------------------------------------------ starting

    def start_means(self) -> bool:
        """Begin guessing the means of the next M-step; False (and a note) when the next
        half-step is not an M-step."""
        s = self.session
        if s.phase != "M":
            return self._refuse("The next half-step is an E-step. Take it first: the means "
                                "move in the M-step after it.")
        if s.collapse:
            return self._refuse(_COLLAPSED)
        self._begin("means")
        self.outcome = (f"Click on the plot where you think the mean of component 1 will be "
                        f"after the M-step ({s.n_components} to place).")
        return True

    def start_colour(self) -> bool:
        """Begin guessing the colour of the pinned point after the next E-step; False (and a
        note) when the next half-step is not an E-step or no point is pinned."""
        s = self.session
        if s.phase != "E":
            return self._refuse("The next half-step is an M-step. Take it first: the colours "
                                "change in the E-step after it.")
        pinned = self.view_state.pinned if self.view_state is not None else None
        if pinned is None or not 0 <= pinned < len(s.X):
            return self._refuse("Click a point on the plot first (it is pinned in Inspect), "
                                "then predict its colour.")
        if s.collapse:
            return self._refuse(_COLLAPSED)
        self._begin("colour")
        self.point = int(pinned)
        self.outcome = (f"Which component will be most responsible for point #{pinned + 1} "
                        "after the E-step? Choose one, then take the E-step.")
        return True

    def place(self, x: float, y: float) -> bool:
        """Place the guess for the next component's mean (means predictions only)."""
        k = self.session.n_components
        if self.kind != "means" or len(self.guesses) >= k:
            return False
        if not (np.isfinite(x) and np.isfinite(y)):
            return False
        self.guesses = (*self.guesses, (float(x), float(y)))
        left = k - len(self.guesses)
        self.outcome = (f"Now component {len(self.guesses) + 1} ({left} to place)." if left else
                        "All placed. Take the M-step to see where the means really go.")
        return True

    def choose(self, component: int) -> bool:
        """Guess the component (0-based) for a colour prediction."""
        if self.kind != "colour" or not 0 <= component < self.session.n_components:
            return False
        self.component = int(component)
        self.outcome = (f"You chose component {component + 1} for point #{self.point + 1}. "
                        "Take the E-step to see.")
        return True

    def cancel(self, note: str = "") -> None:
        self.kind, self.guesses, self.component, self.point = None, (), None, None
        self._history_length = None
        self.outcome = note

    @property
    def ready(self) -> bool:
        """True when the guess is complete (every mean placed, or a component chosen)."""
        if self.kind == "means":
            return len(self.guesses) == self.session.n_components
        return self.kind == "colour" and self.component is not None

    # ------------------------------------------------------------------------------ revealing

    def _begin(self, kind):
        s = self.session
        self.guesses, self.component, self.point, self.revealed = (), None, None, None
        self._history_length = len(s.history)
        self._fit = (s.X, s.n_components)
        self.kind = kind

    def _refuse(self, note) -> bool:
        self.cancel(note)
        return False

    def _on_session(self, *events):
        s = self.session
        if self.kind is None:
            if self.guesses and self._fit != (s.X, s.n_components):
                self.guesses, self.revealed = (), None  # stale marks on other data or K
            return
        history = s.history
        if self._fit != (s.X, s.n_components) or len(history) < self._history_length:
            return self.cancel("Prediction called off: the fit started again before the "
                               "half-step you predicted.")
        if len(history) == self._history_length:
            return  # something else changed (a message, the pinned point): still waiting
        record = history[self._history_length]
        expected = "M" if self.kind == "means" else "E"
        if record.kind != expected:
            return self.cancel("Prediction called off: the fit started again before the "
                               "half-step you predicted.")
        if not self.ready:
            return self.cancel("Prediction called off: the half-step came before the guess was "
                               "complete.")
        if self.kind == "means":
            self._reveal_means(np.asarray(record.mixture.means, dtype=float))
        else:
            self._reveal_colour()

    def _reveal_means(self, means):
        s = self.session
        guesses = np.asarray(self.guesses, dtype=float)
        distances = np.hypot(*(guesses - means).T)
        spread = float(np.sqrt(np.trace(np.atleast_2d(np.cov(np.asarray(s.X, float).T)))))
        spread = spread if np.isfinite(spread) and spread > 0 else 1.0
        lines = [f"- component {k + 1}: off by {num(d)} ({pct(d / spread)} of the data's spread)"
                 for k, d in enumerate(distances)]
        best = int(np.argmin(distances))
        verdict = ("Close everywhere: each mean went to the weighted average of the points it "
                   "is responsible for." if np.all(distances / spread < 0.1) else
                   f"Closest for component {best + 1}. Each mean moves to the average of all "
                   "points, each weighted by its responsibility for that component.")
        self.revealed = {"guesses": guesses, "means": means, "distances": distances,
                         "spread": spread}
        self._finish("**Where the means went** (× your guess, ● the new mean):\n\n"
                     + "\n".join(lines) + f"\n\n{verdict}")

    def _reveal_colour(self):
        s = self.session
        i, guess = self.point, self.component
        resp = np.asarray(s.resp[i], dtype=float)
        truth = int(np.argmax(resp))
        right = truth == guess
        shares = ", ".join(f"r{k + 1} = {num(r, 2)}" for k, r in enumerate(resp))
        if right:
            verdict = f"Right: component {truth + 1} took the largest share."
        else:
            verdict = (f"Not quite: component {truth + 1} took the largest share; component "
                       f"{guess + 1} got {pct(resp[guess])}.")
        if resp[truth] < 0.8:
            verdict += (" No component is sure of this point: its colour is a blend, and it "
                        "counts partly for each in the next M-step.")
        self.revealed = {"point": i, "guess": guess, "resp": resp, "right": right}
        self._finish(f"**Point #{i + 1} after the E-step**: {shares}.\n\n{verdict}")

    def _finish(self, text):
        self.kind, self._history_length = None, None
        self.count += 1
        self.outcome = text
