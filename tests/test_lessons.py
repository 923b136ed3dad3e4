"""Lessons as data: the lesson file reader, its error messages, the step conditions and the
built-in lessons (app.lessons)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from app import em, lessons, urlstate
from app.lessons import LabState, LessonError, condition_met, conditions, parse_condition, reader

REPO = Path(__file__).resolve().parents[1]
BUILTIN = ("soft-vs-hard", "trace-lab", "now-break-it", "local-optima", "shapes",
           "how-many-components", "the-math")

GOOD = """\
---
title: A first look
summary: Two clusters, two components.
order: 3
data: old_faithful
k: 2
covariance: full
means: 2,55; 4.5,80
seed: 1
reg_covar: 1e-6
hide: restarts, bic
---

An introduction.

## Take an E-step

Press **E-step** and watch the colours.

when: e-step

## Run it

Run to the end.

when: half-steps >= 4 and converged
"""


def parse(text, name="a-lesson"):
    return lessons.parse_lesson(text, name, path="a-lesson.md", datasets=lessons.known_datasets())


def error_of(text, name="a-lesson"):
    with pytest.raises(LessonError) as caught:
        parse(text, name)
    return caught.value


# --------------------------------------------------------------------------------------------------
# The reader


def test_a_good_lesson_parses_into_its_parts():
    """Front matter, introduction and steps come out as dataclasses with validated values."""
    lesson = parse(GOOD)
    assert (lesson.name, lesson.title, lesson.summary, lesson.order) == (
        "a-lesson", "A first look", "Two clusters, two components.", 3)
    setup = lesson.setup
    assert setup.data == "old_faithful" and setup.k == 2 and setup.seed == 1
    assert setup.means == ((2.0, 55.0), (4.5, 80.0)) and setup.dimension == 2
    assert setup.hide == frozenset({"restarts", "bic"})
    assert setup.init == "k-means++" and setup.mode == "em" and setup.tol == 1e-3
    assert lesson.intro == "An introduction."
    assert [s.title for s in lesson.steps] == ["Take an E-step", "Run it"]
    assert lesson.steps[0].text == "Press **E-step** and watch the colours."
    assert str(lesson.steps[1].condition) == "half-steps >= 4 and converged"
    assert [s.line for s in lesson.steps] == [16, 22]


def test_setup_gives_session_settings_and_a_lesson_link():
    """settings() uses the session's parameter names; query() is a link urlstate accepts whole."""
    setup = parse(GOOD).setup
    assert setup.settings() == {"n_components": 2, "covariance_type": "full", "reg_covar": 1e-6,
                                "init": "k-means++", "seed": 1, "mode": "em", "tol": 1e-3}
    state = urlstate.parse(setup.query())
    assert state.notes == ()
    assert state.dataset == "old_faithful" and state.settings == setup.settings()
    assert state.means.tolist() == [[2.0, 55.0], [4.5, 80.0]] and state.hide == setup.hide


def test_windows_line_endings_and_a_byte_order_mark_are_read():
    """A file saved by a Windows editor (CRLF, BOM) reads the same."""
    lesson = parse("\ufeff" + GOOD.replace("\n", "\r\n"))
    assert lesson == parse(GOOD)


ASK = "---\ntitle: x\ndata: blobs\nk: 2\n---\n## Ask\nWhich?\n"  # a question step's start
BAD = [
    ("title: x\n", 1, "starts with a front matter"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n", 1, "front matter is not closed"),
    ("---\ntitle: x\ndata: blobs\nk: 2\ncolour: red\n---\n", 5, "unknown key 'colour'"),
    ("---\ntitle: x\ntitle: y\n---\n", 3, "'title' is given twice (first on line 2)"),
    ("---\ntitle: x\ndata blobs\n---\n", 3, "expected 'key: value'"),
    ("---\ntitle: x\ndata: blobs\nk: 16\n---\n", 4, "'k' must be a whole number from 1 to 15"),
    ("---\ntitle: x\ndata: blobs\nk: two\n---\n", 4, "'k' must be a whole number"),
    ("---\ntitle: x\ndata: blobs\nk: 2\ncovariance: round\n---\n", 5,
     "'covariance' must be one of full, tied, diag, spherical"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nreg_covar: -1\n---\n", 5, "'reg_covar' must be a number"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmode: fuzzy\n---\n", 5, "'mode' must be one of em, kmeans"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nhide: plot\n---\n", 5, "not plot"),
    ("---\ntitle: x\ndata: nowhere\nk: 2\n---\n", 3, "unknown data set 'nowhere'"),
    ("---\ntitle: x\nk: 2\n---\n", 1, "the front matter needs 'data'"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmeans: 1,2\n---\n", 5, "gives 1 points but k is 2"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmeans: 1; 2\n---\n", 5, "'blobs' is 2-D"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmeans: 1,2; 3\n---\n", 5, "one point per component"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmeans: 1,nan; 3,4\n---\n", 5, "one point per component"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nweights: 0.5; 0.5\n---\n", 5, "needs 'means' as well"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmeans: 1,2; 3,4\nweights: 0.5; 0.6\n---\n", 6,
     "sum to 1; they sum to 1.1"),
    ("---\ntitle: x\ndata: blobs\nk: 2\nmeans: 1,2; 3,4\nvariances: 1; 1\n---\n", 6,
     "'variances' is for 1-D data only"),
    ("---\ntitle: x\ndata: six_points_1d\nk: 2\nmeans: 1; 4\nvariances: 1; 0\n---\n", 6,
     "must all be > 0"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n", 5, "the lesson has no steps"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n## Go\n\nwhen: e-step\n", 6, "step 'Go' has no text"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n## Go\nDo it.\n", 6, "step 'Go' has no 'when:' line"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n## Go\nDo it.\nwhen: e-step\nwhen: m-step\n", 9,
     "second 'when:' line"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\nwhen: e-step\n## Go\nDo it.\nwhen: e-step\n", 6,
     "belongs inside a step"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n# Go\nDo it.\nwhen: e-step\n", 6, "use '## '"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n## Go\nDo it.\nwhen: e step\n", 8,
     "cannot read the condition 'e step'"),
    ("---\ntitle: x\ndata: blobs\nk: 2\n---\n## Go\nDo it.\nwhen: finished\n", 8,
     "unknown condition 'finished'; the vocabulary is: e-step, m-step"),
    # questions: '- [x] text -> feedback' choices and 'when: answered'
    (ASK + "- [x] Yes\n- [ ] No -> Why not.\nwhen: answered\n", 8,
     "a choice is '- [x] text -> feedback'"),
    (ASK + "- [ ] Yes -> Hm.\n- [ ] No -> Why not.\nwhen: answered\n", 8,
     "no choice is marked right"),
    (ASK + "- [x] Yes -> Right.\nwhen: answered\n", 8, "at least two choices"),
    (ASK + "- [x] Yes -> Right.\n- [ ] No -> Why not.\nwhen: manual\n", 6,
     "its 'when:' line needs 'answered'"),
    (ASK + "when: answered\n", 6,
     "waits for 'answered' but has no question"),
    (ASK + "- [x] Yes -> Right.\n- [ ] No -> Why not.\nMore words.\nwhen: answered\n",
     10, "text after the question's choices"),
]


@pytest.mark.parametrize("text, line, problem", BAD, ids=[p for _, _, p in BAD])
def test_a_malformed_lesson_names_file_line_and_problem(text, line, problem):
    """Each mistake is refused with '<file>:<line>: <problem>'."""
    error = error_of(text)
    assert (error.path, error.line) == ("a-lesson.md", line)
    assert problem in error.problem
    assert str(error).startswith(f"a-lesson.md:{line}: ")


def test_a_file_name_that_cannot_name_a_lesson_is_refused():
    """The name goes into ?lesson=NAME: lower-case letters, digits and dashes only."""
    assert "cannot name a lesson" in str(error_of(GOOD, name="My Lesson"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    """A Latin-1 file is named, not decoded into mojibake."""
    path = tmp_path / "latin.md"
    path.write_bytes(GOOD.replace("A first look", "Caf\xe9").encode("latin-1"))
    with pytest.raises(LessonError, match=r"latin\.md:1: not UTF-8 text"):
        lessons.read_lesson(path)


# --------------------------------------------------------------------------------------------------
# Conditions


def state(**changes):
    return replace(LabState(k=2), **changes)


def test_every_clause_of_the_vocabulary_parses_and_prints_back():
    """Each documented clause parses; str() of the result is the clause again."""
    texts = [*conditions.EVENTS, *conditions.STATES, "half-steps >= 4", "half-steps = 2",
             "k = 3", "k >= 6", "k < 4", "reg-covar = 0", "reg-covar <= 0.001", "mode = kmeans",
             "covariance = tied"]
    for text in texts:
        assert str(parse_condition(text)) == text
    documented = conditions.__doc__
    for name in [*conditions.EVENTS, *conditions.STATES, "half-steps", "k", "reg-covar", "mode",
                 "covariance"]:
        assert f"``{name}" in documented, name


@pytest.mark.parametrize("text, message", [
    ("", "the condition is empty"),
    ("k", "'k' needs a comparison and a whole number"),
    ("k = 2.5", "'k' needs a whole number"),
    ("k != 2", "cannot read the condition"),
    ("half-steps <= 3", "'half-steps' takes '>=' or '>' or '=', not '<='"),
    ("mode = soft", "'mode' is one of em or kmeans; got 'soft'"),
    ("covariance >= full", "'covariance' takes '='"),
    ("e-step = 1", "'e-step' takes no value"),
    ("reg-covar = -1", "'reg-covar' needs a number >= 0"),
    ("converged or collapse", "cannot read the condition"),
])
def test_a_bad_condition_says_what_is_accepted(text, message):
    """Conditions outside the vocabulary are refused with a message that helps fix them."""
    with pytest.raises(conditions.ConditionError, match=re.escape(message)):
        parse_condition(text)


@pytest.mark.parametrize("text, field, before, after", [
    ("e-step", "e_steps", 3, 4),
    ("m-step", "m_steps", 0, 1),
    ("mean-dragged", "drags", 1, 2),
    ("restarts-run", "restarts_runs", 0, 1),
    ("point-pinned", "pins", 0, 1),
    ("predicted", "predictions", 2, 3),
    ("manual", "next_presses", 0, 1),
    ("answered", "answers", 0, 1),
    ("k-changed", "k", 2, 5),
])
def test_events_count_from_the_start_of_the_step(text, field, before, after):
    """An event is met once its counter (or K) differs from the snapshot taken at the step's start,
    and not before."""
    start = state(**{field: before})
    assert not condition_met(text, start, start)
    assert condition_met(text, start, state(**{field: after}))


def test_half_steps_count_both_kinds_since_the_step_began():
    """half-steps >= N counts E- and M-steps taken after the step began, not before it."""
    start = state(e_steps=5, m_steps=5)
    assert not condition_met("half-steps >= 4", start, state(e_steps=6, m_steps=7))
    assert condition_met("half-steps >= 4", start, state(e_steps=7, m_steps=7))
    assert condition_met("half-steps = 1", start, state(e_steps=6, m_steps=5))


@pytest.mark.parametrize("text, met, unmet", [
    ("collapse", {"collapsed": True}, {"collapsed": False}),
    ("no-collapse", {"collapsed": False}, {"collapsed": True}),
    ("converged", {"converged": True}, {"converged": False}),
    ("bic-computed", {"bic_done": True}, {"bic_done": False}),
    ("k = 3", {"k": 3}, {"k": 4}),
    ("k >= 6", {"k": 15}, {"k": 5}),
    ("k <= 2", {"k": 1}, {"k": 3}),
    ("reg-covar = 0", {"reg_covar": 0.0}, {"reg_covar": 1e-6}),
    ("reg-covar = 1e-6", {"reg_covar": 1e-6 * (1 + 1e-15)}, {"reg_covar": 1e-5}),
    ("reg-covar > 0", {"reg_covar": 1e-9}, {"reg_covar": 0.0}),
    ("mode = kmeans", {"mode": "kmeans"}, {"mode": "em"}),
    ("covariance = diag", {"covariance": "diag"}, {"covariance": "full"}),
])
def test_states_read_the_lab_as_it_is_now(text, met, unmet):
    """A state is decided by the current snapshot alone, whatever it was at the step's start."""
    for start in (state(**met), state(**unmet)):
        assert condition_met(text, start, state(**met))
        assert not condition_met(text, start, state(**unmet))


def test_worse_optimum_needs_convergence_well_below_the_best():
    """worse-optimum: converged, not collapsed, and more than WORSE_MARGIN below the best known
    log-likelihood; unknown best or log-likelihood never counts."""
    start = state()
    worse = state(converged=True, log_likelihood=-818.8, best_log_likelihood=-762.2)
    assert condition_met("worse-optimum", start, worse)
    assert not condition_met("worse-optimum", start, replace(worse, converged=False))
    assert not condition_met("worse-optimum", start, replace(worse, collapsed=True))
    assert not condition_met("worse-optimum", start, replace(worse, log_likelihood=-762.5))
    assert not condition_met("worse-optimum", start, replace(worse, best_log_likelihood=None))
    assert not condition_met("worse-optimum", start, replace(worse, log_likelihood=None))


def test_and_needs_every_clause():
    """Clauses joined by 'and' must all hold."""
    condition = parse_condition("covariance = diag and mode = em and converged")
    assert condition_met(condition, state(), state(covariance="diag", converged=True))
    assert not condition_met(condition, state(), state(covariance="diag", converged=False))
    assert not condition_met(condition, state(), state(covariance="full", converged=True))


def test_manual_steps_are_flagged_for_the_next_button():
    """Condition.manual tells the panel to show Next."""
    assert parse_condition("manual").manual and not parse_condition("e-step").manual


def test_a_question_step_reads_its_choices_and_feedback():
    """'- [x] text -> feedback' items after a step's text are its question (a right and a wrong
    choice), taken out of its text; 'answered' is met by a right answer, counted in 'answers'."""
    lesson = parse(GOOD.replace(
        "when: half-steps >= 4 and converged",
        "- [ ] A wrong one -> Not so: look again.\n- [x] The right one -> Yes, that is it.\n\n"
        "when: answered"))
    step = lesson.steps[-1]
    assert step.choices == (reader.Choice("A wrong one", False, "Not so: look again."),
                            reader.Choice("The right one", True, "Yes, that is it."))
    assert "A wrong one" not in step.text and step.condition.answered
    assert not step.condition.manual and not lesson.steps[0].choices
    assert condition_met("answered", LabState(), LabState(answers=1))
    assert not condition_met("answered", LabState(answers=1), LabState(answers=1))


def test_vocabularies_agree_with_the_lab():
    """The lesson modules repeat the lab's vocabularies (to import nothing of it): they agree."""
    assert conditions.COVARIANCE_TYPES == em.COVARIANCE_TYPES
    assert reader.INITS == em.INITS
    assert reader.HIDEABLE == urlstate.HIDEABLE
    assert reader.MAX_STEPS == urlstate.MAX_STEPS


# --------------------------------------------------------------------------------------------------
# The built-in lessons and loading


def test_the_seven_built_in_lessons_load_in_order():
    """All seven lessons of issue 14 ship, valid, in the picker's order."""
    catalogue = lessons.load_lessons([])
    assert tuple(catalogue) == BUILTIN
    for lesson in catalogue.values():
        assert lesson.summary and lesson.intro and len(lesson.steps) >= 4
        last = lesson.steps[-1].condition  # each ends on a question: Next, or choices
        assert last.manual or last.answered


def test_built_in_lessons_use_more_than_next():
    """Steps complete on what the learner does: at most the last step of each waits for Next."""
    for lesson in lessons.load_lessons([]).values():
        assert not any(step.condition.manual for step in lesson.steps[:-1]), lesson.name


def test_learner_text_names_no_code():
    """No code names (snake_case identifiers such as reg_covar, call parentheses, backticks) in
    what a learner reads: controls go by their labels ("the variance floor ε")."""
    code = re.compile(r"`|\b[a-z]+_[a-z_]+\b|\w\(\)")
    for lesson in lessons.load_lessons([]).values():
        for text in [lesson.title, lesson.summary, lesson.intro,
                     *(f"{s.title}\n{s.text}" for s in lesson.steps),
                     *(f"{c.text}\n{c.feedback}" for s in lesson.steps for c in s.choices)]:
            prose = re.sub(r"\$[^$]*\$", "", re.sub(r"\$\$.*?\$\$", "", text, flags=re.S))
            assert not code.search(prose), (lesson.name, text[:80])


def test_seed_002s_exercises_are_questions():
    """The seed's three exercises are question steps: what a responsibility means and why a point
    between groups counts partly (the trace lab), how EM is like and unlike k-means (soft vs
    hard); each has one right answer and wrong ones that each say what is wrong."""
    catalogue = lessons.load_lessons([])
    asked = [step for name in ("trace-lab", "soft-vs-hard") for step in catalogue[name].steps
             if step.choices]
    assert [s.title for s in asked] == ["Exercise 1: responsibility in words",
                                        "Exercise 2: a point between two groups", "Think it over"]
    for step in asked:
        assert sum(c.right for c in step.choices) == 1 and len(step.choices) >= 3
        assert len({c.feedback for c in step.choices}) == len(step.choices)


def test_trace_lab_is_seed_002s_set_up():
    """The trace lab: six points in 1-D, means 1.60/4.40, weights 0.50/0.50, four half-steps."""
    lesson = lessons.load_lessons([])["trace-lab"]
    setup = lesson.setup
    assert setup.data == "six_points_1d" and lessons.known_datasets()["six_points_1d"] == 1
    assert setup.k == 2 and setup.means == ((1.6,), (4.4,)) and setup.weights == (0.5, 0.5)
    assert setup.variances == (0.5, 0.5) and setup.reg_covar == 0.0
    assert [str(s.condition) for s in lesson.steps[:4]] == ["e-step", "m-step"] * 2
    assert [s.title[:8] for s in lesson.steps[:4]] == [f"Step {i}/4" for i in range(1, 5)]


def test_trace_lab_numbers_are_the_engines():
    """Every number the trace lab's text quotes is what the 1-D engine computes."""
    import numpy as np

    from app import em1d

    lesson = lessons.load_lessons([])["trace-lab"]
    text = "\n".join(step.text for step in lesson.steps)
    X = np.array([0.80, 1.10, 1.40, 4.70, 5.10, 5.50])
    s = lesson.setup
    start = em1d.initial_mixture(X, s.k, means_init=[m[0] for m in s.means],
                                 variances_init=s.variances, weights_init=s.weights)
    terms = em1d.point_terms(X, start, 2)
    resp, ll0 = em1d.e_step(X, start)
    m1 = em1d.m_step(X, resp, reg_covar=s.reg_covar)
    resp2, ll1 = em1d.e_step(X, m1)
    m2 = em1d.m_step(X, resp2, reg_covar=s.reg_covar)
    quoted = {
        f"{terms.densities[0]:.4f}", f"{terms.densities[1]:.7f}", f"{terms.weighted[0]:.4f}",
        f"{terms.weighted[1]:.7f}", f"{terms.total:.4f}", f"{terms.resp[0]:.5f}",
        f"{terms.resp[1]:.5f}", f"−{-ll0:.2f}", f"{m1.means[0]:.4f}", f"{resp[3, 0]:.5f}",
        f"−{-ll1:.2f}", f"{m2.means[0]:.2f}", f"{m2.means[1]:.2f}", f"{m2.variances[0]:.2f}",
        f"{m2.variances[1]:.3f}",
    }
    for number in quoted:
        assert number.lstrip("0") in text or number in text, number


def test_lessons_load_from_an_extra_folder_and_names_must_be_unique(tmp_path):
    """A teacher's folder adds lessons; a name already taken is an error naming both files."""
    (tmp_path / "first-look.md").write_text(GOOD, encoding="utf-8")
    catalogue = lessons.load_lessons([tmp_path])
    assert list(catalogue)[:3] == ["soft-vs-hard", "trace-lab", "first-look"]  # order: 3
    (tmp_path / "trace-lab.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(LessonError, match="a lesson named 'trace-lab' exists already"):
        lessons.load_lessons([tmp_path])


def test_extra_folders_come_from_the_environment(tmp_path, monkeypatch):
    """EMLAB_LESSONS names extra folders for panel serve."""
    (tmp_path / "first-look.md").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("EMLAB_LESSONS", str(tmp_path))
    assert "first-look" in lessons.load_lessons()
    monkeypatch.delenv("EMLAB_LESSONS")
    assert "first-look" not in lessons.load_lessons()


def test_a_running_lab_can_skip_a_bad_file(tmp_path):
    """With errors=[], a bad file is set aside with its message and the rest still load."""
    (tmp_path / "broken.md").write_text("no front matter\n", encoding="utf-8")
    errors = []
    catalogue = lessons.load_lessons([tmp_path], errors=errors)
    assert tuple(catalogue) == BUILTIN
    assert [str(e) for e in errors] == [f"{tmp_path / 'broken.md'}:1: a lesson starts with a "
                                        "front matter: a line '---', then 'key: value' lines "
                                        "(title, data, k, ...), then '---'"]


def test_check_command_reports_every_problem(tmp_path):
    """python -m app.lessons check DIR: status 0 and one line per lesson, or 1 and every
    problem on stderr."""
    (tmp_path / "first-look.md").write_text(GOOD, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "app.lessons", "check", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0 and "ok  first-look: A first look (2 steps)" in run.stdout
    (tmp_path / "second.md").write_text(GOOD.replace("k: 2", "k: 0"), encoding="utf-8")
    (tmp_path / "third.md").write_text(GOOD.replace("when: e-step", "when: done"), "utf-8")
    run = subprocess.run([sys.executable, "-m", "app.lessons", "check", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 1
    assert f"{tmp_path / 'second.md'}:6: 'k' must be a whole number from 1 to 15" in run.stderr
    assert f"{tmp_path / 'third.md'}:20: unknown condition 'done'" in run.stderr


def test_the_readme_example_is_a_valid_lesson():
    """README's complete example lesson parses as it stands."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Writing a lesson"):]
    example = re.search(r"```markdown\n(.*?)```", section, re.S).group(1)
    lesson = parse(example, "first-look")
    assert lesson.steps and lesson.setup.data in lessons.known_datasets()
    question = re.findall(r"```markdown\n(.*?)```", section, re.S)[1]  # the question step's
    step = parse(example.split("## ")[0] + question).steps[0]
    assert step.condition.answered and [c.right for c in step.choices] == [False, True]


# --------------------------------------------------------------------------------------------------
# The built-in lessons against the real session: every step can be done, none is done before it


def open_lesson(lesson):
    """A Session set up as the lesson's front matter says (what the lesson panel will do)."""
    import numpy as np

    from app.session import Session

    setup = lesson.setup
    s = Session(dataset=setup.data)
    s.param.update(**setup.settings())
    if setup.means:
        s.move_means(np.array(setup.means))
    return s


def drag_two_means_together(s):
    """Two handles into the cluster at (6, 2), none left near (6, -2)."""
    s.move_means([[-6.0, -2.0], [-6.0, 2.0], [5.8, 2.0], [6.2, 2.0]])


# What a student does for each step of each lesson (trace-lab runs on 1-D data, which the
# session does not load yet; the 1-D engine's tests follow it instead).
WALKS = {
    "soft-vs-hard": [
        lambda s, c: s.run(),
        lambda s, c: c.update(pins=c["pins"] + 1),
        lambda s, c: setattr(s, "mode", "kmeans"),
        lambda s, c: s.run(),
        lambda s, c: (setattr(s, "mode", "em"), s.run()),
        lambda s, c: c.update(answers=c["answers"] + 1),
    ],
    "now-break-it": [
        lambda s, c: s.run(),
        lambda s, c: setattr(s, "reg_covar", 0.0),
        lambda s, c: setattr(s, "n_components", 6),
        lambda s, c: s.run(),
        lambda s, c: (setattr(s, "reg_covar", 1e-3), s.reset(), s.run()),
        lambda s, c: (s.break_it(), s.run()),
        lambda s, c: c.update(next_presses=c["next_presses"] + 1),
    ],
    "local-optima": [
        lambda s, c: s.run(),
        lambda s, c: (drag_two_means_together(s), c.update(drags=c["drags"] + 1)),
        lambda s, c: s.run(),
        lambda s, c: (s.run_restarts(), c.update(restarts_runs=c["restarts_runs"] + 1)),
        lambda s, c: c.update(next_presses=c["next_presses"] + 1),
    ],
    "shapes": [
        lambda s, c: s.run(),
        lambda s, c: (setattr(s, "mode", "kmeans"), s.run()),
        lambda s, c: (setattr(s, "mode", "em"), setattr(s, "covariance_type", "diag"), s.run()),
        lambda s, c: (setattr(s, "covariance_type", "full"), s.run()),
        lambda s, c: (setattr(s, "covariance_type", "tied"), s.run()),
        lambda s, c: c.update(next_presses=c["next_presses"] + 1),
    ],
    "how-many-components": [
        lambda s, c: (setattr(s, "n_components", 1), s.run()),
        lambda s, c: (setattr(s, "n_components", 6), s.run()),
        lambda s, c: s.compute_model_selection(),
        lambda s, c: (setattr(s, "n_components", s.best_k), s.run()),
        lambda s, c: c.update(next_presses=c["next_presses"] + 1),
    ],
    "the-math": [
        lambda s, c: c.update(pins=c["pins"] + 1),
        lambda s, c: s.e_step(),
        lambda s, c: (s.m_step(), c.update(predictions=c["predictions"] + 1)),
        lambda s, c: [s.step() for _ in range(4)],
        lambda s, c: c.update(next_presses=c["next_presses"] + 1),
    ],
}


@pytest.mark.parametrize("name", sorted(WALKS))
def test_a_student_can_finish_every_step_of_a_built_in_lesson(name):
    """Walking a lesson through the session as a student would, each step's condition is unmet
    when the step begins and met once its actions are done; the runner's best log-likelihood is
    the best converged one seen so far."""
    lesson = lessons.load_lessons([])[name]
    s = open_lesson(lesson)
    counters = dict(drags=0, restarts_runs=0, pins=0, predictions=0, next_presses=0, answers=0)
    best = None

    def snapshot():
        nonlocal best
        state = LabState.from_session(s, best_log_likelihood=best, **counters)
        if state.converged and not state.collapsed:
            best = max(best or -float("inf"), state.log_likelihood)
        return state

    assert len(WALKS[name]) == len(lesson.steps)
    for step, act in zip(lesson.steps, WALKS[name]):
        before = snapshot()
        assert not condition_met(step.condition, before, before), (name, step.title)
        act(s, counters)
        assert condition_met(step.condition, before, snapshot()), (name, step.title)


def test_known_datasets_give_each_set_its_dimension(monkeypatch, tmp_path):
    """Indexed sets are 2-D unless their entry says otherwise (dimension 1, or no y column);
    an unindexed CSV counts its columns. So registering six_points_1d keeps the trace lab valid."""
    import json
    import shutil

    known = lessons.known_datasets()
    assert known["old_faithful"] == 2 and known["six_points_1d"] == 1
    folder = tmp_path / "datasets"
    shutil.copytree(REPO / "datasets", folder, ignore=shutil.ignore_patterns("__pycache__"))
    index = json.loads((folder / "index.json").read_text("utf-8"))
    index.append({"name": "six_points_1d", "file": "six_points_1d.csv", "x": "x"})
    (folder / "index.json").write_text(json.dumps(index), "utf-8")
    files = lessons.resources.files
    monkeypatch.setattr(lessons.resources, "files",
                        lambda package: folder if package == "app.datasets" else files(package))
    assert lessons.known_datasets()["six_points_1d"] == 1
    assert "trace-lab" in lessons.load_lessons([])
