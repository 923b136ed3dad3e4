"""The Lessons card: a picker of the guided lessons and the panel of the lesson running.

Owns: LessonsPanel, a view of an ``app.lesson_run.LessonRun``: the *Lesson* picker (every lesson by
title; one the lab cannot run is listed but cannot be picked, and a short note says why; one on
the other kind of data, such as the trace lab's 1-D points, opens its own page), and,
while a lesson runs, its title, "Step n of m", the steps done so far (checked off), the current
step's title and text (Markdown with $…$ maths, typeset by KaTeX as the narration is), a
question's choices as buttons with the chosen one's feedback under them (a right answer's stays
shown, checked, above the next step), a Next button for the steps that wait for it, Back and
Leave lesson, and a clear "done" state after the last step. The lesson's words come from its
file (``app/lessons/*.md``); the few words of its own are the panel's labels. Imports panel,
param, app.lesson_run and app.views.narration (its Markdown and maths conversion).
"""

from __future__ import annotations

import html
import json

import panel as pn
import param

from app.lesson_run import LessonRun, unavailable_reason
from app.views.narration import markdown_with_math_to_html

NONE = "Choose a lesson"  # the picker's entry (and lesson name) when no lesson runs


class LessonsPanel(pn.viewable.Viewer):
    """The lesson picker and the running lesson's steps."""

    run = param.ClassSelector(class_=LessonRun, doc="The lesson run this panel shows and drives.")

    def __init__(self, **params):
        super().__init__(**params)
        run = self.run
        reasons = run.availability()
        # Lessons on the other kind of data open the other page (the trace lab for 1-D data):
        # picking one follows its link (in the page: see _follow_elsewhere).
        other = 3 - run.dimension
        self._elsewhere = {name for name, lesson in run.lessons.items()
                           if reasons[name] and not unavailable_reason(lesson, dimension=other)}
        reasons = {name: ("" if name in self._elsewhere else reason)
                   for name, reason in reasons.items()}
        # label -> lesson name. The options are the labels themselves: Panel 1.9 sends a dict's
        # disabled options to the page as values, where the page compares them with labels.
        self._names = {NONE: NONE}
        for name, lesson in run.lessons.items():
            label = lesson.title + (" (not available yet)" if reasons[name] else
                                    " (opens its own page)" if name in self._elsewhere else "")
            if label in self._names:  # two lessons of one title (a teacher's and a built-in)
                label = f"{label} ({name})"
            self._names[label] = name
        self._labels = {name: label for label, name in self._names.items()}
        self.picker = pn.widgets.Select(
            label="Lesson", options=list(self._names),
            value=self._labels[run.lesson.name if run.running else NONE],
            disabled_options=[self._labels[name] for name, reason in reasons.items() if reason],
            sizing_mode="stretch_width", margin=(4, 10, 2, 10),
            description="A guided lesson: the lab is set up for it, and each step says what to "
                        "do and moves on when it is done")
        unavailable = " ".join(reason for reason in reasons.values() if reason)
        self._follow_elsewhere()
        self.unavailable = pn.pane.HTML(
            f'<div class="emlab-lesson-aside">{html.escape(unavailable)}</div>' if unavailable
            else "", visible=bool(unavailable), sizing_mode="stretch_width", margin=(0, 10),
            stylesheets=[_CSS])
        self.note = pn.pane.HTML("", visible=False, sizing_mode="stretch_width", margin=(0, 10),
                                 stylesheets=[_CSS], css_classes=["emlab-lesson-note"])
        # Its side space is padding, not a margin: BokehJS dropped the margin when the choice
        # buttons under it were replaced (one question after another).
        self.text = pn.pane.LaTeX("", renderer="katex", sizing_mode="stretch_width",
                                  margin=0, css_classes=["emlab-lesson"],
                                  stylesheets=[_CSS, ":host { padding: 0 10px; }"])
        button = dict(height=36, margin=(6, 4), sizing_mode="stretch_width")
        self.back_button = pn.widgets.Button(label="Back", color="default",
                                             description="Show the previous step again", **button)
        self.next_button = pn.widgets.Button(label="Next", color="primary",
                                             description="Done with this step: go on", **button)
        self.leave_button = pn.widgets.Button(label="Leave lesson", color="default",
                                              description="Close the lesson; the lab stays as "
                                                          "it is", **button)
        # The current step's question: one button per choice, the feedback under them.
        # (Headed, so it is never an empty layout: Bokeh warns of one even while hidden.)
        self.choices_heading = pn.pane.HTML('<div class="emlab-choose">Your answer:</div>',
                                            stylesheets=[_CSS], margin=(0, 4))
        self.choices = pn.Column(self.choices_heading, sizing_mode="stretch_width",
                                 margin=(2, 6), visible=False)
        self.feedback = pn.pane.HTML("", visible=False, sizing_mode="stretch_width",
                                     margin=(0, 10), stylesheets=[_CSS],
                                     css_classes=["emlab-lesson-feedback"])
        self._choices_for = None  # the step whose choices the buttons show
        self.buttons = pn.Row(self.back_button, self.next_button, self.leave_button,
                              sizing_mode="stretch_width", margin=(0, 6, 4, 6))
        self.back_button.on_click(lambda event: self.run.back())
        self.next_button.on_click(lambda event: self.run.next())
        self.leave_button.on_click(lambda event: self.run.leave())
        self.picker.param.watch(self._on_pick, "value")
        run.param.watch(self._on_run, ["lesson", "step", "message", "feedback", "feedback_step"])
        self._layout = pn.Column(
            pn.pane.HTML('<div class="emlab-lesson-heading">Lessons</div>', stylesheets=[_CSS],
                         margin=(6, 10, 0, 10)),
            self.picker, self.unavailable, self.note, self.text, self.choices, self.feedback,
            self.buttons,
            sizing_mode="stretch_width", css_classes=["emlab-lessons"])
        self._on_run()

    def __panel__(self):
        return self._layout

    @property
    def choice_buttons(self) -> list:
        """The current question's buttons, one per choice (none without a question)."""
        return self.choices.objects[1:]

    def _follow_elsewhere(self):
        """Picking a lesson that opens its own page loads ``?lesson=NAME`` (keeping ``embed``)
        in the browser itself, so it works the same under ``panel serve`` and in the static
        site."""
        self.follow = None
        if not self._elsewhere:
            return
        targets = json.dumps({self._labels[name]: name for name in self._elsewhere})
        self.follow = self.picker.jscallback(value=f"""
          const name = ({targets})[cb_obj.value];
          if (name === undefined) return;
          const here = new URLSearchParams(window.location.search);
          const query = new URLSearchParams({{lesson: name}});
          if (here.get("embed")) query.set("embed", here.get("embed"));
          window.location.search = "?" + query.toString();
        """)

    def _shown(self) -> str:
        """The picker's entry for the lesson running (or for none)."""
        return self._labels[self.run.lesson.name if self.run.running else NONE]

    def _on_pick(self, event):
        if event.new == self._shown():
            return  # the panel itself put the picker there
        name = self._names[event.new]
        if name in self._elsewhere:
            return  # the page follows the lesson's link (_follow_elsewhere)
        if name == NONE:
            self.run.leave()
        elif not self.run.start(name):
            self.picker.value = self._shown()

    def _on_run(self, *events):
        run = self.run
        self.note.object = (f'<div class="emlab-lesson-aside">{html.escape(run.message)}</div>'
                            if run.message else "")
        self.note.visible = bool(run.message)
        if self.picker.value != self._shown():
            self.picker.value = self._shown()
        # Which lessons cannot run here, and why: while choosing, not during a lesson.
        self.unavailable.visible = bool(self.unavailable.object) and not run.running
        if not run.running:
            self.text.object = ""
            self.text.visible = self.buttons.visible = False
            self._show_question(None)
            return
        self.text.object = lesson_html(run)
        self.text.visible = self.buttons.visible = True
        self.back_button.disabled = run.step == 0
        current = run.current
        self.next_button.visible = current is not None and current.condition.manual
        self._show_question(current)

    def _show_question(self, step):
        """The step's choices as buttons (made once per step), and a wrong answer's feedback."""
        key = (self.run.lesson, self.run.step) if step is not None and step.choices else None
        if key != self._choices_for:
            self._choices_for = key
            buttons = []
            for i, choice in enumerate(step.choices if key else ()):
                button = pn.widgets.Button(label=choice.text, color="default",
                                           sizing_mode="stretch_width", margin=(3, 4),
                                           css_classes=["emlab-lesson-choice"],
                                           stylesheets=[_CHOICE_CSS])
                button.on_click(lambda event, i=i: self.run.answer(i))
                buttons.append(button)
            self.choices.objects = [self.choices_heading, *buttons]
            self.choices.visible = bool(buttons)
        run = self.run
        wrong = bool(key) and run.feedback_step == run.step and not run.feedback_right
        self.feedback.object = (f'<div class="wrong"><span class="mark">✗</span> '
                                f'{html.escape(run.feedback)}</div>' if wrong else "")
        self.feedback.visible = wrong


def lesson_html(run: LessonRun) -> str:
    """The running lesson as HTML (its maths left for KaTeX): title, "Step n of m", the steps so
    far (done ones checked off), the current step's text, or the done state."""
    lesson, index = run.lesson, run.step
    steps = lesson.steps
    done = index >= len(steps)
    count = ("Done" if done else f"Step {index + 1} of {len(steps)}")
    parts = [f'<div class="head"><span class="title">{html.escape(lesson.title)}</span>'
             f'<span class="count">{count}</span></div>']
    if index == 0 and lesson.intro:
        parts.append(f'<div class="intro">{markdown_with_math_to_html(lesson.intro)}</div>')
    items = []
    for i, step in enumerate(steps[: index + 1]):
        kind = "done" if i < index else "current"
        mark = "✓" if kind == "done" else str(i + 1)
        items.append(f'<li class="{kind}"><span class="mark">{mark}</span>'
                     f"{html.escape(step.title)}</li>")
    parts.append(f'<ol class="steps">{"".join(items)}</ol>')
    if done:
        parts.append('<div class="finished">Lesson complete: every step is done. Go back to '
                     "any step, pick another lesson, or leave the lesson and keep exploring."
                     "</div>")
    if run.feedback and run.feedback_right and run.feedback_step == index - 1:
        parts.append(f'<div class="answered"><span class="mark">✓</span> '
                     f'{html.escape(run.feedback)}</div>')
    if not done:
        parts.append(f'<div class="step">{markdown_with_math_to_html(steps[index].text)}</div>')
        if index + 1 < len(steps):
            left = len(steps) - index - 1
            parts.append(f'<div class="later">{left} more step{"s" if left > 1 else ""} after '
                         "this one.</div>")
    return f'<div class="emlab-lesson-body">{"".join(parts)}</div>'


# A choice's words wrap inside its button instead of running off it.
_CHOICE_CSS = """
.bk-btn { white-space: normal; text-align: left; height: auto; min-height: 36px; line-height: 1.3;
          padding: 6px 10px; }
"""

_CSS = """
:host { font-size: 15px; line-height: 1.45; max-width: 100%; overflow-x: hidden; }
.emlab-lesson-heading { font-weight: 700; font-size: 13px; letter-spacing: .06em;
                        text-transform: uppercase; color: #4a4a68; }
.emlab-choose { font-size: 13px; font-weight: 700; color: #4a4a68; }
.emlab-lesson-aside { font-size: 13px; color: #5a5a72; }
.head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px;
        margin-top: 4px; }
.head .title { font-size: 18px; font-weight: 800; color: #12324f; }
.head .count { font-size: 13px; font-weight: 700; color: #1d4f7a; white-space: nowrap; }
.intro { font-size: 14px; color: #44445a; }
.intro p { margin: 4px 0; }
ol.steps { list-style: none; margin: 6px 0 4px 0; padding: 0; }
ol.steps li { display: flex; gap: 8px; align-items: baseline; padding: 1px 0; }
ol.steps li.done { color: #5a5a72; }
ol.steps li.current { font-weight: 700; color: #12324f; }
ol.steps .mark { display: inline-block; min-width: 20px; height: 20px; line-height: 20px;
                 border-radius: 10px; text-align: center; font-size: 12px; font-weight: 700; }
ol.steps li.done .mark { background: #dff3e4; color: #1b6e3a; }
ol.steps li.current .mark { background: #1d4f7a; color: white; }
.step { background: #f4f7fc; border-left: 4px solid #1d4f7a; border-radius: 6px;
        padding: 2px 10px; }
.step p { margin: 6px 0; }
.answered, .wrong { border-radius: 6px; padding: 6px 10px; margin: 4px 0; font-size: 14px; }
.answered { background: #e9f7ee; border-left: 4px solid #1b6e3a; color: #124d28; }
.wrong { background: #fdf0ec; border-left: 4px solid #a4402a; color: #6e2414; }
.answered .mark, .wrong .mark { font-weight: 800; }
.later { font-size: 12px; color: #6a6a80; margin-top: 4px; }
.finished { background: #e9f7ee; border-left: 4px solid #1b6e3a; border-radius: 6px;
            padding: 8px 10px; color: #124d28; font-weight: 600; }
.katex-display { margin: 0.4em 0; max-width: 100%; overflow-x: auto; overflow-y: hidden;
                 padding: 2px 0 6px 0; }
"""
