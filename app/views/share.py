"""Lesson links: the Share link button, and the notes on what an opened link could not set.

Owns: ShareLink (a button that writes the lab's state into a URL with ``app.urlstate.encode`` and
copies it to the clipboard) and LinkNotes (what ``app.urlstate.apply`` ignored, shown until
dismissed). The page's own address is read in the browser, so the link is right under ``panel
serve``, on the static site and inside an iframe alike. Imports panel, param and app.urlstate.
"""

from __future__ import annotations

import html

import panel as pn
import param
from panel.reactive import ReactiveHTML

from app import urlstate


class LinkBox(ReactiveHTML):
    """The link, shown in a read-only field, selected and copied in the browser.

    Python sets ``query`` and bumps ``requests``; the script puts the page's address in front of the
    query (only the browser knows it), selects the field and copies it. An empty ``query`` hides the
    field: the link it showed no longer matches the lab.
    """

    # A list, not a String: Panel HTML-cleans string parameters of ReactiveHTML ('&' -> '&amp;').
    query = param.List(default=[], doc="[the link's query string ('?data=...')], or [] for none.")
    requests = param.Integer(default=0, doc="Counts Share clicks, so the same link copies again.")
    link = param.String(default="", doc="The full link, as the browser composed it.")

    _template = """
      <div class="emlab-share">
        <input id="field" class="emlab-share-field" readonly style="display:none"
               aria-label="Link to this state of the lab"></input>
        <div id="note" class="emlab-share-note" aria-live="polite"></div>
      </div>
    """
    _stylesheets = ["""
      .emlab-share-field { width: 100%; box-sizing: border-box; font: 12px ui-monospace, monospace;
                           padding: 4px 6px; border: 1px solid #c8c8d4; border-radius: 4px;
                           background: #f7f7fb; color: #222; }
      .emlab-share-note { font-size: 12px; color: #1b6e3a; min-height: 0; margin-top: 2px; }
    """]
    _scripts = {
        "requests": """
          if (!data.query.length) return;
          const url = window.location.origin + window.location.pathname + data.query[0];
          field.value = url;
          field.style.display = "block";
          field.focus();
          field.select();
          data.link = url;
          const say = (text) => { note.textContent = text; };
          const byHand = "Select the link and copy it (Ctrl+C or ⌘C).";
          if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(url).then(
              () => say("Copied to the clipboard: whoever opens it sees what you see now."),
              () => say(byHand));
          } else {
            say(byHand);
          }
        """,
        "query": """
          if (data.query.length) return;
          field.style.display = "none";
          note.textContent = "";
        """,
    }


class ShareLink(pn.viewable.Viewer):
    """A button that copies a link reproducing the lab's current state (a lesson link)."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    hidden = param.Parameter(default=frozenset(),
                             doc="Parts hidden by the link the lab was opened with (kept).")
    embedded = param.Boolean(default=False, doc="The lab was opened embedded (kept in the link).")
    lesson_run = param.Parameter(default=None, doc="The lab's app.lesson_run.LessonRun: while a "
                                 "lesson runs, the link opens that lesson at its first step.")

    def __init__(self, **params):
        super().__init__(**params)
        self.button = pn.widgets.Button(
            label="Share link", color="default", sizing_mode="stretch_width", height=40,
            description="Copy a link that opens the lab in this state: data, settings, start and "
                        "half-steps")
        self.box = LinkBox(sizing_mode="stretch_width", margin=(0, 10))
        self.notes = pn.pane.HTML("", visible=False, sizing_mode="stretch_width", margin=(0, 10),
                                  styles={"font-size": "12px", "color": "#7a4b00"})
        self.button.on_click(self._on_share)
        self.session.param.watch(self._on_session, ["version"])
        if self.lesson_run is not None:
            self.lesson_run.param.watch(self._on_session, ["lesson"])

    def __panel__(self):
        return pn.Column(self.button, self.box, self.notes, sizing_mode="stretch_width")

    @property
    def query(self) -> str:
        """The query string the last click copied ('' when the lab has changed since)."""
        return self.box.query[0] if self.box.query else ""

    def _on_share(self, event=None):
        run = self.lesson_run
        lesson = run.lesson.name if run is not None and run.running else None
        query, notes = urlstate.encode(self.session, hide=self.hidden, embed=self.embedded,
                                       lesson=lesson)
        self.box.param.update(query=[query], requests=self.box.requests + 1)
        self.notes.object = "<br>".join(html.escape(note) for note in notes)
        self.notes.visible = bool(notes)

    def _on_session(self, *events):
        # The link in the field described the state before this change: take it away.
        if self.box.query:
            self.box.query = []
        self.notes.visible = False


class LinkNotes(pn.viewable.Viewer):
    """What the link the lab was opened with asked for and did not get, until dismissed."""

    notes = param.List(default=[], doc="Plain-text notes, already HTML-escaped "
                                       "(app.urlstate.apply's return value).")

    def __init__(self, **params):
        super().__init__(**params)
        self.text = pn.pane.HTML(self._html(), sizing_mode="stretch_width", margin=(0, 4),
                                 stylesheets=[_NOTES_CSS])
        self.dismiss = pn.widgets.Button(label="Dismiss", color="light", width=90, height=32,
                                         margin=(0, 10, 6, 10))
        self._layout = pn.Column(self.text, self.dismiss, visible=bool(self.notes),
                                 sizing_mode="stretch_width", css_classes=["emlab-link-notes-box"],
                                 stylesheets=[_BOX_CSS], margin=(0, 0, 10, 0))
        self.dismiss.on_click(self._on_dismiss)

    def __panel__(self):
        return self._layout

    def _html(self) -> str:
        items = "".join(f"<li>{note}</li>" for note in self.notes)
        return ('<div class="emlab-link-notes"><b>This link asked for something the lab could '
                f"not do, so it was left out:</b><ul>{items}</ul></div>")

    @param.depends("notes", watch=True)
    def _on_notes(self):
        self.text.object = self._html()
        self._layout.visible = bool(self.notes)

    def _on_dismiss(self, event=None):
        self._layout.visible = False
        self.text.object = ""


_NOTES_CSS = """
.emlab-link-notes { font-size: 14px; color: #5b3b00; padding: 6px 8px 0 8px; }
.emlab-link-notes ul { margin: 4px 0 0 0; padding-left: 20px; }
"""
_BOX_CSS = """
:host(.emlab-link-notes-box) { background: #fff6e0; border: 1px solid #f0c96b; border-radius: 8px; }
"""
