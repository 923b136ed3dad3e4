"""The Lessons card without a browser (app.views.lessons.LessonsPanel) and its hooks in the lab:
the picker, the step shown, the buttons, a lesson link's lab and Share while a lesson runs."""

from __future__ import annotations

import re

from app.lesson_run import LessonRun
from app.main import create_app
from app.prediction import Prediction
from app.session import Session
from app.views.lessons import NONE, LessonsPanel, lesson_html
from app.views.state import ViewState


def panel():
    s, view_state = Session(), ViewState()
    run = LessonRun(session=s, view_state=view_state)
    return s, view_state, run, LessonsPanel(run=run)


def test_the_picker_lists_every_lesson_and_the_trace_lab_opens_its_own_page():
    """Every lesson by title, in order; the trace lab (1-D data) is listed as opening its own
    page: picking it follows ?lesson=trace-lab in the browser (a callback on the picker) and
    leaves this lab as it is."""
    s, _, run, view = panel()
    assert view.picker.options[0] == NONE
    assert view.picker.options[1:] == [
        "Soft vs hard", "Trace lab (opens its own page)", "Now break it", "Local optima",
        "Shapes", "How many components?", "The math"]
    assert view.picker.disabled_options == []
    assert not view.unavailable.visible
    assert not view.text.visible and not view.buttons.visible
    assert '{"Trace lab (opens its own page)": "trace-lab"}' in view.follow.code["value"]
    view.picker.value = "Trace lab (opens its own page)"
    assert not run.running and s.dataset != "six_points_1d"


def test_picking_a_lesson_starts_it_and_shows_step_one():
    """Picking sets the lab up and shows the title, Step 1 of m and the step's text."""
    s, _, run, view = panel()
    view.picker.value = "The math"
    assert run.running and run.lesson.name == "the-math" and s.dataset == "old_faithful"
    assert view.text.visible and "Step 1 of 5" in view.text.object
    assert "Pick a point" in view.text.object and not view.unavailable.visible
    assert view.back_button.disabled and not view.next_button.visible


def test_steps_done_are_checked_off_and_next_shows_for_manual_steps():
    """After each step its title is checked off; the last (manual) step shows Next; Next ends
    the lesson in its done state."""
    s, view_state, run, view = panel()
    view.picker.value = "The math"
    view_state.pinned = 3
    s.e_step()
    assert "Step 3 of 5" in view.text.object
    assert view.text.object.count('class="done"') == 2 and not view.back_button.disabled
    run.prediction = Prediction(session=s, view_state=view_state)  # the Predict tab's
    run.prediction.start_means()
    for x, y in s.mixture.means:
        run.prediction.place(x, y)
    s.m_step()  # reveals the guess: the step's 'predicted'
    s.step(), s.step()
    assert "Step 5 of 5" in view.text.object and view.next_button.visible
    view.next_button.clicks += 1
    assert run.done and "Lesson complete" in view.text.object
    assert view.text.object.count('class="done"') == 5 and not view.next_button.visible


def test_a_question_shows_its_choices_as_buttons_and_the_feedback():
    """Soft vs hard's last step: one button per choice and no Next; a wrong choice's feedback
    shows under them and the step stays; the right one ends the lesson with its feedback checked
    above the done state; Back takes the question and its buttons back."""
    s, view_state, run, view = panel()
    view.picker.value = "Soft vs hard"
    assert not view.choices.visible and not view.feedback.visible
    s.run()
    view_state.pinned = 5
    s.mode = "kmeans"
    s.run()
    s.mode = "em"
    s.run()
    step = run.current
    assert step.title == "Think it over" and not view.next_button.visible
    assert view.choices.visible and [b.label for b in view.choice_buttons] == [c.text for c in
                                                                        step.choices]
    wrong = [c.right for c in step.choices].index(False)
    right = [c.right for c in step.choices].index(True)
    view.choice_buttons[wrong].clicks += 1
    assert run.current is step and view.feedback.visible and "✗" in view.feedback.object
    assert step.choices[wrong].feedback.split(":")[0] in view.feedback.object
    view.choice_buttons[right].clicks += 1
    assert run.done and not view.choices.visible and not view.feedback.visible
    assert "Lesson complete" in view.text.object and 'class="answered"' in view.text.object
    assert step.choices[right].feedback.split(".")[0] in view.text.object
    view.back_button.clicks += 1
    assert view.choices.visible and 'class="answered"' not in view.text.object


def test_the_step_text_keeps_its_maths_for_katex():
    """The E-step's equation reaches the pane as $$...$$ (typeset by KaTeX), not as Markdown."""
    s, view_state, run, view = panel()
    view.picker.value = "The math"
    view_state.pinned = 0
    assert "$$r_{ik} = \\frac{\\pi_k" in view.text.object


def test_back_and_leave_buttons():
    """Back shows the previous step; Leave lesson closes the panel and resets the picker."""
    s, view_state, run, view = panel()
    view.picker.value = "The math"
    view_state.pinned = 1
    view.back_button.clicks += 1
    assert run.step == 0 and "Step 1 of 5" in view.text.object
    view.leave_button.clicks += 1
    assert not run.running and view.picker.value == NONE and not view.text.visible


def test_choosing_no_lesson_leaves_and_an_unavailable_one_is_refused():
    """'Choose a lesson' leaves the lesson; the trace lab (if picked anyway) is refused with why."""
    s, _, run, view = panel()
    view.picker.value = "Shapes"
    view.picker.value = NONE
    assert not run.running
    run.start("trace-lab")
    assert not run.running and view.note.visible and "1-D" in view.note.object


def test_no_code_names_and_no_nan_in_the_panel():
    """What the panel shows for every step of every lesson has no snake_case names and no NaN."""
    for name in ("soft-vs-hard", "now-break-it", "local-optima", "shapes",
                 "how-many-components", "the-math"):
        s, _, run, view = panel()
        run.start(name)
        for i in range(len(run.lesson.steps) + 1):
            run._set(step=i)
            text = re.sub(r"\$\$.*?\$\$", "", lesson_html(run), flags=re.S)
            text = re.sub(r"\$[^$]*\$", "", text)
            text = re.sub(r'class="[^"]*"', "", text)
            assert not re.search(r"\b[a-z]+_[a-z_]+\b|NaN|\binf\b", text), (name, i)


def test_a_lesson_link_opens_the_lab_in_the_lesson_hiding_what_it_hides():
    """?lesson=soft-vs-hard: the lab set up, step 1 shown, its hide applied; Share copies the
    lesson at step 1 without the lesson's own hide."""
    lab = create_app("?lesson=soft-vs-hard&embed=1")
    assert lab.lesson_run.lesson.name == "soft-vs-hard" and lab.session.dataset == "overlapping"
    assert {"restarts", "bic", "upload"} <= lab.hidden
    assert lab.lessons.picker.value == "Soft vs hard"
    lab.session.run()
    lab.share._on_share()
    assert lab.share.query == "?lesson=soft-vs-hard&embed=1"
    lab.lesson_run.leave()
    lab.share._on_share()
    assert lab.share.query.startswith("?data=overlapping")


def test_a_link_to_the_trace_lab_or_an_unknown_lesson_is_a_note():
    """The trace lab's link opens its own page (app.views.trace_lab) with the lesson running; an
    unknown lesson opens the lab as usual, with a note saying why the lesson did not start."""
    from app.views.trace_lab import TraceLab

    trace = create_app("?lesson=trace-lab")
    assert isinstance(trace, TraceLab) and trace.run.running and trace.link_notes == []
    lab = create_app("?lesson=nope")
    assert "expected one of" in lab.link_notes[-1] and not lab.lesson_run.running
