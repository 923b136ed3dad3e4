"""Every claim the narration makes is checked against the numbers it describes (issue 13: the
narration said a component holding one point has a weight that "heads for 0", though that weight
is steady at 1/N).

Each ``claim_*`` function below finds one kind of sentence in a narration or banner and asserts
that the session's numbers bear it out; ``check_claims`` runs all of them after every half-step of
the collapse scenarios (a collapse onto a point, onto a stack of copies, onto a line, with and
without a variance floor, a component holding one lone point, an empty component) and of ordinary
runs in both modes.
"""

import re

import numpy as np
import pytest

from app import em, narration
from app.narration import num, pct
from app.session import Session


def _record(s, back=0):
    return s.history[-1 - back]


def _n(s):
    return len(s.X)


# ---------------------------------------------------------------------------------- the claims
def claim_m_step_change(s, text):
    """"The log-likelihood rose by g to l per point" (or fell, or stayed): as the records say."""
    last = _record(s)
    if last.kind != "M" or last.mode != "em":
        return 0
    before = _record(s, 1).log_likelihood / _n(s)
    ll = last.log_likelihood / _n(s)
    rose = re.search(r"The log-likelihood rose by (\S+) to (\S+) per point", text)
    fell = re.search(r"The log-likelihood fell by (\S+) to (\S+) per point", text)
    stayed = re.search(r"The log-likelihood stayed at (\S+) per point", text)
    assert bool(rose) + bool(fell) + bool(stayed) == 1, text
    if rose:
        assert ll > before and rose.groups() == (num(ll - before), num(ll) + ""), text
    elif fell:
        assert ll < before and fell.groups() == (num(before - ll), num(ll)), text
    else:
        assert np.isclose(ll, before, rtol=1e-9, atol=1e-9) and stayed.group(1) == num(ll)
    return 1


def claim_bound_in_between(s, text):
    """"the lower bound with the old responsibilities is b, in between": old ≤ b ≤ new."""
    last = _record(s)
    if "in between" not in text:
        return 0
    before = _record(s, 1).log_likelihood / _n(s)
    ll, elbo = last.log_likelihood / _n(s), last.lower_bound / _n(s)
    slack = 1e-9 * max(1.0, abs(ll))
    assert before - slack <= elbo <= ll + slack, (before, elbo, ll)
    assert f"responsibilities is {num(elbo)}, in between" in text
    return 1


def claim_largest_move(s, text):
    """"Component k now explains p% of the data; its mean moved d units (the largest move)"."""
    found = re.search(r"Component (\d+) now explains (\S+) of the data; its mean moved (\S+) "
                      r"units \(the largest move\)", text)
    if not found:
        return 0
    old, new = _record(s, 1).mixture, _record(s).mixture
    moved = np.linalg.norm(new.means - old.means, axis=1)
    k = int(found.group(1)) - 1
    assert moved[k] == moved.max() > 0
    assert found.group(2) == pct(new.weights[k]) and found.group(3) == num(moved[k])
    return 1


def claim_e_step_keeps_the_likelihood(s, text):
    """E-step: "the log-likelihood is still l per point, and the lower bound has risen to touch
    it": same mixture, same likelihood, bound equal to it and not below the bound before."""
    if "has risen to touch it" not in text:
        return 0
    last, before = _record(s), _record(s, 1)
    assert last.kind == "E" and last.mixture is before.mixture
    assert last.log_likelihood == before.log_likelihood
    assert np.isclose(em.lower_bound(s.X, s.resp, last.mixture), last.log_likelihood)
    assert last.lower_bound >= before.lower_bound - 1e-9 * abs(before.lower_bound)
    assert f"still {num(last.log_likelihood / _n(s))} per point" in text
    return 1


def claim_changed_points(s, text):
    """"c of n points changed their most likely component" / "No point changed"."""
    found = re.search(r"(\d+) of (\d+) points changed their most likely component", text)
    if not found and "No point changed its most likely component" not in text:
        return 0
    # the labels before this E-step: those shown one half-step back
    s.back()
    before = np.asarray(s.labels()).copy()
    s.e_step()
    changed = int(np.count_nonzero(np.asarray(s.labels()) != before))
    if found:
        assert int(found.group(1)) == changed > 0 and int(found.group(2)) == _n(s)
    else:
        assert changed == 0
    return 1


def claim_largest_share(s, text):
    """"Component k now claims the largest share (p%); q of the points are more than 90% sure"."""
    found = re.search(r"Component (\d+) now claims the largest share \((\S+)\); (\S+) of the "
                      r"points are more than 90% sure", text)
    if not found:
        return 0
    shares = s.resp.sum(axis=0) / _n(s)
    k = int(found.group(1)) - 1
    assert shares[k] == shares.max() and found.group(2) == pct(shares[k])
    assert found.group(3) == pct(np.mean(s.resp.max(axis=1) > 0.9))
    return 1


def claim_starving(s, text):
    """The starving note: its share of the data and what its weight does, as the numbers say."""
    found = re.search(r"Component (\d+) is starving: it is responsible for ([^,]+(?:, a single "
                      r"point)?),", text)
    if not found:
        return 0
    k = int(found.group(1)) - 1
    event, = [e for e in _record(s).starved if e.component == k]
    nk = float(s.resp[:, k].sum())
    assert np.isclose(event.nk, nk) and nk < 1
    share = found.group(2)
    if share == "almost none of the data":
        assert nk < 0.01
    elif share.startswith("about one point's worth"):
        assert 0.995 < nk < 1 and np.sum(s.resp[:, k] > 0.5) == 1       # one point, all but held
    else:
        assert share == f"only {num(nk)} of a point's worth of data"
    w = float(_record(s).mixture.weights[k])
    w0 = float(_record(s, 1).mixture.weights[k])
    if "fading away" in text:
        assert (w - w0) / w0 < -0.01 and f"fell from {num(w0)} to {num(w)}" in text
    if "holds steady" in text:
        assert abs(w - w0) / w0 <= 0.01 and f"holds steady at {num(w)}" in text
        assert "heads for 0" not in text
    if "keeps its point" in text:
        assert nk >= 0.5
    if "practically 0, and stays there" in text:
        assert w < 1e-6 and abs(w - w0) <= 0.01 * w0
    if "rose from" in text:
        assert w > w0
    return 1


def claim_converged(s, text):
    """"Converged after n iterations: the log-likelihood per point changed by less than the
    tolerance"."""
    if "**Converged**" not in text or s.mode != "em":
        return 0
    last = _record(s)
    m_steps = [r for r in s.history if r.kind in ("M", "init")]
    change = abs(m_steps[-1].log_likelihood - m_steps[-2].log_likelihood) / _n(s)
    assert change < s.tol and f"after {last.iteration} iterations" in text
    return 1


def claim_inertia(s, text):
    """k-means update: "inertia fell from a to b" only when it fell; "stays at" when equal."""
    found = re.search(r"inertia fell from (\S+) to (\S+)\.", text)
    if not found:
        return 0
    before, after = _record(s, 1).inertia, _record(s).inertia
    assert after < before and found.groups() == (num(before), num(after))
    return 1


def claim_collapse_banner(s, banner):
    """The banner: which component, onto what (one point, a stack of copies, a line), its
    variance, and what the likelihood does."""
    if not banner:
        return 0
    event = s.collapse[0]
    k = event.component
    cov = s.mixture.full_covariances()[k]
    thin, wide = np.linalg.eigvalsh(cov)
    held = s.resp[:, k] > 0.5
    assert f"Component {k + 1} collapsed" in banner
    if "around a single point, the only one it holds" in banner:
        assert event.onto == "point" and 0.5 <= event.nk < 1.5 and held.sum() == 1
        assert f"its variance shrank to {num(thin)}" in banner
    elif "around a stack of copies of one point" in banner:
        points = s.X[held]
        assert event.onto == "stack" and len(points) >= 2 and np.all(points == points[0])
        assert f"({num(event.nk)} points' worth)" in banner
    elif "flattened onto a line of points" in banner:
        points = s.X[held] - s.mixture.means[k]
        _, direction = np.linalg.eigh(cov)
        across = points @ direction[:, 0]            # distance across the line
        assert event.onto == "line" and np.all(np.abs(across) < 1e-6 * np.ptp(s.X))
        assert f"across the line shrank to {num(thin)} (along it, {num(wide)})" in banner
    else:
        raise AssertionError(banner)
    # "shrank": smaller than the same component's smallest variance at the start
    start = np.linalg.eigvalsh(s.history[0].mixture.full_covariances()[k])[0]
    assert thin < start
    if "the log-likelihood has no upper bound (→ +∞)" in banner:
        assert s.reg_covar == 0
        _grows_on(s, k)
    if "shoots up" in banner:
        assert s.reg_covar > 0
        _density_shot_up(s, k)
    return 1


def _grows_on(s, k):
    """"The thinner it gets, the higher ... the log-likelihood": from the iteration before to this
    one the component got thinner and the log-likelihood rose; and, where doubles can still hold
    a thinner covariance, making it 10 and 100 times thinner across its thinnest direction (mean
    and the other direction kept) raises the log-likelihood each time."""
    before = [r for r in s.history if r.kind in ("M", "init")][-2]
    assert (np.linalg.eigvalsh(before.mixture.full_covariances()[k])[0]
            > np.linalg.eigvalsh(s.mixture.full_covariances()[k])[0])
    assert before.log_likelihood < _record(s).log_likelihood
    covariances = s.mixture.full_covariances()
    values, vectors = np.linalg.eigh(covariances[k])
    if values[0] < 1e-9 * values[1]:        # at the engine's floor: nothing thinner to try
        return
    lls = []
    for shrink in (1.0, 0.1, 0.01):
        thinner = covariances.copy()
        thinner[k] = vectors @ np.diag([values[0] * shrink, values[1]]) @ vectors.T
        mixture = em.Mixture(s.mixture.weights, s.mixture.means, thinner, "full")
        lls.append(em.log_likelihood(s.X, mixture))
    assert lls[0] < lls[1] < lls[2], lls


def _density_shot_up(s, k):
    """The component's density at its point is far above what it was one iteration before."""
    i = int(np.argmax(s.resp[:, k]))
    x = s.X[i:i + 1]

    def log_density(mixture):
        only = em.Mixture(np.ones(1), mixture.means[k:k + 1],
                          mixture.full_covariances()[k:k + 1], "full")
        return em.log_likelihood(x, only)

    before = [r for r in s.history if r.kind in ("M", "init")][-2].mixture
    assert log_density(s.mixture) > log_density(before) + np.log(100)


CLAIMS = (claim_m_step_change, claim_bound_in_between, claim_largest_move,
          claim_e_step_keeps_the_likelihood, claim_changed_points, claim_largest_share,
          claim_starving, claim_converged, claim_inertia)


def check_claims(s, seen):
    """Run every claim on the session's narration and banner; count which ones were checked."""
    for claim in CLAIMS:
        if claim(s, s.narration):
            seen.add(claim.__name__)
    if claim_collapse_banner(s, s.collapse_banner):
        seen.add("claim_collapse_banner")


def walk(s, seen, max_half_steps=60):
    """Half-steps until converged or collapsed, checking every claim after each."""
    check_claims(s, seen)
    for _ in range(max_half_steps):
        if s.collapse or (s.converged and s.phase == "E"):
            break
        (s.e_step if s.phase == "E" else s.m_step)()
        check_claims(s, seen)
    return s


# ---------------------------------------------------------------------------------- scenarios
def test_collapse_onto_a_point_without_a_floor():
    """Break it (ε = 0): the banner's single point, its variance and the unbounded growth."""
    s = Session()
    s.break_it()
    seen = set()
    walk(s, seen)
    assert s.collapse and s.collapse[0].onto == "point"
    assert {"claim_collapse_banner", "claim_m_step_change", "claim_bound_in_between",
            "claim_e_step_keeps_the_likelihood", "claim_largest_share"} <= seen
    assert "the thinner it gets, the higher its density" in s.collapse_banner


def test_collapse_onto_a_point_with_a_small_floor():
    """Break it, then ε = 10⁻⁶: the component is still a spike whose density shoots up."""
    s = Session()
    s.break_it()
    s.reg_covar = 1e-6
    seen = set()
    walk(s, seen)
    assert s.collapse and "shoots up" in s.collapse_banner and "claim_collapse_banner" in seen


def test_a_component_holding_one_lone_point_keeps_a_steady_weight():
    """Guards issue 13: with ε = 10⁻³ the component on the lone point of the collapse demo holds
    that one point; its weight stays at 1/N, and the narration says so (not "heads for 0")."""
    s = Session()
    s.break_it()
    s.reg_covar = 1e-3
    seen = set()
    walk(s, seen, max_half_steps=16)
    assert "claim_starving" in seen
    assert "holds steady" in s.narration and "keeps its point" in s.narration
    assert "heads for 0" not in s.narration and "fading away" not in s.narration
    np.testing.assert_allclose(s.mixture.weights[0], 1 / len(s.X), rtol=1e-3)


def test_an_empty_component_fades_and_then_stays_at_zero():
    """A component far from every point: its weight falls (said so, with both numbers), then it
    stays practically 0 (said so), never "keeps its point"."""
    X = np.random.default_rng(0).normal(size=(200, 2))
    s = Session(X=X, n_components=2, reg_covar=1e-6)
    s.move_means([[0.0, 0.0], [40.0, 40.0]])
    seen, texts = set(), []
    check_claims(s, seen)
    for _ in range(6):
        s.e_step()
        check_claims(s, seen)
        s.m_step()
        check_claims(s, seen)
        texts.append(s.narration)
    assert "fading away" in texts[0] and "practically 0, and stays there" in texts[1]
    assert not any("keeps its point" in t for t in texts)
    assert "claim_starving" in seen


def test_collapse_onto_a_stack_of_copies():
    """Five copies of one point away from a cluster: a component settles on the stack."""
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0.0, 1.0, size=(60, 2)), np.repeat([[8.0, 8.0]], 5, axis=0)])
    s = Session(X=X, n_components=2, reg_covar=0.0)
    s.move_means([[0.0, 0.0], [8.0, 8.0]])
    seen = set()
    walk(s, seen)
    assert s.collapse and s.collapse[0].onto == "stack" and "claim_collapse_banner" in seen


def test_collapse_onto_a_line():
    """Points on a line away from a cluster: a component flattens onto the line."""
    rng = np.random.default_rng(2)
    line = np.column_stack([np.linspace(6.0, 9.0, 6), np.full(6, 7.0)])
    X = np.concatenate([rng.normal(0.0, 1.0, size=(60, 2)), line])
    s = Session(X=X, n_components=2, reg_covar=0.0)
    s.move_means([[0.0, 0.0], [7.5, 7.0]])
    seen = set()
    walk(s, seen)
    assert s.collapse and s.collapse[0].onto == "line" and "claim_collapse_banner" in seen


@pytest.mark.parametrize("dataset, mode", [("old_faithful", "em"), ("six_points", "em"),
                                           ("blobs", "kmeans"), ("local_optima", "em")])
def test_ordinary_runs_claim_only_what_the_numbers_show(dataset, mode):
    """A whole run to convergence, half-step by half-step: every claim holds at every step."""
    s = Session(dataset=dataset)
    s.mode = mode
    seen = set()
    walk(s, seen, max_half_steps=400)
    assert s.converged
    expected = ({"claim_inertia"} if mode == "kmeans" else
                {"claim_m_step_change", "claim_bound_in_between", "claim_largest_move",
                 "claim_e_step_keeps_the_likelihood", "claim_changed_points",
                 "claim_largest_share", "claim_converged"})
    assert expected <= seen, expected - seen


def test_starving_note_from_its_numbers_alone():
    """starved_text says "fading" only for a falling weight and "holds steady" only for a steady
    one, and never that a steady weight heads for 0."""
    event = em.CollapseEvent(0, "starved", "", 1.0, 0.9999, 1.0)
    steady = narration.starved_text(event, 0.005, 0.00499)
    assert "holds steady at 0.00500" in steady and "keeps its point" in steady
    assert "fading away" not in steady and "heads for 0" not in steady
    falling = narration.starved_text(em.CollapseEvent(0, "starved", "", 1.0, 0.004, 1.0),
                                     0.001, 0.2)
    assert "fell from 0.200 to 0.00100" in falling and "fading away" in falling
