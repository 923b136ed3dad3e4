"""The narration panel: the collapse banner, the session's message and the running commentary.

Owns: three panes that show text the session already composed (app.narration writes every word):
a red banner while a component is collapsed (one line that opens to the explanation; app.views.lab
lays it over the plot, so it does not push the plot down), a note for refused or adjusted
actions, and the Markdown + LaTeX narration of the last and next half-step. Composes no sentences
of its own.

Why not ``pn.pane.Markdown`` for the narration: Panel's Markdown pane typesets ``$$`` with MathJax,
which is not among the files Panel bundles for offline use, while KaTeX is. So the Markdown is
turned into HTML here (markdown-it, a Panel dependency) with the equations set aside untouched,
and a ``pn.pane.LaTeX`` (KaTeX) pane shows the HTML and typesets its ``$$ ... $$`` / ``$ ... $``.
Imports panel, param, markdown_it, app.narration (its words) and app.views.updates only.
"""

from __future__ import annotations

import functools
import html
import re

import panel as pn
import param
from bokeh.core.property.validation import without_property_validation
from markdown_it import MarkdownIt

from app import narration
from app.views.updates import TextUpdates, set_if_changed

# Faster than this (half-steps per second), Play shows a short note instead of each half-step's
# narration: nobody reads ten paragraphs a second, and typesetting them costs every frame.
READABLE_SPEED = 2.0

_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


_SEPARATOR = re.compile(r",?\\q?quad\s*")


def _stack_display(math: str) -> str:
    """A display equation made of parts separated by ``\\quad`` becomes one part per line.

    The narration panel is narrow (a projector shows it beside the plot); the M-step's four
    updates side by side would overflow it.
    """
    if not (math.startswith("$$") and _SEPARATOR.search(math)):
        return math
    parts = [p.strip() for p in _SEPARATOR.split(math[2:-2]) if p.strip()]
    return "$$\\begin{gathered}" + " \\\\ ".join(parts) + "\\end{gathered}$$"


def markdown_with_math_to_html(text: str) -> str:
    """Markdown -> HTML, leaving every ``$$...$$`` and ``$...$`` span for KaTeX.

    Markdown would otherwise read the ``_`` and ``\\`` inside equations as emphasis and escapes.
    The maths is HTML-escaped (KaTeX reads the text content, so ``<`` must arrive as ``&lt;``).
    """
    maths = []

    def hold(match):
        maths.append(_stack_display(match.group(0)))
        return f"EMLABMATH{len(maths) - 1}Z"

    rendered = _MARKDOWN.render(_MATH.sub(hold, text or ""))
    return re.sub(r"EMLABMATH(\d+)Z", lambda m: html.escape(maths[int(m.group(1))]), rendered)


@functools.lru_cache(maxsize=256)
def _paragraph_html(paragraph: str) -> str:
    return markdown_with_math_to_html(paragraph)


def narration_html(text: str) -> str:
    """The narration's HTML, made paragraph by paragraph, each kept: of a half-step's
    paragraphs only the first (its numbers) is new, the next step's and its equation recur.

    The same as :func:`markdown_with_math_to_html` of the whole text for the narration's
    Markdown, whose blocks (paragraphs, display equations) never span a blank line."""
    return "".join(_paragraph_html(paragraph) for paragraph in text.split("\n\n"))


def banner_html(markdown: str) -> str:
    """The collapse banner: its heading as a one-line summary that opens (a ``<details>``) to the
    rest (what happened, the remedies). Markdown, never raw HTML: the words are escaped."""
    if not markdown:
        return ""
    heading, _, body = markdown.partition("\n\n")
    title = html.escape(heading.lstrip("#").strip(), quote=False)
    return ('<details class="emlab-banner"><summary><span class="title">'
            f'{title}</span><span class="more">why, and what to do</span></summary>'
            f'<div class="body">{_MARKDOWN.render(body)}</div></details>')


class BannerText(pn.pane.HTML):
    """The collapse banner's pane (plain HTML: the words arrive escaped by banner_html)."""


class NarrationText(TextUpdates, pn.pane.LaTeX):
    """The narration's pane: only its text travels when it changes (every half-step)."""


class NarrationPanel(pn.viewable.Viewer):
    """Banner, message and narration of a session."""

    session = param.Parameter(doc="The EM session (app.session.Session).")

    def __init__(self, **params):
        super().__init__(**params)
        self.banner = BannerText("", visible=False, margin=0,
                                 css_classes=["emlab-collapse-banner"], stylesheets=[_BANNER_CSS])
        self.message = pn.pane.Alert("", alert_type="warning", visible=False,
                                     sizing_mode="stretch_width", margin=(6, 10),
                                     css_classes=["emlab-message"])
        self.text = NarrationText("", renderer="katex", sizing_mode="stretch_width",
                                  margin=(0, 10), stylesheets=[_TEXT_CSS],
                                  # steady: its card does not shrink by a line or two as the
                                  # text changes (static/page-tweaks.js)
                                  css_classes=["emlab-narration", "emlab-steady"])
        self.session.param.watch(self._on_session, ["version"])
        self._on_session()

    def __panel__(self):
        return pn.Column(self.banner, self.message, self.text, sizing_mode="stretch_width")

    # Bokeh validates every property set, a third of a redraw in the browser; the values set here
    # are built by this module (and checked by its tests), so the redraw skips that.
    @without_property_validation
    def _on_session(self, *events):
        s = self.session
        # Markdown, but never raw HTML: a message can quote a file or column name.
        banner = banner_html(s.collapse_banner)
        if banner != self.banner.object:  # (a new object would close an opened banner)
            self.banner.object = banner
        set_if_changed(self.banner, visible=bool(s.collapse_banner))
        set_if_changed(self.message, object=html.escape(s.message, quote=False),
                       visible=bool(s.message))
        fast = s.playing and s.speed > READABLE_SPEED
        text = narration.playing_fast(s.speed) if fast else s.narration
        self.text.object = narration_html(text)


# Over the top left of the plot card (app.views.lab), clear of the plot's toolbar on the right;
# opened, it grows over the plot instead of pushing it down.
_BANNER_CSS = """
:host { position: absolute; top: 6px; left: 8px; z-index: 20; width: auto;
        max-width: max(200px, calc(100% - 235px)); }
details { background: #fff1f1; border: 1px solid #f1b5b5; border-left: 6px solid #d00000;
          border-radius: 8px; box-shadow: 0 2px 8px rgba(60, 0, 0, .18); color: #5a0000;
          font-size: 15px; line-height: 1.4; }
summary { cursor: pointer; padding: 5px 12px; display: flex; flex-wrap: wrap; gap: 0 10px;
          align-items: baseline; }
summary .title { font-weight: 700; color: #b00000; }
summary .more { font-size: 13px; text-decoration: underline; }
.body { padding: 0 14px 6px 14px; max-height: 60vh; overflow-y: auto; }
.body p { margin: 6px 0; }
"""
# Long equations (the full-covariance M-step) scroll inside the card instead of widening the page.
_TEXT_CSS = """
:host { font-size: 15px; line-height: 1.5; max-width: 100%; overflow-x: hidden; }
.katex-display { margin: 0.4em 0; max-width: 100%; overflow-x: auto; overflow-y: hidden;
                 padding: 2px 0 6px 0; }
"""
