"""The trace lab's session (app.trace_session): seed 002's numbers, back and reset, collapse, and
the trace-lab lesson run against it by app.lesson_run.LessonRun."""

from __future__ import annotations

import numpy as np
import pytest

from app import em1d
from app.lessons import LabState
from app.trace_session import TraceSession, read_dataset

SIX = np.array([0.80, 1.10, 1.40, 4.70, 5.10, 5.50])


def engine_start():
    return em1d.initial_mixture(SIX, 2, means_init=[1.60, 4.40], variances_init=[0.50, 0.50],
                                weights_init=[0.50, 0.50])


def test_opens_on_the_six_points_and_the_lessons_start():
    """By default: the six points, means 1.60/4.40, variances 0.50, weights 0.50, E-step next."""
    s = TraceSession()
    np.testing.assert_array_equal(s.X, SIX)
    np.testing.assert_array_equal(read_dataset("six_points_1d"), SIX)
    np.testing.assert_array_equal(s.mixture.means, [1.60, 4.40])
    np.testing.assert_array_equal(s.mixture.variances, [0.50, 0.50])
    np.testing.assert_array_equal(s.mixture.weights, [0.50, 0.50])
    assert (s.phase, s.iteration, s.half_steps, s.n_components, s.dimension) == ("E", 0, 0, 2, 1)
    assert [r.kind for r in s.history] == ["init"]
    np.testing.assert_array_equal(s.resp, np.full((6, 2), 0.5))
    assert s.reg_covar == 0.0 and s.collapse == () and not s.converged


def test_first_e_step_gives_seed_002s_responsibilities():
    """Step 1/4: x3 = 1.40 has r = 0.99987 / 0.00013, the table rounds to 1.00/0.00 and 0.00/1.00,
    the log-likelihood is -10.31: the engine's numbers exactly."""
    s = TraceSession()
    version = s.version
    assert s.e_step()
    assert s.version > version and s.phase == "M" and s.iteration == 1
    assert (round(s.resp[2, 0], 5), round(s.resp[2, 1], 5)) == (0.99987, 0.00013)
    np.testing.assert_array_equal(np.round(s.resp, 2), [[1, 0]] * 3 + [[0, 1]] * 3)
    resp, ll = em1d.e_step(SIX, engine_start())
    np.testing.assert_array_equal(s.resp, resp)
    assert s.current_log_likelihood() == ll and round(ll, 2) == -10.31
    terms = s.point_terms(2)
    np.testing.assert_allclose(terms.resp, resp[2], rtol=1e-14)
    assert f"{terms.total:.4f}" == "0.2711"
    assert s.component_terms(0) is None  # no M-step yet


def test_four_half_steps_land_on_1_10_and_5_10():
    """E, M, E, M: the means 1.10/5.10, the variances 0.06 and 0.32/3, the weights 0.50, as the
    engine gives them, and the log-likelihood rises from -10.31 to -5.10 at the second E-step."""
    s = TraceSession()
    lls = []
    for action in (s.e_step, s.m_step, s.e_step, s.m_step):
        assert action()
        lls.append(s.current_log_likelihood())
    assert [r.kind for r in s.history] == ["init", "E", "M", "E", "M"]
    assert (s.half_steps, s.iteration, s.phase) == (4, 2, "E")
    m0 = engine_start()
    r1, _ = em1d.e_step(SIX, m0)
    m1 = em1d.m_step(SIX, r1, reg_covar=0.0)
    r2, ll2 = em1d.e_step(SIX, m1)
    m2 = em1d.m_step(SIX, r2, reg_covar=0.0)
    np.testing.assert_array_equal(s.history[2].mixture.means, m1.means)
    np.testing.assert_array_equal(s.mixture.means, m2.means)
    np.testing.assert_allclose(s.mixture.means, [1.10, 5.10], atol=1e-9)
    np.testing.assert_allclose(s.mixture.variances, [0.06, 0.32 / 3], rtol=1e-8)
    np.testing.assert_allclose(s.mixture.weights, [0.5, 0.5], rtol=1e-8)
    assert (round(lls[0], 2), round(lls[2], 2)) == (-10.31, -5.10) and lls[2] == ll2
    assert all(b >= a - 1e-12 for a, b in zip(lls, lls[1:]))
    # After an M-step the table keeps the responsibilities the M-step used.
    np.testing.assert_array_equal(s.resp, r2)
    terms = s.component_terms(0)
    assert (f"{terms.nk:.2f}", f"{terms.mean:.4f}") == ("3.00", "1.1000")


def test_half_steps_alternate_and_refusals_say_why():
    """An M-step first is refused with a message; nothing changes but the message."""
    s = TraceSession()
    assert not s.m_step()
    assert "E-step comes next" in s.message and s.half_steps == 0
    assert s.step() and s.phase == "M"
    assert not s.e_step() and "M-step comes next" in s.message
    assert s.step() and s.phase == "E" and s.message == ""


def test_back_and_reset():
    """Step back undoes one half-step (the very record before it); Reset returns to the start's own
    record; back at the start is refused."""
    s = TraceSession()
    start = s.history[0]
    s.e_step()
    after_e = s.history[1]
    s.m_step()
    assert s.back()
    assert s.history == (start, after_e) and s.phase == "M" and s.iteration == 1
    np.testing.assert_array_equal(s.resp, after_e.resp)
    s.m_step(); s.e_step()
    assert s.reset()
    assert s.history == (start,) and s.phase == "E" and s.iteration == 0
    assert s.mixture is start.mixture
    assert not s.back() and "start" in s.message


def test_collapse_onto_one_point_is_detected_and_stops_em():
    """reg_covar 0 and a narrow component alone on x6: it collapses onto that point, forward steps
    are refused, every number stays finite, and Step back recovers."""
    s = TraceSession(means=[2.0, 5.5], variances=[3.0, 0.01], weights=[0.5, 0.5])
    for _ in range(6):
        if not s.step():
            break
    assert s.collapse, "expected a collapse"
    event = s.collapse[0]
    assert (event.component, event.kind, event.onto) == (1, "singular", "point")
    assert not s.e_step() and "collapsed" in s.message
    assert np.isfinite(s.current_log_likelihood())
    curves = s.density_curves()
    assert np.all(np.isfinite(curves.mixture)) and np.all(np.isfinite(curves.components))
    assert s.back() and not s.collapse


def test_set_start_set_data_and_settings():
    """A new start, new 1-D data or another covariance type restart EM; bad input is refused."""
    s = TraceSession()
    s.e_step()
    assert s.set_start([1.0, 3.0, 5.0]) and s.n_components == 3 and s.half_steps == 0
    assert s.set_data([0.0, 0.1, 2.0, 2.1], name="four") and s.data_name == "four"
    assert s.n_components == 3 and s.X.shape == (4,)
    assert not s.set_data(np.zeros((4, 2))) and "one number each" in s.message
    assert not s.set_data([1.0, np.nan]) and s.X.shape == (4,)
    assert not s.set_start([]) and s.n_components == 3
    assert not s.load_dataset("no_such_set") and "no data set" in s.message
    s.e_step()
    s.covariance_type = "tied"
    assert s.half_steps == 0 and np.ptp(s.mixture.variances) == 0
    s.step(); s.step()
    assert np.ptp(s.mixture.variances) == 0


def test_run_converges():
    """Run takes half-steps until EM converges, and is refused once it has."""
    s = TraceSession()
    assert s.run() and s.converged and s.phase == "E"
    assert not s.run() and "converged" in s.message


def test_lab_state_reads_the_session():
    """LabState.from_session reads K, mode, covariance, reg_covar, collapse, the half-steps."""
    s = TraceSession()
    s.e_step(); s.m_step(); s.e_step()
    state = LabState.from_session(s)
    assert (state.e_steps, state.m_steps, state.k, state.mode, state.covariance) == (
        2, 1, 2, "em", "full")
    assert state.reg_covar == 0.0 and not state.collapsed
    assert state.log_likelihood == pytest.approx(s.current_log_likelihood())


def test_lesson_run_takes_the_trace_lab_lesson_as_a_student():
    """LessonRun runs trace-lab on a TraceSession: the set-up from the lesson file, E, M, E, M
    move through the four steps, a right answer to each of its two questions ends it; Step back
    never undoes a step's progress."""
    from app.lesson_run import LessonRun

    s = TraceSession(means=[0.0, 9.0])
    run = LessonRun(session=s)
    assert run.availability()["trace-lab"] == ""
    assert run.availability()["local-optima"] != ""  # 2-D lessons are not for this page
    assert run.start("trace-lab"), run.message
    np.testing.assert_array_equal(s.mixture.means, [1.60, 4.40])
    np.testing.assert_array_equal(s.mixture.variances, [0.50, 0.50])
    assert (s.reg_covar, s.half_steps, run.step) == (0.0, 0, 0)
    s.e_step()
    assert run.step == 1
    s.back(); s.e_step()  # undo and redo: still step 2 of the lesson
    assert run.step == 1
    s.m_step(); s.e_step(); s.m_step()
    assert run.step == 4 and run.current.condition.answered and not run.next()
    for _ in range(2):
        run.answer([c.right for c in run.current.choices].index(True))
    assert run.done
