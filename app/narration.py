"""Every text a learner reads in EM Lab: narration of each half-step, equations, banners, messages.

This is the one content module (STYLE.md): callbacks and the session never compose learner-facing
sentences themselves, they call a function here with the numbers.  Texts are Markdown; equations
are LaTeX for KaTeX, written between ``$$`` in the narration and bare in :func:`equation`.
Components are named 1-based ("component 2") because that is how learners count; the session and
the engine index them from 0.

Imports numpy only (no param, panel, bokeh, matplotlib): everything here is a pure function of
the numbers it is given.  Records are duck-typed (the session's ``HalfStep`` and the engine's
``Mixture`` / ``CollapseEvent``), so this module does not import the session either.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------------------------------
# Equations (LaTeX, KaTeX-compatible)
# --------------------------------------------------------------------------------------------------
E_STEP = (r"r_{ik} = \frac{\pi_k\,\mathcal{N}(x_i \mid \mu_k, \Sigma_k)}"
          r"{\sum_{j=1}^{K} \pi_j\,\mathcal{N}(x_i \mid \mu_j, \Sigma_j)}")

_M_COMMON = (r"N_k = \sum_{i} r_{ik},\quad \pi_k = \frac{N_k}{N},\quad "
             r"\mu_k = \frac{1}{N_k}\sum_{i} r_{ik}\,x_i,\quad ")
M_STEP = {
    "full": _M_COMMON + (r"\Sigma_k = \frac{1}{N_k}\sum_{i} r_{ik}\,(x_i-\mu_k)(x_i-\mu_k)^{\top}"
                         r" + \varepsilon I"),
    "tied": _M_COMMON + (r"\Sigma = \frac{1}{N}\sum_{k}\sum_{i} r_{ik}\,"
                         r"(x_i-\mu_k)(x_i-\mu_k)^{\top} + \varepsilon I"),
    "diag": _M_COMMON + (r"\sigma_{kd}^2 = \frac{1}{N_k}\sum_{i} r_{ik}\,(x_{id}-\mu_{kd})^2"
                         r" + \varepsilon"),
    "spherical": _M_COMMON + (r"\sigma_k^2 = \frac{1}{2N_k}\sum_{i} r_{ik}\,"
                              r"\lVert x_i-\mu_k\rVert^2 + \varepsilon"),
}
KMEANS_E_STEP = (r"z_i = \arg\min_{k}\ \lVert x_i-\mu_k\rVert^2,\qquad "
                 r"J = \sum_{i}\lVert x_i-\mu_{z_i}\rVert^2")
KMEANS_M_STEP = (r"\mu_k = \frac{1}{|C_k|}\sum_{i \in C_k} x_i,\qquad "
                 r"C_k = \{\, i : z_i = k \,\}")
ELBO = (r"\mathcal{L}(q,\theta) = \sum_{i}\sum_{k} q_{ik}\,"
        r"\log\frac{\pi_k\,\mathcal{N}(x_i \mid \mu_k,\Sigma_k)}{q_{ik}}"
        r" \;\le\; \log p(X \mid \theta)")

EM_NOTE = ("**Back to EM.** Every point is shared again between the components in proportion to "
           "how well each explains it (soft responsibilities); each component has its own weight "
           "and covariance, and the trace shows the log-likelihood and its lower bound, which both "
           "half-steps raise.")

KMEANS_NOTE = ("**K-means mode.** Same data, but every point belongs wholly to its nearest mean "
               "(hard assignments), all clusters weigh the same and share one round variance, so "
               "the ellipses are equal circles. K-means lowers the *inertia* (the sum of squared "
               "distances to the assigned means), so the trace shows inertia instead of the "
               "log-likelihood; both half-steps can only lower it.")


FLOOR = "the variance floor ε"
"""How learners read reg_covar: the ε the M-step's equation adds to every variance."""


def equation(phase, mode="em", covariance_type="full"):
    """LaTeX (no ``$$``) of the half-step ``phase`` ("E" or "M") in ``mode``."""
    if mode == "kmeans":
        return KMEANS_E_STEP if phase == "E" else KMEANS_M_STEP
    return E_STEP if phase == "E" else M_STEP[covariance_type]


# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def num(x, digits=3):
    """A float for reading: ``digits`` significant figures, a true minus sign, and powers of ten
    (2.54×10⁻⁵) only for very small or large magnitudes."""
    x = float(x)
    if not np.isfinite(x):
        return "+∞" if x > 0 else ("−∞" if x < 0 else "undefined")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(x)))))
        text = f"{x:.{decimals}f}"
    else:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−")


def pct(x):
    """A fraction as a percentage for reading ("38%", "0.4%")."""
    p = 100 * float(x)
    return f"{p:.0f}%" if p >= 1 or p == 0 else f"{p:.1f}%"


def _name(k, capital=False):
    """A component as learners count it: ``_name(1)`` is "component 2"."""
    return f"{'Component' if capital else 'component'} {int(k) + 1}"


def _names_have(components, capital=False):
    """Components as learners count them, with the verb: "component 2 has", "components 2 and 3
    have", "components 1, 2 and 4 have"."""
    numbers = [str(int(k) + 1) for k in sorted(components)]
    word = "Component" if capital else "component"
    if len(numbers) == 1:
        return f"{word} {numbers[0]} has"
    return f"{word}s {', '.join(numbers[:-1])} and {numbers[-1]} have"


# --------------------------------------------------------------------------------------------------
# Narration of a half-step
# --------------------------------------------------------------------------------------------------
def narrate(last, previous, *, phase, n_points, resp, labels=None, origin="",
            covariance_type="full", reg_covar=1e-6, mode_switched=False):
    """Markdown: what the last half-step did (with its numbers) and what the next one will do.

    Parameters
    ----------
    last, previous : HalfStep or None   the latest history record and the one before it.
    phase : {"E", "M"}                  the half-step that comes next.
    n_points : int
    resp : ndarray of shape (n_points, n_components)   the responsibilities on display.
    labels : ndarray of shape (n_points,), optional    their argmax (saves a pass when given).
    origin : str                        how the start was chosen (for the "init" record).
    mode_switched : bool                the start follows a switch between EM and k-means.
    """
    mode = last.mode
    if last.kind == "init":
        did = describe_start(last, n_points, origin)
    elif last.kind == "E":
        did = (describe_kmeans_e_step(last, previous, n_points, resp) if mode == "kmeans"
               else describe_e_step(last, previous, n_points, resp, labels))
    else:
        did = (describe_kmeans_m_step(last, previous, n_points) if mode == "kmeans"
               else describe_m_step(last, previous, n_points))
    parts = [did]
    if getattr(last, "starved", ()):
        k = last.starved[0].component
        before = previous.mixture if previous is not None else None
        parts.append(starved_text(last.starved[0], float(np.asarray(last.mixture.weights)[k]),
                                  None if before is None else
                                  float(np.asarray(before.weights)[k])))
    if last.converged:
        parts.append(converged_text(last, mode))
    if last.collapse:
        who = _names_have([e.component for e in last.collapse], capital=True)
        parts.append(f"**{who} collapsed** (see the banner): "
                     f"step back, raise {FLOOR}, lower K or reset.")
    else:
        parts.append(describe_next(phase, mode, covariance_type, reg_covar))
        parts.append(f"$${equation(phase, mode, covariance_type)}$$")
    if last.kind == "init" and mode == "kmeans":
        parts.append(KMEANS_NOTE)
    elif last.kind == "init" and mode_switched:
        parts.append(EM_NOTE)
    return "\n\n".join(parts)


def describe_start(record, n_points, origin):
    """The start: where the means came from and why the points are not coloured yet."""
    K = record.mixture.n_components
    if record.mode == "kmeans":
        return (f"**Start.** {origin} In k-means all {K} clusters weigh the same and share one "
                f"round variance. No point is assigned yet, so every point is drawn in the blend "
                f"of all {K} colours.")
    ll = record.log_likelihood
    return (f"**Start.** {origin} Nothing is assigned yet: every point is shared equally, so it is "
            f"drawn in the blend of all {K} colours. Log-likelihood {num(ll)} "
            f"({num(ll / n_points)} per point); the lower bound with these equal shares is "
            f"{num(record.lower_bound / n_points)} per point.")


def describe_e_step(record, previous, n_points, resp, labels=None):
    """E-step: how many points changed component, the shares, the bound touching the likelihood."""
    shares = np.asarray(resp).sum(axis=0) / n_points
    k = int(np.argmax(shares))
    if previous is None or previous.kind == "init":
        changed = "Every point now shows its responsibilities: its colour blends the components "\
                  "in proportion to how much each one explains it."
    else:
        changed = (f"{record.changed} of {n_points} points changed their most likely component."
                   if record.changed else
                   "No point changed its most likely component; only the shades moved.")
    resp = np.asarray(resp)
    top = (resp.max(axis=1) if labels is None else resp[np.arange(len(resp)), labels])
    certain = float(np.mean(top > 0.9))
    return (f"**E-step {record.iteration}.** Each point's responsibilities were recomputed from "
            f"the current components. {changed} {_name(k, True)} now claims the largest share "
            f"({pct(shares[k])}); {pct(certain)} of the points are more than 90% sure of their "
            f"component. The parameters did not move, so the log-likelihood is still "
            f"{num(record.log_likelihood / n_points)} per point, and the lower bound has risen to "
            f"touch it.")


def describe_m_step(record, previous, n_points):
    """M-step: which component moved most, its new share, and how much the likelihood rose."""
    old, new = previous.mixture, record.mixture
    moved = np.linalg.norm(np.asarray(new.means) - np.asarray(old.means), axis=1)
    k = int(np.argmax(moved))
    weight = float(np.asarray(new.weights)[k])
    before = previous.log_likelihood / n_points
    ll, elbo = record.log_likelihood / n_points, record.lower_bound / n_points
    gain = ll - before
    if moved[k] > 0:
        move = (f"{_name(k, True)} now explains {pct(weight)} of the data; its mean moved "
                f"{num(moved[k])} units (the largest move).")
    else:
        move = "No mean moved."
    # Both claims are checked against the numbers: the rise (EM cannot lower the likelihood, but
    # the variance floor and rounding can leave it flat), and the bound between old and new.
    slack = 1e-9 * max(1.0, abs(ll))
    if gain > slack:
        change = f"The log-likelihood rose by {num(gain)} to {num(ll)} per point"
    elif gain < -slack:
        change = f"The log-likelihood fell by {num(-gain)} to {num(ll)} per point"
    else:
        change = f"The log-likelihood stayed at {num(ll)} per point"
    if before - slack <= elbo <= ll + slack and gain > slack:
        bound = (f"; the lower bound with the old responsibilities is {num(elbo)}, in between: "
                 f"the M-step raised the bound, and the true likelihood rose at least as much.")
    else:
        bound = f"; the lower bound with the old responsibilities is {num(elbo)}."
    return (f"**M-step {record.iteration}.** Every component moved to the weighted mean and spread "
            f"of the points it is responsible for. {move} {change}{bound} The colours still show "
            f"the responsibilities this M-step used; the next E-step recomputes them for the moved "
            f"components.")


def describe_kmeans_e_step(record, previous, n_points, resp):
    """K-means assignment step."""
    sizes = np.asarray(resp).sum(axis=0)
    empty = [int(k) for k in np.flatnonzero(sizes == 0)]
    if previous is None or previous.kind == "init":
        changed = "Every point now has the colour of its nearest mean."
    else:
        changed = (f"{record.changed} of {n_points} points switched cluster." if record.changed
                   else "No point switched cluster.")
    text = (f"**Assignment {record.iteration}.** Each point was assigned wholly to its nearest "
            f"mean (a hard E-step). {changed} Inertia is now {num(record.inertia)}.")
    if empty:
        text += (f" {_name(empty[0], True)} has no points; its mean will stay where it is.")
    return text


def describe_kmeans_m_step(record, previous, n_points):
    """K-means update step."""
    moved = np.linalg.norm(np.asarray(record.mixture.means) - np.asarray(previous.mixture.means),
                           axis=1)
    k = int(np.argmax(moved))
    text = (f"**Update {record.iteration}.** Each mean moved to the centroid of its points (a hard "
            f"M-step with equal weights and one shared round variance). ")
    if moved[k] == 0:
        return text + f"No mean moved: inertia stays at {num(record.inertia)}."
    text += f"{_name(k, True)} moved {num(moved[k])} units (the largest move); "
    if record.inertia < previous.inertia:
        return text + f"inertia fell from {num(previous.inertia)} to {num(record.inertia)}."
    return text + f"inertia stays at {num(record.inertia)}."


def describe_next(phase, mode, covariance_type="full", reg_covar=1e-6):
    """One or two sentences on what the next half-step will do."""
    if mode == "kmeans":
        if phase == "E":
            return ("**Next: assignment.** Every point joins the cluster of its nearest mean; "
                    "inertia cannot go up.")
        return ("**Next: update.** Every mean moves to the centroid of its cluster; inertia cannot "
                "go up.")
    if phase == "E":
        return ("**Next: E-step.** Keep the components fixed and ask, for every point, how much "
                "each component explains it (Bayes' rule). This lifts the lower bound until it "
                "touches the log-likelihood.")
    shape = {"full": "its own tilted ellipse", "tied": "one ellipse shape shared by all",
             "diag": "an axis-aligned ellipse", "spherical": "a circle"}[covariance_type]
    floor = (f" The variance floor ε = {num(reg_covar)} is added to every variance."
             if reg_covar > 0 else
             " The variance floor ε is 0: nothing stops a variance from shrinking to zero.")
    return (f"**Next: M-step.** Keep the responsibilities fixed and refit each component (weight, "
            f"mean, and {shape}) to the points, weighted by how much it is responsible for them."
            f"{floor}")


def starved_text(event, weight, previous_weight=None):
    """Note on a component that holds less than one point's worth of responsibility.

    ``weight`` is its weight after this half-step, ``previous_weight`` before it (None at the
    start). Only what these numbers show is said: a component holding one isolated point keeps a
    steady weight of about 1/N; one that holds almost nothing loses weight at every M-step.
    """
    who = _name(event.component, capital=True)
    if event.nk < 0.01:
        share = "almost none of the data"
    elif event.nk > 0.995:                        # "0.99997 points' worth" reads as one point
        share = "about one point's worth of data, a single point"
    else:
        share = f"only {num(event.nk)} of a point's worth of data"
    text = f"{who} is starving: it is responsible for {share}, so its shape rests on "
    text += "almost nothing." if event.nk < 0.5 else "that one point."
    if previous_weight is None or not np.isfinite(previous_weight) or previous_weight <= 0:
        return text + f" Its weight is {num(weight)}. EM can go on (lower K to drop it)."
    change = (weight - previous_weight) / previous_weight
    if weight < 1e-6 and abs(change) <= 0.01:
        return text + (f" Its weight is {num(weight)}, practically 0, and stays there. EM can go "
                       f"on (lower K to drop it).")
    if change < -0.01:
        return text + (f" Its weight fell from {num(previous_weight)} to {num(weight)} in this "
                       f"M-step: the component is fading away. EM can go on (lower K to drop "
                       f"it).")
    if change > 0.01:
        return text + (f" Its weight rose from {num(previous_weight)} to {num(weight)} in this "
                       f"M-step. EM can go on.")
    keeps = ", it keeps its point" if event.nk >= 0.5 else ""
    return text + (f" Its weight holds steady at {num(weight)} (it changed by less than 1% in "
                   f"this M-step): the component is not fading{keeps}. EM can go on; lower K "
                   f"to drop it, or leave it.")


def converged_text(record, mode):
    """Convergence note."""
    if mode == "kmeans":
        return (f"**Converged** after {record.iteration} iterations: no point switched cluster, "
                f"so the means will not move again.")
    return (f"**Converged** after {record.iteration} iterations: the log-likelihood per point "
            f"changed by less than the tolerance. This is a local optimum; another start may "
            f"find a different one (try the restarts explorer).")


# --------------------------------------------------------------------------------------------------
# Collapse
# --------------------------------------------------------------------------------------------------
def collapse_banner(event, mixture, reg_covar, n_components):
    """Markdown banner: which components collapsed, onto what, why it matters, and the remedies.

    ``event`` is one ``CollapseEvent`` or a sequence of them (several components can collapse at
    the same half-step): the banner names every one. The shape is the engine's ``event.onto``: a
    single point, a stack of copies of one point, or a line of points (two points always make one,
    and so do values rounded to a grid).
    """
    events = list(event) if isinstance(event, (list, tuple)) else [event]
    ontos = [_collapsed_onto(e, mixture) for e in events]
    if reg_covar == 0:
        growth = ("the thinner it gets, the higher its density there, and with it the "
                  f"log-likelihood: {FLOOR} is 0, so nothing stops the shrinking, and the "
                  "log-likelihood has no upper bound (→ +∞)")
    else:
        growth = (f"its density there, and with it the log-likelihood, shoots up: {FLOOR} "
                  f"({num(reg_covar)}) puts a floor under the variance, but far below the data's "
                  f"scale, so the component is still a spike (with ε = 0 the log-likelihood "
                  f"would grow without bound, → +∞)")
    if len(events) == 1:
        k = events[0].component
        return (f"### ⚠ {_name(k, True)} collapsed\n\n"
                f"{_name(k, True)} has collapsed: {ontos[0]}. So {growth}. This is not a better fit "
                f"but a degenerate one: for a Gaussian mixture the likelihood has no maximum, and EM "
                f"has found the way up its spike.\n\n{_collapse_remedies(n_components)}")
    numbers = [str(e.component + 1) for e in events]
    each = " ".join(f"{_name(e.component, True)} has collapsed: {onto}."
                    for e, onto in zip(events, ontos))
    return (f"### ⚠ Components {', '.join(numbers[:-1])} and {numbers[-1]} collapsed\n\n"
            f"{each} So, for each of them, {growth}. This is not a better fit but a degenerate "
            f"one: for a Gaussian mixture the likelihood has no maximum, and EM has found the way "
            f"up their spikes.\n\n{_collapse_remedies(n_components)}")


def _collapsed_onto(event, mixture):
    """What a collapsed component shrank onto, with its variances (a clause of the banner)."""
    variances = np.linalg.eigvalsh(np.asarray(mixture.full_covariances()[event.component]))
    thin, wide = float(variances[0]), float(variances[1])
    if event.onto == "point":
        return f"its variance shrank to {num(thin)} around a single point, the only one it holds"
    if event.onto == "line":
        return (f"it flattened onto a line of points: its variance across the line shrank to "
                f"{num(thin)} (along it, {num(wide)}), and the {num(event.nk)} points' worth it "
                f"holds lie exactly on that line")
    return (f"its variance shrank to {num(thin)} around a stack of copies of one point "
            f"({num(event.nk)} points' worth)")


def _collapse_remedies(n_components):
    return (f"**Remedies:** raise **the variance floor ε** (added to every variance; try 10⁻³), "
            f"lower **K** (now {n_components}), or **Reset** to a start that does not put a mean "
            f"on a lone point. **Step back** to watch it happen again.")


def blocked_by_collapse(events):
    """Why a half-step is refused while ``events`` (the session's em.CollapseEvents) stand."""
    who = _names_have([e.component for e in events], capital=True)
    return (f"{who} collapsed, so EM cannot go on: raise {FLOOR}, "
            f"lower K, reset, or step back.")


def redo_m_step(reg_covar, still_collapsed):
    if still_collapsed:
        return (f"The last M-step was redone with the variance floor ε = {num(reg_covar)}, and "
                f"the component still collapses: raise it further, lower K or reset.")
    return (f"The collapsing M-step was redone with the variance floor ε = {num(reg_covar)}: the "
            f"floor keeps every component a proper Gaussian, so EM can go on.")


def break_it_started(k, data_name):
    return (f"Break it: data {data_name}, the variance floor ε = 0, and {_name(k - 1)} starts on "
            f"the "
            f"isolated point. Press E-step (it takes that point to itself), then M-step, and watch "
            f"its ellipse shrink onto the point.")


# --------------------------------------------------------------------------------------------------
# Messages (non-fatal notes)
# --------------------------------------------------------------------------------------------------
def playing_fast(speed):
    return (f"**Playing at up to {num(speed, 2)} half-steps per second.** Too fast to read "
            "along: watch the colours, the ellipses and the trace. Pause (or slow Play to 2 per "
            "second or less) and the narration of each half-step comes back.")


def wrong_order(requested):
    other = "M" if requested == "E" else "E"
    return (f"The {other}-step comes next: EM alternates E and M, and a second {requested}-step "
            f"in a row would change nothing.")


def at_start():
    return "Already at the start: there is no half-step to undo."


def already_converged(iteration):
    return (f"Already converged (iteration {iteration}). Change K, the seed or the data, "
            f"or step by hand to see that nothing moves.")


def not_converged(max_iter):
    return (f"Stopped after {max_iter} iterations without converging; run again to continue "
            f"or raise the tolerance.")


def k_lowered(requested, allowed):
    return (f"K was lowered from {requested} to {allowed}: the data has only {allowed} distinct "
            f"point{'s' if allowed != 1 else ''}, and two components cannot both own one point.")


_SHARED_START = "every component starts with equal weight and the covariance of the whole data set."


_KMEANS_ORIGIN = {
    "k-means++": "k-means++ spread the means out over the data",
    "random_from_data": "The means are data points picked at random",
    "random": "The means come from random responsibilities (so they start near the data's centre)",
    "kmeans": "The means come from a finished k-means run (little is left to do)",
}


def origin_init(init, seed, mode="em"):
    """How the start was made, for the start narration."""
    if mode == "kmeans":
        return f"{_KMEANS_ORIGIN.get(init, init)} (seed {seed})."
    how = {
        "k-means++": f"k-means++ spread the means out over the data (seed {seed}); "
                     + _SHARED_START,
        "random_from_data": f"The means are data points picked at random (seed {seed}); "
                            + _SHARED_START,
        "random": f"Random responsibilities were drawn (seed {seed}) and one M-step turned them "
                  f"into components, so they start near the centre of the data, overlapping.",
        "kmeans": f"A k-means run (seed {seed}) labelled every point and one M-step fitted a "
                  f"component to each cluster.",
    }
    return how.get(init, f"The start comes from the {INIT_NAMES.get(init, 'chosen')} start "
                         f"(seed {seed}).")


def origin_dragged(mode="em"):
    """The start when the learner dropped the mean handles."""
    if mode == "kmeans":
        return "The means are where you dropped them."
    return "The means are where you dropped them; " + _SHARED_START


INIT_NAMES = {"k-means++": "k-means++", "random": "random", "random_from_data": "random from data",
              "kmeans": "k-means"}
"""How learners read each init (the Init picker's labels)."""


def init_failed(init, exc=None):
    """The chosen start could not be built on these data (``exc``, the engine's reason, is for
    developers and not shown)."""
    return (f"The {INIT_NAMES.get(init, 'chosen')} start cannot be built on these data; "
            f"k-means++ was used instead.")


def no_custom_data():
    return "No data of your own yet: upload a CSV or add points first."


def bad_data(reason):
    return (f"These data cannot be used: {reason}. EM needs a table of finite numbers with two "
            f"columns; the previous data were kept.")


def bad_point(xy):
    return "A point needs two coordinates, both finite numbers; nothing was added."


def _counted(index):
    """A 0-based index as learners count it (from 1), or "that one" for anything else."""
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        return f"number {int(index) + 1}"
    return "that one"


def bad_index(index, n, what="point"):
    """No ``what`` (point or component) at the 0-based ``index``: they are numbered 1 to n."""
    return f"There is no {what} {_counted(index)}: they are numbered from 1 to {n}."


def last_point():
    return "This is the last point: EM needs at least one."


def bad_means(shape, K):
    shape = tuple(shape)
    if shape == (K, 2):
        return (f"Each of the {K} means needs two finite coordinates; one of them is not a finite "
                f"number. Nothing changed.")
    got = (f"{shape[0]} means" if len(shape) == 2 and shape[1] == 2 else
           "something else")
    return f"Expected {K} means, each with two finite coordinates; got {got}. Nothing changed."


def bad_restart(i, n):
    if n == 0:
        return "Run the restarts first, then pick one to load."
    return f"There is no restart {_counted(i)}: they are numbered from 1 to {n}."


def restarts_done(restarts, n_optima):
    """After run_restarts: how many restarts, how many distinct optima, how many collapsed."""
    text = (f"{len(restarts)} restarts ended in {n_optima} distinct "
            f"{'optimum' if n_optima == 1 else 'optima'}.")
    collapsed = sum(r.collapsed for r in restarts)
    if collapsed:
        text += f" {collapsed} collapsed ({FLOOR} too small)."
    return text


def restart_loaded(i, restart):
    return (f"Loaded restart {i + 1} (seed {restart.seed}): replayed from its start, "
            f"{restart.n_iter} iterations; the trace shows its whole path.")


def restart_standing(value, kind, optimum, n_optima, converged, collapsed=False):
    """Where the current fit stands among the restarts' optima (``kind``: "same", "between",
    "above" or "below"; ``optimum`` 0-based, the best first; ``value`` per point)."""
    if collapsed:
        return (f"**Your fit now** has a collapsed component: its {num(value, 5)} per point is a "
                f"spike, not a better optimum. The dashed line marks it on the strip.")
    here = f"**Your fit now** ({num(value, 5)} per point"
    here += ")" if converged else ", not converged yet: it may still climb)"
    if kind == "same" and optimum == 0:
        where = "the best optimum the restarts found."
    elif kind == "same":
        where = (f"optimum {optimum + 1} of {n_optima}, a poorer local optimum than the best "
                 f"restart's: load the best restart to compare.")
    elif kind == "between":
        where = f"between optima {optimum + 1} and {optimum + 2}."
    elif kind == "above":
        where = "better than every restart."
    else:
        where = "below every restart's optimum: load the best restart to compare."
    return f"{here}: {where} The dashed line marks it on the strip."


def model_selection_done(rows, best, reg_used, reg_setting):
    if not rows:
        return "Model selection could not fit any K on these data."
    text = (f"BIC is lowest at K = {best}: the best trade-off between fit and the number of "
            f"parameters (lower is better).")
    if reg_used != reg_setting:
        text += (f" Fitted with the variance floor ε = {num(reg_used)}: with 0, a collapsed "
                 f"component has infinite likelihood and would always win.")
    return text
