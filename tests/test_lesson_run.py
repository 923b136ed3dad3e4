"""A lesson running against a real session (app.lesson_run.LessonRun): the set-up, the counts, the
steps moving on as a student does each one through the session's actions, Back and Leave, and
?lesson=NAME in lesson links."""

from __future__ import annotations

import numpy as np
import pytest

from app import lessons, urlstate
from app.lesson_run import LessonRun, catalogue, lesson_needs, unavailable_reason
from app.prediction import Prediction
from app.session import Session
from app.views.state import ViewState

AVAILABLE = ("soft-vs-hard", "now-break-it", "local-optima", "shapes", "how-many-components",
             "the-math")


def running(name, **params):
    """A new session and view state with lesson ``name`` started."""
    s, view_state = Session(), ViewState()
    run = LessonRun(session=s, view_state=view_state, **params)
    assert run.start(name), run.message
    return s, view_state, run


def pin(view_state, index=0):
    view_state.pinned = index


def drag_to_a_bad_start(s):
    """Handle 1 dropped onto handle 2's cluster: two means in one cluster, none in another."""
    means = np.array(s.mixture.means)
    means[0] = means[1] + 0.2
    s.move_means(means)


def predict_the_means(s, view_state, run):
    """The Predict tab's guess of the M-step (a guess on each mean as it is), then the M-step."""
    run.prediction = Prediction(session=s, view_state=view_state)
    assert run.prediction.start_means()
    for x, y in s.mixture.means:
        run.prediction.place(x, y)
    s.m_step()
    assert run.prediction.count == 1


def answer_wrong_then_right(run):
    """A question step: a wrong choice shows its feedback and the step stays; a right one moves
    on, its feedback kept."""
    step, at = run.current, run.step
    wrong = next(i for i, c in enumerate(step.choices) if not c.right)
    right = next(i for i, c in enumerate(step.choices) if c.right)
    assert run.answer(wrong) == step.choices[wrong].feedback
    assert run.step == at and run.feedback == step.choices[wrong].feedback
    assert not run.feedback_right and run.feedback_step == at
    assert run.answer(right) == step.choices[right].feedback
    assert run.feedback_right and run.feedback_step == at and run.step == at + 1


# What a student does for each step, through the session and the lesson panel's actions.
WALKS = {
    "soft-vs-hard": [
        lambda s, v, r: s.run(),
        lambda s, v, r: pin(v, 5),
        lambda s, v, r: setattr(s, "mode", "kmeans"),
        lambda s, v, r: s.run(),
        lambda s, v, r: (setattr(s, "mode", "em"), s.run()),
        lambda s, v, r: answer_wrong_then_right(r),
    ],
    "now-break-it": [
        lambda s, v, r: s.run(),
        lambda s, v, r: setattr(s, "reg_covar", 0.0),
        lambda s, v, r: setattr(s, "n_components", 6),
        lambda s, v, r: s.run(),
        lambda s, v, r: (setattr(s, "n_components", 3), s.run()),
        lambda s, v, r: (s.break_it(), s.run()),
        lambda s, v, r: r.next(),
    ],
    "local-optima": [
        lambda s, v, r: s.run(),
        lambda s, v, r: drag_to_a_bad_start(s),
        lambda s, v, r: s.run(),
        lambda s, v, r: s.run_restarts(),
        lambda s, v, r: r.next(),
    ],
    "shapes": [
        lambda s, v, r: s.run(),
        lambda s, v, r: (setattr(s, "mode", "kmeans"), s.run()),
        lambda s, v, r: (setattr(s, "mode", "em"), setattr(s, "covariance_type", "diag"),
                         s.run()),
        lambda s, v, r: (setattr(s, "covariance_type", "full"), s.run()),
        lambda s, v, r: (setattr(s, "covariance_type", "tied"), s.run()),
        lambda s, v, r: r.next(),
    ],
    "how-many-components": [
        lambda s, v, r: (setattr(s, "n_components", 1), s.run()),
        lambda s, v, r: (setattr(s, "n_components", 6), s.run()),
        lambda s, v, r: s.compute_model_selection(),
        lambda s, v, r: (setattr(s, "n_components", s.best_k), s.run()),
        lambda s, v, r: r.next(),
    ],
    "the-math": [
        lambda s, v, r: pin(v, 3),
        lambda s, v, r: s.e_step(),
        lambda s, v, r: predict_the_means(s, v, r),
        lambda s, v, r: [s.e_step() if s.phase == "E" else s.m_step() for _ in range(4)],
        lambda s, v, r: r.next(),
    ],
}


def test_every_available_lesson_has_a_walk():
    """The walks cover every lesson the lab can run (the trace lab needs 1-D data)."""
    available = [name for name, lesson in catalogue().items() if not unavailable_reason(lesson)]
    assert sorted(available) == sorted(WALKS) == sorted(AVAILABLE)


@pytest.mark.parametrize("name", AVAILABLE)
def test_a_student_completes_the_lesson_step_by_step(name):
    """Each action moves the lesson exactly one step on; after the last, the lesson is done."""
    s, view_state, run = running(name)
    lesson = run.lesson
    assert len(WALKS[name]) == len(lesson.steps)
    for i, act in enumerate(WALKS[name]):
        assert run.step == i and run.current is lesson.steps[i] and not run.done
        act(s, view_state, run)
        assert run.step == i + 1, (name, lesson.steps[i].title, run.state())
    assert run.done and run.current is None


@pytest.mark.parametrize("name", AVAILABLE)
def test_starting_a_lesson_sets_the_lab_up_as_its_link_does(name):
    """The session after start() is the one its set-up's lesson link opens."""
    s, _, run = running(name)
    expected = Session()
    urlstate.apply(expected, urlstate.parse(run.lesson.setup.query()))
    for key in ("dataset", "n_components", "covariance_type", "reg_covar", "init", "seed",
                "mode", "tol", "iteration", "phase"):
        assert getattr(s, key) == getattr(expected, key), key
    np.testing.assert_array_equal(s.mixture.means, expected.mixture.means)
    assert run.step == 0 and run.message == ""


def test_the_setup_itself_counts_for_nothing():
    """Starting a lesson (its data, settings, means) is not a drag nor a half-step."""
    _, _, run = running("the-math")
    assert (run.e_steps, run.m_steps, run.drags, run.restarts_runs, run.pins) == (0, 0, 0, 0, 0)


def test_half_steps_only_count_up():
    """Step back does not take a half-step out of the counts; a half-step redone counts again;
    a tol change that re-judges the last iteration is no new half-step."""
    s, _, run = running("the-math")
    s.e_step(), s.m_step()
    assert (run.e_steps, run.m_steps) == (1, 1)
    s.back()
    assert (run.e_steps, run.m_steps) == (1, 1)
    s.m_step()
    assert (run.e_steps, run.m_steps) == (1, 2)
    s.tol = 1e-2
    assert (run.e_steps, run.m_steps) == (1, 2)
    s.run()
    assert run.e_steps == s.iteration and run.m_steps == s.iteration + 1


def test_a_dropped_handle_counts_as_a_drag_and_a_reset_does_not():
    """move_means (a handle dropped) counts; Reset, a new K or seed (starts the init chooses)
    do not."""
    s, _, run = running("local-optima")
    s.reset()
    s.seed = 3
    assert run.drags == 0
    s.move_mean(0, (0.0, 0.0))
    assert run.drags == 1


def test_restarts_count_when_run_not_when_one_is_loaded():
    """Running the restarts counts once; loading one of them is not another run."""
    s, _, run = running("local-optima")
    s.run_restarts(n=3)
    assert run.restarts_runs == 1
    s.load_restart(1)
    assert run.restarts_runs == 1


def test_worse_optimum_needs_a_better_fit_seen_first():
    """The local-optima lesson's bad start is judged against the best converged fit it saw."""
    s, _, run = running("local-optima")
    s.run()
    best = s.current_log_likelihood()
    drag_to_a_bad_start(s)
    s.run()
    state = run.state()
    assert state.best_log_likelihood == pytest.approx(best)
    assert state.log_likelihood < best - 1


def test_a_step_met_when_it_begins_waits_for_the_next_change():
    """Back shows a step again, even one whose state already holds; the next change judges it."""
    s, _, run = running("shapes")
    s.run()
    assert run.step == 1
    assert run.back() and run.step == 0 and run.current.title == "Round components"
    assert run.step == 0  # converged and spherical already: not judged until something changes
    s.back(), s.run()
    assert run.step == 1
    assert run.back() and run.step == 0 and run.back() is False


def test_next_only_answers_manual_steps():
    """Next on a step that waits for an action does nothing."""
    _, _, run = running("soft-vs-hard")
    assert run.next() is False and run.step == 0 and run.next_presses == 0


def test_a_right_answer_moves_on_and_its_feedback_stays_until_the_lesson_moves_again():
    """answer() only answers a question step; a right answer's feedback stays shown after the
    step moves on, and Back clears it; Next does not answer a question."""
    s, view_state, run = running("soft-vs-hard")
    assert run.answer(0) == "" and run.feedback == ""  # step 1 asks nothing
    for act in WALKS["soft-vs-hard"][:-1]:
        act(s, view_state, run)
    assert run.current.choices and run.next() is False
    assert run.answer(99) == "" and run.step == len(run.lesson.steps) - 1
    answer_wrong_then_right(run)
    assert run.done and run.answers == 1 and run.feedback
    assert run.back() and run.feedback == "" and run.feedback_step == -1


def test_back_from_the_end_and_leave():
    """From done, Back returns to the last step; Leave ends the lesson and keeps the lab."""
    s, view_state, run = running("the-math")
    for act in WALKS["the-math"]:
        act(s, view_state, run)
    assert run.done
    assert run.back() and run.current is run.lesson.steps[-1]
    iteration = s.iteration
    assert run.leave() and not run.running and run.current is None
    assert s.iteration == iteration
    s.e_step()  # nothing is judged any more
    assert run.leave() is False


def test_an_unknown_or_1d_lesson_is_refused_with_a_reason():
    """start() refuses a name it does not know and the trace lab (1-D data), saying why."""
    run = LessonRun(session=Session())
    assert not run.start("no-such-lesson") and "no lesson called" in run.message
    assert not run.start("trace-lab") and "1-D" in run.message and not run.running
    assert "1-D" in run.availability()["trace-lab"]


def test_a_lesson_that_needs_a_hidden_part_is_unavailable():
    """A page that hides the Restarts tab cannot run the local-optima lesson."""
    lesson = catalogue()["local-optima"]
    assert lesson_needs(lesson) == {"restarts"}
    assert "Restarts tab" in unavailable_reason(lesson, {"restarts"})
    assert unavailable_reason(catalogue()["shapes"], {"restarts"}) == ""
    assert not LessonRun(session=Session(), hidden=frozenset({"restarts"})).start("local-optima")


def test_switching_lessons_starts_the_new_one_afresh():
    """A second start() replaces the first lesson, counts reset."""
    s, view_state, run = running("the-math")
    pin(view_state)
    s.e_step()
    assert run.step == 2
    assert run.start("soft-vs-hard") and run.step == 0 and run.pins == 0 and run.e_steps == 0
    assert s.dataset == "overlapping"


# --------------------------------------------------------------------------------------------------
# ?lesson=NAME


def test_a_lesson_link_names_the_lesson_and_keeps_hide_and_embed():
    """?lesson=shapes&hide=export&embed=1 parses to the lesson, its hide and embed, no notes."""
    link = urlstate.parse("?lesson=shapes&hide=export&embed=1")
    assert (link.lesson, link.hide, link.embed, link.notes) == ("shapes", {"export"}, True, ())


def test_an_unknown_lesson_in_a_link_is_a_note():
    """An unknown lesson opens the lab as usual, with a note naming the lessons."""
    link = urlstate.parse("?lesson=%3Cb%3Ex&k=2")
    assert link.lesson is None and link.settings == {"n_components": 2}
    assert "Ignored &#x27;lesson&#x27;=&#x27;&lt;b&gt;x&#x27;" in link.notes[0]
    assert "soft-vs-hard" in link.notes[0]


def test_settings_beside_a_lesson_are_ignored_with_a_note():
    """The lesson sets the lab up: data, K, means and steps in the same link are left out."""
    link = urlstate.parse("?lesson=shapes&data=iris&k=4&steps=3")
    assert link.lesson == "shapes" and not link.settings and link.dataset is None
    assert link.steps == 0 and link.notes == ("Ignored data, steps, k: the lesson sets the lab up "
                                              "itself.",)


def test_share_encodes_the_lesson_at_its_first_step():
    """encode(lesson=...) writes ?lesson=NAME with the page's hide and embed, and nothing else."""
    s, _, run = running("shapes")
    s.run()
    query, notes = urlstate.encode(s, hide={"export"}, embed=True, lesson=run.lesson.name)
    assert query == "?lesson=shapes&hide=export&embed=1" and notes == []
    assert urlstate.parse(query).lesson == "shapes"


def test_every_built_in_lesson_is_in_the_catalogue():
    """The runner's catalogue is app.lessons' (built-ins in their order)."""
    assert list(catalogue())[:7] == list(lessons.load_lessons([]))


def test_a_revealed_prediction_counts_for_a_predicted_step(tmp_path):
    """A lesson step 'when: predicted' moves on once the learner's prediction is revealed."""
    from app.prediction import Prediction

    (tmp_path / "guess.md").write_text(
        "---\ntitle: Guess\ndata: old_faithful\nk: 2\n---\n\n## Guess the means\n\n"
        "Take an E-step, guess where the means go, then take the M-step.\n\nwhen: predicted\n",
        encoding="utf-8")
    s, view_state = Session(), ViewState()
    prediction = Prediction(session=s, view_state=view_state)
    run = LessonRun(session=s, view_state=view_state, prediction=prediction,
                    lessons=lessons.load_lessons([tmp_path]))
    assert run.start("guess")
    s.e_step()
    assert prediction.start_means()
    for mean in s.mixture.means:
        prediction.place(*mean)
    s.m_step()
    assert prediction.count == 1 and run.predictions == 1 and run.done
