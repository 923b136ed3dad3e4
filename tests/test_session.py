"""Tests of the EM session (app/session.py) and its narration: construct, act, assert."""

import os

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from app import data, em, narration
from app.session import CUSTOM, HalfStep, Session


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------
def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, -1.0]])
    return np.concatenate([rng.normal(c, 0.8, size=(n // 3, 2)) for c in centres])


def tight_and_lonely(seed=0):
    """A tight cluster plus one isolated point: the collapse scenario."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0.0, 0.5, size=(50, 2)), [[6.0, 6.0]]])


@pytest.fixture
def session():
    return Session(X=blobs(), n_components=3)


def all_finite(s):
    """Everything a view reads is finite (no NaN, no inf)."""
    m = s.mixture
    arrays = [s.X, s.resp, m.weights, m.means, m.covariances, s.uncertainty(),
              s.trace()["value"], s.trace()["lower_bound"]]
    numbers = [s.current_log_likelihood(), s.current_lower_bound()]
    texts = [s.narration, s.collapse_banner, s.message, s.equation]
    ok = all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in arrays)
    ok &= all(np.isfinite(v) for v in numbers)
    ok &= not any(w in t.lower() for t in texts for w in ("nan", " inf ", "inf)"))
    return ok


def run_to_collapse(s, max_iter=100):
    for _ in range(max_iter):
        if s.collapse:
            return True
        s.step()
    return bool(s.collapse)


# --------------------------------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------------------------------
def test_default_session_loads_a_dataset_and_waits_for_an_e_step():
    """A fresh session has data, one "init" record, phase E and uniform responsibilities."""
    s = Session()
    assert s.X.ndim == 2 and s.X.shape[1] == 2 and len(s.X) > 0
    assert s.data_name and s.dataset != CUSTOM
    assert s.phase == "E" and s.iteration == 0
    assert [r.kind for r in s.history] == ["init"]
    assert np.allclose(s.resp, 1.0 / s.n_components)
    assert "Start" in s.narration and "$$" in s.narration
    assert all_finite(s)


def test_session_from_array_uses_it_as_custom_data(session):
    """Session(X=...) installs the array as the user's data set."""
    assert session.dataset == CUSTOM
    assert np.array_equal(session.X, blobs())
    assert session.n_distinct == len(blobs())


def test_state_is_read_only(session):
    """State parameters are constant and arrays are not writable, so a view cannot corrupt them."""
    with pytest.raises(TypeError):
        session.phase = "M"
    with pytest.raises(ValueError):
        session.resp[0, 0] = 1.0
    with pytest.raises(ValueError):
        session.X[0, 0] = 1.0


# --------------------------------------------------------------------------------------------------
# Half-steps
# --------------------------------------------------------------------------------------------------
def test_m_step_is_refused_before_the_e_step(session):
    """Only the half-step named by phase is allowed; the other is refused with a message."""
    assert not session.can_m_step and session.can_e_step
    assert session.m_step() is False
    assert "E-step comes next" in session.message
    assert len(session.history) == 1 and session.phase == "E"


def test_e_step_is_refused_twice_in_a_row(session):
    """After an E-step, a second E-step is refused and the history does not grow."""
    assert session.e_step() is True
    assert session.phase == "M" and session.can_m_step and not session.can_e_step
    assert session.e_step() is False
    assert "M-step comes next" in session.message
    assert [r.kind for r in session.history] == ["init", "E"]


def test_e_step_sets_the_engines_responsibilities_and_the_bound_touches(session):
    """After an E-step resp equals em.e_step's and the ELBO equals the log-likelihood."""
    start = session.mixture
    session.e_step()
    resp, ll = em.e_step(session.X, start)
    assert session.mixture is start
    assert np.allclose(session.resp, resp)
    record = session.history[-1]
    assert record.kind == "E" and record.iteration == 1
    assert record.log_likelihood == pytest.approx(ll)
    assert em.lower_bound(session.X, session.resp, session.mixture) == pytest.approx(
        record.lower_bound, rel=1e-9)
    assert record.lower_bound == pytest.approx(record.log_likelihood, rel=1e-9)


def test_m_step_fits_the_engines_mixture_and_keeps_the_responsibilities_it_used(session):
    """After an M-step the mixture is em.m_step's and the view still shows the resp it used."""
    session.e_step()
    used = np.array(session.resp)
    session.m_step()
    expected = em.m_step(session.X, used, covariance_type="full", reg_covar=session.reg_covar)
    assert np.allclose(session.mixture.means, expected.means)
    assert np.allclose(session.mixture.covariances, expected.covariances)
    assert np.array_equal(session.resp, used)
    assert np.array_equal(session.display_resp(), used)
    record = session.history[-1]
    assert record.log_likelihood == pytest.approx(em.log_likelihood(session.X, session.mixture))
    assert record.lower_bound == pytest.approx(em.lower_bound(session.X, used, session.mixture))
    assert session.phase == "E" and session.iteration == 1


def test_both_half_steps_raise_the_lower_bound():
    """Every half-step raises the ELBO, which never exceeds the log-likelihood (Neal & Hinton)."""
    s = Session(X=blobs(seed=3), n_components=4, init="random_from_data", seed=2)
    for _ in range(30):
        s.e_step()
        s.m_step()
    elbo = np.array([r.lower_bound for r in s.history])
    ll = np.array([r.log_likelihood for r in s.history])
    assert np.all(np.diff(elbo) >= -1e-9 * np.abs(elbo[1:]))
    assert np.all(elbo <= ll + 1e-9 * np.abs(ll))
    m_ll = [r.log_likelihood for r in s.history if r.kind in ("init", "M")]
    assert np.all(np.diff(m_ll) >= -1e-9 * np.abs(np.array(m_ll[1:])))


def test_step_takes_a_whole_iteration_or_finishes_the_pending_half(session):
    """step() from phase E adds E and M; from phase M it adds only the M."""
    session.step()
    assert [r.kind for r in session.history] == ["init", "E", "M"]
    session.e_step()
    session.step()
    assert [r.kind for r in session.history] == ["init", "E", "M", "E", "M"]
    assert session.phase == "E" and session.iteration == 2


def test_m_step_narration_gives_the_actual_numbers(session):
    """The M-step narration names the component that moved most, its share and the distance."""
    session.e_step()
    before = session.mixture
    session.m_step()
    after = session.mixture
    moved = np.linalg.norm(after.means - before.means, axis=1)
    k = int(np.argmax(moved))
    text = session.narration
    assert f"Component {k + 1} now explains {narration.pct(after.weights[k])} of the data" in text
    assert f"its mean moved {narration.num(moved[k])} units" in text
    assert "responsibilities this M-step used" in text
    assert session.equation == narration.E_STEP and narration.E_STEP in text


@pytest.mark.parametrize("init, equal", [("k-means++", True), ("random_from_data", True),
                                         ("random", False), ("kmeans", False)])
def test_start_narration_describes_the_start_truthfully(init, equal):
    """Only the inits that start with equal weights and the data's covariance say so."""
    s = Session(X=blobs(), n_components=3, init=init)
    assert ("equal weight and the covariance of the whole data set" in s.narration) == equal
    assert np.allclose(s.mixture.weights, 1 / 3) or not equal
    assert f"(seed {s.seed})" in s.narration


@pytest.mark.parametrize("x, text", [(0, "0"), (0.5, "0.500"), (-4.5882, "−4.59"),
                                     (1376.47, "1376"), (2.54e-5, "2.54×10⁻⁵"), (1e-6, "1×10⁻⁶"),
                                     (-3e7, "−3×10⁷"), (float("inf"), "+∞")])
def test_numbers_read_well(x, text):
    """Narration numbers have three significant figures, a true minus and powers of ten."""
    assert narration.num(x) == text


def test_e_step_narration_counts_points_that_changed_component(session):
    """The second E-step says how many points changed their most likely component."""
    session.step()
    old = np.argmax(session.resp, axis=1)
    session.e_step()
    changed = int(np.sum(np.argmax(session.resp, axis=1) != old))
    assert session.history[-1].changed == changed
    assert (f"{changed} of {len(session.X)} points" in session.narration
            or "No point changed" in session.narration)
    assert session.equation == narration.M_STEP["full"]


# --------------------------------------------------------------------------------------------------
# Undo
# --------------------------------------------------------------------------------------------------
def test_back_restores_every_earlier_state_exactly(session):
    """Stepping back returns the mixture, responsibilities and phase of each earlier half-step."""
    snapshots = []
    for _ in range(6):
        snapshots.append((session.mixture, np.array(session.resp), session.phase,
                          session.iteration))
        session.e_step() if session.phase == "E" else session.m_step()
    for mixture, resp, phase, iteration in reversed(snapshots):
        assert session.back() is True
        assert session.mixture is mixture
        assert np.allclose(session.resp, resp)       # recomputed beyond the kept few
        assert session.phase == phase and session.iteration == iteration
    assert len(session.history) == 1


def test_back_past_the_start_is_refused(session):
    """At the start back() changes nothing and says so."""
    version = session.version
    assert session.back() is False
    assert "Already at the start" in session.message
    assert len(session.history) == 1 and session.version > version


def test_back_then_forward_gives_the_same_numbers(session):
    """Redoing an undone half-step reproduces it (the session is deterministic)."""
    session.step()
    session.step()
    ll = session.current_log_likelihood()
    session.back()
    session.back()
    session.step()
    assert session.current_log_likelihood() == pytest.approx(ll, rel=1e-12)


# --------------------------------------------------------------------------------------------------
# Run and play
# --------------------------------------------------------------------------------------------------
def test_run_stops_at_convergence(session):
    """run() iterates until the mean log-likelihood changes by less than tol."""
    assert session.run() is True
    assert session.converged and session.phase == "E"
    ms = [r.log_likelihood for r in session.history if r.kind in ("init", "M")]
    assert abs(ms[-1] - ms[-2]) / len(session.X) < session.tol
    assert abs(ms[-2] - ms[-3]) / len(session.X) >= session.tol
    assert "Converged" in session.narration


def test_run_at_convergence_is_refused(session):
    """A second run() at convergence says so and adds nothing."""
    session.run()
    n = len(session.history)
    assert session.run() is False
    assert "Already converged" in session.message
    assert len(session.history) == n


def test_run_respects_max_iter(session):
    """run(max_iter=2) takes exactly two iterations and says it did not converge."""
    session.run(max_iter=2)
    assert session.iteration == 2 and not session.converged
    assert "without converging" in session.message


def test_changing_tol_rejudges_convergence(session):
    """Lowering tol after convergence lets run() go on; raising it back marks convergence again."""
    session.run()
    n = len(session.history)
    session.tol = 1e-12
    assert not session.converged and session.history[-1].converged is False
    assert session.run() is True and len(session.history) > n
    session.tol = 1e-3
    assert session.converged


def test_play_ticks_half_steps_and_pauses_at_convergence(session):
    """Play takes one half-step per tick and pauses itself once converged."""
    assert session.tick() is False                     # not playing: the timer does nothing
    assert session.play() is True and session.playing
    ticks = 0
    while session.playing and ticks < 500:
        session.tick()
        ticks += 1
    assert not session.playing and session.converged
    assert ticks == len(session.history) - 1


def test_play_at_convergence_is_refused(session):
    """play() at convergence does not start and says why."""
    session.run()
    assert session.play() is False and not session.playing
    assert "Already converged" in session.message


def test_pause_stops_play(session):
    """pause() stops Play; tick() then does nothing."""
    session.play()
    session.tick()
    session.pause()
    n = len(session.history)
    assert session.tick() is False and len(session.history) == n


# --------------------------------------------------------------------------------------------------
# Re-seeding and settings
# --------------------------------------------------------------------------------------------------
def test_move_means_reseeds_and_resets_history(session):
    """Dropping the handles restarts EM at exactly those means, phase E, with a fresh history."""
    session.run()
    means = np.array([[-3.0, 3.0], [3.0, 3.0], [0.0, -3.0]])
    assert session.move_means(means) is True
    assert np.array_equal(session.mixture.means, means)
    assert [r.kind for r in session.history] == ["init"]
    assert session.phase == "E" and not session.converged and session.iteration == 0
    assert "where you dropped them" in session.narration


def test_move_mean_moves_one_handle(session):
    """move_mean(k, xy) re-seeds with one mean moved and the others kept."""
    before = np.array(session.mixture.means)
    session.move_mean(1, (10.0, -10.0))
    assert np.array_equal(session.mixture.means[1], [10.0, -10.0])
    assert np.array_equal(session.mixture.means[[0, 2]], before[[0, 2]])


def test_move_means_with_the_wrong_shape_is_refused(session):
    """Means of the wrong shape or with NaN change nothing and explain the expected shape."""
    session.step()
    n = len(session.history)
    assert session.move_means(np.zeros((2, 2))) is False
    assert "Expected 3 means" in session.message and "got 2 means" in session.message
    assert session.move_means([[0, 0], [1, np.nan], [2, 2]]) is False
    assert "not a finite number" in session.message
    assert session.move_mean(7, (0, 0)) is False
    assert "no component number 8" in session.message and "from 1 to 3" in session.message
    assert len(session.history) == n


@pytest.mark.parametrize("name, value", [("n_components", 4), ("covariance_type", "diag"),
                                         ("init", "random"), ("seed", 5), ("mode", "kmeans")])
def test_changing_a_start_setting_resets(session, name, value):
    """Changing K, covariance type, init, seed or mode restarts EM from a new start."""
    session.run()
    setattr(session, name, value)
    assert [r.kind for r in session.history] == ["init"] and session.phase == "E"
    assert session.mixture.n_components == session.n_components
    assert all_finite(session)


def test_reset_is_reproducible(session):
    """The start is a pure function of data, settings and seed."""
    first = session.mixture
    session.run()
    session.reset()
    assert np.array_equal(session.mixture.means, first.means)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("init", ["k-means++", "random", "random_from_data", "kmeans"])
def test_every_covariance_type_and_init_runs_cleanly(covariance_type, init):
    """Every covariance type and init runs to convergence with finite numbers."""
    s = Session(X=blobs(), n_components=3, covariance_type=covariance_type, init=init)
    s.run()
    assert s.converged and all_finite(s)
    assert s.equation == narration.E_STEP and s.phase == "E"


def test_every_action_bumps_version_once(session):
    """Each action announces itself in one batched event, so a view redraws once."""
    events = []
    session.param.watch(lambda e: events.append(e.new), "version")
    session.e_step()
    session.m_step()
    session.run()
    session.back()
    session.m_step()                                    # refused: still one event (the message)
    assert events == sorted(events) and len(events) == 5


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------
def test_changing_the_dataset_resets_cleanly():
    """Picking another data set loads it and restarts EM."""
    s = Session()
    s.run()
    other = next(n for n in s.param.dataset.objects if n not in (s.dataset, CUSTOM))
    s.dataset = other
    assert s.data_name == data.titles()[other] and len(s.history) == 1 and s.phase == "E"
    assert s.resp.shape == (len(s.X), s.n_components)
    assert all_finite(s)


@pytest.mark.parametrize("name", data.names())
def test_every_shipped_dataset_loads_with_its_suggested_k_and_runs(name):
    """Each shipped set loads with its suggested K and note; EM runs on it with finite numbers."""
    s = Session(dataset=name)
    ds = data.load(name)
    assert np.array_equal(s.X, ds.X) and s.columns == ds.columns
    assert s.n_components == ds.suggested_k and s.data_note == ds.note
    s.run(max_iter=30)
    assert all_finite(s)


def test_use_dataset_shows_what_the_loader_repaired(session):
    """A parsed CSV becomes the CUSTOM set and the loader's notes become the message."""
    ds = data.parse_csv("a,b\n1,2\n1,2\n3,4\n5,7\n", name="mine.csv")
    assert session.use_dataset(ds) is True
    assert session.dataset == CUSTOM and session.data_name == "mine.csv"
    assert session.n_distinct == 3 and len(session.X) == 4
    assert all(m in session.message for m in ds.messages)
    session.dataset = data.names()[0]
    session.dataset = CUSTOM                            # picking it again restores the upload
    assert session.data_name == "mine.csv" and len(session.X) == 4


def test_unknown_dataset_is_refused_and_keeps_the_data(session):
    """load_dataset with an unknown name keeps the current data and says so."""
    X = session.X
    assert session.load_dataset("no such set") is False
    assert session.message and session.X is X


def test_picking_custom_without_user_data_is_refused():
    """Choosing the CUSTOM entry before any upload keeps the data and puts the picker back."""
    s = Session()
    name = s.dataset
    s.dataset = CUSTOM
    assert s.dataset == name and "No data of your own" in s.message


def test_set_data_resets_and_bad_data_changes_nothing(session):
    """set_data installs new data; NaN, wrong shape or empty data are refused with a message."""
    session.run()
    X = session.X
    for bad, words in [(np.array([[0.0, np.nan]]), "missing or infinite"),
                       (np.zeros((4, 3)), "3 columns, not 2"),
                       (np.zeros((0, 2)), "no points"), ("text", "not a table")]:
        assert session.set_data(bad) is False
        assert words in session.message and session.X is X
    assert session.converged
    assert session.set_data(blobs(90, seed=4), name="mine", columns=("a", "b")) is True
    assert session.data_name == "mine" and session.columns == ("a", "b")
    assert len(session.X) == 90 and len(session.history) == 1


def test_add_and_remove_points(session):
    """add_point appends and remove_point deletes a point; both reset EM and mark data edited."""
    n = len(session.X)
    session.add_point((20.0, 20.0))
    assert len(session.X) == n + 1 and np.array_equal(session.X[-1], [20.0, 20.0])
    assert session.data_name.endswith("(edited)") and session.dataset == CUSTOM
    session.remove_point(0)
    assert len(session.X) == n and len(session.history) == 1
    assert session.add_point((np.inf, 0)) is False
    assert session.remove_point(10_000) is False


def test_removing_the_last_point_is_refused():
    """The last point cannot be removed."""
    s = Session(X=[[1.0, 2.0]], n_components=1)
    assert s.remove_point(0) is False and len(s.X) == 1


def test_k_above_distinct_points_is_lowered_with_a_message():
    """K larger than the number of distinct points is lowered, said, and EM still runs."""
    X = np.repeat([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], 5, axis=0)
    s = Session(X=X, n_components=2)
    s.n_components = 6
    assert s.n_components == 3 and s.n_distinct == 3
    assert "lowered from 6 to 3" in s.message
    s.run()
    assert all_finite(s)


def test_single_point_data_works_with_one_component():
    """One point: K drops to 1, every half-step is finite."""
    s = Session(X=[[2.0, 3.0]], n_components=4)
    assert s.n_components == 1
    s.step()
    s.step()
    assert all_finite(s)


# --------------------------------------------------------------------------------------------------
# Collapse
# --------------------------------------------------------------------------------------------------
def test_break_it_reaches_a_collapse_with_a_banner():
    """break_it() then stepping collapses a component; the banner names it with the remedies."""
    s = Session()
    s.break_it()
    assert s.reg_covar == 0.0 and s.mode == "em" and len(s.history) == 1
    assert "collapse" in s.data_name.lower()
    assert np.allclose(s.mixture.means[0], s.data_hints["isolated_point"])
    assert run_to_collapse(s, 50)
    event = s.collapse[0]
    banner = s.collapse_banner
    assert f"Component {event.component + 1} collapsed" in banner
    for words in ("variance", "→ +∞", "variance floor ε", "lower **K**", "Reset"):
        assert words in banner
    assert all_finite(s)


def test_collapse_by_stepping_with_reg_covar_zero():
    """A mean dropped on an isolated point with reg_covar 0 collapses onto it."""
    X = tight_and_lonely()
    s = Session(X=X, n_components=2, reg_covar=0.0)
    s.move_means([[6.0, 6.0], [0.0, 0.0]])
    assert run_to_collapse(s)
    assert s.collapse[0].component == 0
    assert s.collapse[0].kind == "singular"
    assert all_finite(s)


@pytest.mark.parametrize("extra, words", [([[6.0, 6.0]], "around a single point"),
                                          ([[6.0, 6.0]] * 3, "stack of copies of one point"),
                                          ([[6.0, 6.0], [7.0, 7.5]], "flattened onto a line")])
def test_the_banner_says_what_the_component_collapsed_onto(extra, words):
    """A lone point, a stack of copies and a pair of points each collapse, named as such."""
    X = np.concatenate([tight_and_lonely()[:-1], extra])
    s = Session(X=X, n_components=2, reg_covar=0.0)
    s.move_means([np.mean(extra, axis=0), [0.0, 0.0]])
    assert run_to_collapse(s)
    assert s.collapse[0].component == 0 and words in s.collapse_banner
    assert all_finite(s)


def test_a_thin_but_healthy_component_is_not_a_collapse():
    """Guards against a false alarm: six points on a line make thin components, not collapses."""
    s = Session(dataset="six_points", seed=1)
    assert s.run() is True
    assert s.converged and not s.collapse


def test_a_collapsed_session_refuses_to_go_on_but_can_step_back():
    """After a collapse forward actions are refused with the remedies; back() works."""
    s = Session(X=tight_and_lonely(), n_components=2, reg_covar=0.0)
    s.move_means([[6.0, 6.0], [0.0, 0.0]])
    run_to_collapse(s)
    n = len(s.history)
    for action in (s.e_step, s.m_step, s.step, s.run, s.play):
        assert action() is False
        assert "collapsed" in s.message and len(s.history) == n
    assert not s.can_e_step and not s.can_m_step
    assert s.back() is True and not s.collapse and s.collapse_banner == ""


def test_raising_reg_covar_redoes_the_collapsing_m_step():
    """The remedy: raising reg_covar redoes the last M-step, and the collapse goes away."""
    s = Session(X=tight_and_lonely(), n_components=2, reg_covar=0.0)
    s.move_means([[6.0, 6.0], [0.0, 0.0]])
    run_to_collapse(s)
    n = len(s.history)
    s.reg_covar = 0.1
    assert not s.collapse and len(s.history) == n
    assert "redone" in s.message
    assert np.all(np.linalg.eigvalsh(s.mixture.full_covariances()) >= 0.1)
    s.run()
    assert all_finite(s)


@pytest.mark.parametrize("reg_covar", [1e-6, 0.0])
def test_an_empty_component_starves_without_blocking_em(reg_covar):
    """A component far from all data is noted as starving, not a collapse, and EM goes on."""
    X = np.random.default_rng(0).normal(size=(200, 2))
    s = Session(X=X, n_components=2, reg_covar=reg_covar)
    s.move_means([[0.0, 0.0], [40.0, 40.0]])
    s.step()
    assert not s.collapse and s.history[-1].starved[0].component == 1
    assert "Component 2 is starving" in s.narration
    assert s.run() is True and s.converged
    assert s.mixture.weights[1] < 1e-6 and all_finite(s)


def test_play_pauses_at_collapse():
    """Play stops by itself when a component collapses."""
    s = Session(X=tight_and_lonely(), n_components=2, reg_covar=0.0)
    s.move_means([[6.0, 6.0], [0.0, 0.0]])
    s.play()
    for _ in range(200):
        if not s.playing:
            break
        s.tick()
    assert not s.playing and s.collapse


def test_collapse_trace_stays_finite():
    """The log-likelihood heads for +infinity at a collapse but every plotted number is finite."""
    s = Session(X=tight_and_lonely(), n_components=2, reg_covar=0.0)
    s.move_means([[6.0, 6.0], [0.0, 0.0]])
    run_to_collapse(s)
    trace = s.trace()
    assert np.all(np.isfinite(trace["value"])) and np.all(np.isfinite(trace["lower_bound"]))
    assert trace["value"][-1] > trace["value"][0]


# --------------------------------------------------------------------------------------------------
# K-means mode
# --------------------------------------------------------------------------------------------------
def test_kmeans_mode_uses_hard_assignments_and_inertia(session):
    """In k-means mode responsibilities are one-hot, weights equal and the trace shows inertia."""
    session.mode = "kmeans"
    assert "K-means mode" in session.narration
    session.e_step()
    assert set(np.unique(session.resp)) <= {0.0, 1.0}
    assert np.allclose(session.resp.sum(axis=1), 1.0)
    session.m_step()
    m = session.mixture
    assert m.covariance_type == "spherical" and np.allclose(m.weights, 1 / 3)
    assert np.allclose(m.covariances, m.covariances[0])
    trace = session.trace()
    assert trace["quantity"] == "inertia" and list(trace["kind"]) == ["E", "M"]
    labels = np.argmax(session.resp, axis=1)
    expected = sum(np.sum((session.X[labels == k] - m.means[k]) ** 2) for k in range(3))
    assert trace["value"][-1] == pytest.approx(expected)
    assert "centroid" in session.narration


def test_switching_mode_back_to_em_says_what_changed(session):
    """Leaving k-means mode explains the return to soft responsibilities, once."""
    assert "Back to EM" not in session.narration
    session.mode = "kmeans"
    session.mode = "em"
    assert "Back to EM" in session.narration and "K-means mode" not in session.narration
    session.reset()
    assert "Back to EM" not in session.narration


def test_kmeans_inertia_never_rises_and_converges_when_nothing_switches():
    """Both k-means half-steps lower inertia; converged means the last assignment moved no point."""
    s = Session(X=blobs(seed=5), n_components=4, mode="kmeans", init="random_from_data", seed=1)
    s.run()
    inertia = s.trace()["value"]
    assert np.all(np.diff(inertia) <= 1e-9 * inertia[1:])
    assert s.converged and s.history[-2].changed == 0
    assert s.current_inertia() == pytest.approx(inertia[-1])


# --------------------------------------------------------------------------------------------------
# Restarts and model selection
# --------------------------------------------------------------------------------------------------
def three_unequal_clusters():
    rng = np.random.default_rng(7)
    return np.concatenate([rng.normal((0, 0), 0.5, size=(150, 2)),
                           rng.normal((5, 0), 0.5, size=(100, 2)),
                           rng.normal((2.5, 5), 0.5, size=(50, 2))])


def test_restarts_give_a_distribution_of_final_log_likelihoods():
    """run_restarts(n) runs n seeds to convergence and counts the distinct optima."""
    s = Session(X=three_unequal_clusters(), n_components=2, init="random_from_data", seed=0)
    s.run_restarts(8)
    assert len(s.restarts) == 8
    assert [r.seed for r in s.restarts] == list(range(8))
    assert all(r.converged and np.isfinite(r.log_likelihood) for r in s.restarts)
    ids = s.restart_optima()
    per_point = np.array([r.log_likelihood for r in s.restarts]) / len(s.X)
    assert s.n_optima == ids.max() + 1 >= 2
    assert per_point[ids == 0].min() > per_point[ids > 0].max()     # optimum 0 is the best
    for k in range(s.n_optima):                                     # one optimum = one value
        assert np.ptp(per_point[ids == k]) <= 10 * s.tol
    assert f"{s.n_optima} distinct optima" in s.message
    assert len(s.history) == 1                         # restarts leave the session as it was


def test_the_local_optima_set_finds_its_bad_optimum_from_the_bad_seed():
    """On the local-optima set the restarts find two optima, and the hinted bad seed is worse."""
    s = Session(dataset="local_optima")
    hints = s.data_hints
    s.init = hints["init"]
    s.run_restarts(20)
    assert s.n_optima >= 2
    s.seed = hints["bad_seed"]
    s.run()
    bad = s.current_log_likelihood()
    s.seed = hints["good_seed"]
    s.run()
    assert s.current_log_likelihood() > bad + 10


def test_load_restart_replays_its_whole_path():
    """load_restart(i) sets its seed and replays EM, ending in the restart's mixture."""
    s = Session(X=three_unequal_clusters(), n_components=2, init="random_from_data")
    s.run_restarts(5)
    worst = int(np.argmin([r.log_likelihood for r in s.restarts]))
    assert s.load_restart(worst) is True
    assert s.seed == s.restarts[worst].seed and s.converged
    assert np.allclose(s.mixture.means, s.restarts[worst].mixture.means)
    assert s.iteration == s.restarts[worst].n_iter and len(s.restarts) == 5
    assert s.load_restart(99) is False


def test_settings_that_change_the_runs_clear_stale_restarts_and_model_selection(session):
    """Restarts and model selection are cleared when a setting they depend on changes."""
    session.run_restarts(3)
    session.compute_model_selection(k_max=3)
    session.seed = 4                                   # seeds are the restarts' input: kept
    assert len(session.restarts) == 3 and session.best_k is not None
    session.n_components = 2                           # model selection spans K: kept
    assert session.restarts == () and session.best_k is not None
    session.run_restarts(3)
    session.covariance_type = "diag"
    assert session.restarts == () and session.model_selection == () and session.best_k is None
    assert session.load_restart(0) is False


def test_load_restart_before_running_restarts_is_refused(session):
    """Loading a restart that does not exist changes nothing and says what to do."""
    assert session.load_restart(0) is False and "Run the restarts first" in session.message


def test_model_selection_rows_and_best_k_by_bic():
    """compute_model_selection fills one finite row per K and marks the K with the lowest BIC."""
    s = Session(X=blobs(), n_components=2)
    s.compute_model_selection(k_max=6)
    rows = s.model_selection
    assert [r.n_components for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(np.isfinite([r.log_likelihood, r.bic, r.aic]).all() for r in rows)
    assert s.best_k == min(rows, key=lambda r: r.bic).n_components == 3
    assert "K = 3" in s.message


def test_model_selection_stops_at_the_distinct_points_and_lifts_reg_covar_zero():
    """K stops at the distinct points, and reg_covar 0 is lifted (and said) so rows stay finite."""
    X = np.repeat([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0], [1.5, 1.0]], 4, axis=0)
    s = Session(X=X, n_components=2, reg_covar=0.0)
    s.compute_model_selection(k_max=10)
    assert [r.n_components for r in s.model_selection] == [1, 2, 3, 4, 5]
    assert all(np.isfinite([r.log_likelihood, r.bic, r.aic]).all() for r in s.model_selection)
    assert f"ε = {narration.num(1e-6)}" in s.message


# --------------------------------------------------------------------------------------------------
# Display helpers
# --------------------------------------------------------------------------------------------------
def test_outliers_are_points_outside_every_ellipse(session):
    """A far-away point is flagged as an outlier; the bulk of the data is not."""
    session.add_point((12.0, -12.0))
    session.move_means([[-4.0, 0.0], [0.0, 4.0], [4.0, -1.0]])
    session.step()
    mask = session.outlier_mask()
    assert mask.dtype == bool and mask[-1]
    assert mask[:-1].mean() < 0.02


def test_uncertainty_and_labels_follow_the_displayed_responsibilities(session):
    """uncertainty() is 1 - max resp and labels() its argmax, for the resp on display."""
    session.step()
    assert np.allclose(session.uncertainty(), 1 - session.resp.max(axis=1))
    assert np.array_equal(session.labels(), np.argmax(session.resp, axis=1))
    assert np.allclose(Session(X=blobs()).uncertainty(), 1 - 1 / 3)


def test_point_info_for_the_inspect_table(session):
    """point_info(i) gives coordinates and one responsibility per component; None out of range."""
    session.e_step()
    info = session.point_info(5)
    assert info["x"] == session.X[5, 0] and info["y"] == session.X[5, 1]
    assert np.allclose(info["resp"], session.resp[5]) and len(info["resp"]) == 3
    assert info["label"] == int(np.argmax(session.resp[5]))
    assert session.point_info(-1) is None and session.point_info(10**6) is None


def test_trace_has_one_row_per_half_step(session):
    """The trace has one point per half-step, marked init/E/M, per point values."""
    session.step()
    session.e_step()
    trace = session.trace()
    assert list(trace["kind"]) == ["init", "E", "M", "E"]
    assert list(trace["step"]) == [0, 1, 2, 3]
    assert trace["value"][1] == pytest.approx(session.history[1].log_likelihood / len(session.X))
    assert trace["lower_bound"][3] == pytest.approx(trace["value"][3])


def test_history_records_are_immutable(session):
    """History records are frozen, so views can hold them safely."""
    record = session.history[0]
    assert isinstance(record, HalfStep)
    with pytest.raises(AttributeError):
        record.kind = "E"


def test_large_data_keeps_only_a_few_responsibility_arrays():
    """At large N the session keeps a bounded number of (n, K) arrays, however long the history."""
    rng = np.random.default_rng(0)
    s = Session(X=rng.normal(size=(20_000, 2)), n_components=5, tol=0.0)
    s.run(max_iter=15)
    kept = sum(r is not None for r in s._resps)
    assert len(s.history) >= 20 and kept <= Session._KEEP_RESP


# --------------------------------------------------------------------------------------------------
# Any sequence of user actions keeps the session consistent (Hypothesis state machine)
# --------------------------------------------------------------------------------------------------
class SessionMachine(RuleBasedStateMachine):
    """A learner pressing buttons in any order, on small data so each example is quick."""

    def __init__(self):
        super().__init__()
        self.s = Session(X=tight_and_lonely(), n_components=2)
        self.version = self.s.version

    @rule()
    def e_step(self):
        self.s.e_step()

    @rule()
    def m_step(self):
        self.s.m_step()

    @rule()
    def step(self):
        self.s.step()

    @rule()
    def back(self):
        self.s.back()

    @rule()
    def run(self):
        self.s.run(max_iter=20)

    @rule()
    def tick(self):
        self.s.play()
        self.s.tick()

    @rule(k=st.integers(1, 15))
    def set_k(self, k):
        self.s.n_components = k

    @rule(reg=st.sampled_from([0.0, 1e-9, 1e-6, 1e-3, 0.5]))
    def set_reg_covar(self, reg):
        self.s.reg_covar = reg

    @rule(kind=st.sampled_from(["full", "tied", "diag", "spherical"]))
    def set_covariance_type(self, kind):
        self.s.covariance_type = kind

    @rule(mode=st.sampled_from(["em", "kmeans"]))
    def set_mode(self, mode):
        self.s.mode = mode

    @rule(init=st.sampled_from(["k-means++", "random", "random_from_data", "kmeans"]),
          seed=st.integers(0, 5))
    def set_start(self, init, seed):
        self.s.param.update(init=init, seed=seed)

    @rule(xy=st.tuples(st.floats(-10, 10), st.floats(-10, 10)))
    def add_point(self, xy):
        self.s.add_point(xy)

    @rule(i=st.integers(0, 60))
    def remove_point(self, i):
        self.s.remove_point(i)

    @rule(data=st.data())
    def move_means(self, data):
        K = self.s.n_components
        coords = data.draw(st.lists(st.floats(-10, 10), min_size=2 * K, max_size=2 * K))
        self.s.move_means(np.reshape(coords, (K, 2)))

    @rule()
    def break_it(self):
        self.s.break_it()

    @rule(tol=st.sampled_from([0.0, 1e-6, 1e-3, 0.1]))
    def set_tol(self, tol):
        self.s.tol = tol

    @rule(i=st.integers(0, 2))
    def restarts(self, i):
        self.s.run_restarts(2, max_iter=20)
        self.s.load_restart(i)

    @rule()
    def model_selection(self):
        self.s.compute_model_selection(k_max=3)
        assert self.s.best_k in {r.n_components for r in self.s.model_selection}

    @invariant()
    def consistent(self):
        s = self.s
        assert s.version >= self.version               # never goes back: views rely on it
        self.version = s.version
        last = s.history[-1]
        assert s.history[0].kind == "init" and s.mixture is last.mixture
        assert s.phase == ("M" if last.kind == "E" else "E")
        assert 1 <= s.n_components <= s.n_distinct
        assert s.mixture.n_components == s.n_components
        assert s.resp.shape == (len(s.X), s.n_components)
        assert np.allclose(s.resp.sum(axis=1), 1.0)
        assert all_finite(s)


TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.settings = settings(max_examples=int(os.environ.get('SESSION_EXAMPLES', 25)),
                                       stateful_step_count=20, deadline=None)
