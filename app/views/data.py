"""The data panel: data set picker, add/remove-point mode and CSV upload.

Owns: the widgets that change the session's data (``dataset``, ``use_dataset``) and the add-point
mode toggle (ViewState.add_points; the plot turns clicks into ``add_point`` / ``remove_point``), and
the uploaded file: its bytes stay here (never in the session), so the x/y column pickers and the
"drop invalid rows" and "standardise" options re-read it without a new upload.

The bytes go to ``app.data.parse_csv`` as they arrived (it decodes UTF-8, UTF-16 and Latin-1 and
refuses binary files); this view decodes nothing and only shows the verdict. A refused file
changes nothing in the session. Everything that came from the file (its name, column names,
cells quoted in messages) reaches the page as plain text: Markdown and HTML in it are escaped.

A file over ``data.MAX_BYTES`` (the parser's own cap) is refused in the browser, before its bytes
are read (UploadGuard): under ``panel serve`` the whole file travels in one WebSocket message, and
one larger than the server's limit drops the connection without a word. So is an empty file (0
bytes): Panel's FileInput turns its empty content into None, the same as a cleared input, and
would never report it. The page tells Python only the file's name and size, and the refusal is
reported like any other.
Imports panel, param, app.data and app.runtime; computes nothing itself.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import panel as pn
import param
from panel.reactive import ReactiveHTML

from app import data, runtime
from app.views import icons
from app.views.controls import CHECKBOX_CSS
from app.views.state import ViewState

DROP_INVALID_LABEL = "Drop rows with missing or invalid values"
STANDARDIZE_LABEL = "Standardise"

# CommonMark lets a backslash escape any ASCII punctuation character: the escaped character is
# then literal text, so "<", "*", "[" or "`" in a file name or column name cannot become HTML,
# emphasis or a link.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text) -> str:
    """``text`` as Markdown that renders as exactly that text (on one line)."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


class UploadGuard(ReactiveHTML):
    """An invisible element that refuses, in the browser, a picked file larger than ``limit`` or
    empty (0 bytes: FileInput would send its content as "", which Panel reads as no file).

    BokehJS's file input reads the picked file on its ``change`` event and sends all of it to
    Python; Panel 1.9.4's FileInput has no size limit (only its FileDropper has one). A file input
    fires ``input`` (which crosses shadow roots) just before ``change`` (which does not), so a
    capturing listener on the document sees the pick first: for such a file it stops the
    ``change`` before BokehJS's own listener, clears the input and sends only the file's name and
    size (``refused``). It acts on the file input inside an element of class ``target`` only.
    """

    limit = param.Integer(default=data.MAX_BYTES, bounds=(1, None),
                          doc="The largest file, in bytes, that the page reads and sends.")
    target = param.List(default=["emlab-upload"], doc="[the CSS class of the guarded FileInput].")
    # A list, not two Strings: Panel HTML-cleans string parameters of ReactiveHTML ('&' -> '&amp;').
    refused = param.List(default=[], doc="[file name, size in bytes, count] of the last refusal; "
                         "the count makes the same file refused twice a change.")

    _template = '<div id="guard" style="display:none"></div>'

    _scripts = {
        "render": """
          state.handler = (event) => {
            const path = event.composedPath();
            const input = path[0];
            if (!input || input.tagName !== "INPUT" || input.type !== "file") return;
            if (!path.some((node) => node.classList && node.classList.contains(data.target[0])))
              return;
            const big = Array.from(input.files || []).find(
              (file) => file.size > data.limit || file.size === 0);
            if (big === undefined) return;
            // At the input itself, capturing listeners run before BokehJS's: it never reads
            // the file.
            const stop = (change) => change.stopImmediatePropagation();
            input.addEventListener("change", stop, {capture: true, once: true});
            // The browser fires change in the same task; should it not, the next pick must pass.
            setTimeout(() => input.removeEventListener("change", stop, {capture: true}), 0);
            input.value = "";
            const count = data.refused.length ? data.refused[2] + 1 : 1;
            data.refused = [big.name, big.size, count];
          };
          document.addEventListener("input", state.handler, true);
        """,
        "remove": """
          if (state.handler) document.removeEventListener("input", state.handler, true);
        """,
    }


class DataPanel(pn.viewable.Viewer):
    """Pick a data set, edit it by clicking, or upload a CSV and choose how to read it."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.session
        self.picker = pn.widgets.Select.from_param(s.param.dataset, label="Data set",
                                                   sizing_mode="stretch_width")
        self.note = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10),
                                     styles={"font-size": "13px", "color": "#444"})
        # A shipped set's loader notes (e.g. repeated points), closed until asked for: opening a
        # data set shows at most one calm note (issue 13).
        self.details = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10),
                                    css_classes=["emlab-data-details"],
                                    stylesheets=[_DETAILS_CSS], visible=False)
        self.add_points = pn.widgets.Toggle.from_param(
            self.view_state.param.add_points, label="Add points by clicking", icon=icons.PLUS,
            icon_size="1.1em", color="default", sizing_mode="stretch_width")

        self.upload = pn.widgets.FileInput(accept=".csv,.tsv,.txt", multiple=False,
                                           sizing_mode="stretch_width",
                                           css_classes=["emlab-upload"])
        self.upload_guard = UploadGuard(limit=data.MAX_BYTES, target=["emlab-upload"],
                                        width=0, height=0, margin=0)
        self.x_picker = pn.widgets.Select(label="x column", options={}, sizing_mode="stretch_width",
                                          margin=(5, 5, 5, 10))
        self.y_picker = pn.widgets.Select(label="y column", options={}, sizing_mode="stretch_width",
                                          margin=(5, 10, 5, 5))
        self.drop_invalid = pn.widgets.Checkbox(label=DROP_INVALID_LABEL, value=False,
                                                margin=(4, 10), stylesheets=[CHECKBOX_CSS])
        self.standardize = pn.widgets.Checkbox(label=STANDARDIZE_LABEL, value=False,
                                               margin=(4, 10), stylesheets=[CHECKBOX_CSS])
        self.options = pn.Column(
            pn.Row(self.x_picker, self.y_picker, sizing_mode="stretch_width"),
            self.drop_invalid, self.standardize,
            visible=False, sizing_mode="stretch_width", margin=0,
        )
        self.upload_status = pn.pane.Alert("", alert_type="info", visible=False,
                                           sizing_mode="stretch_width", margin=(6, 10),
                                           css_classes=["emlab-upload-status"],
                                           stylesheets=[_STATUS_CSS])
        # The kept file: its bytes, name and columns; _auto while parse_csv chooses the columns
        # (it then also skips a row-number column); _syncing while this view sets its own widgets.
        self._file: bytes | None = None
        self._filename = ""
        self._auto = True
        self._syncing = False

        self.upload.param.watch(self._on_upload, "value")
        self.upload_guard.param.watch(self._on_refused, "refused")
        self.x_picker.param.watch(self._on_column, "value")
        self.y_picker.param.watch(self._on_column, "value")
        self.drop_invalid.param.watch(self._on_option, "value")
        self.standardize.param.watch(self._on_option, "value")
        self._shown_for = self._shown_X = None  # what the note shows (see _on_session)
        s.param.watch(self._on_session, ["version"])
        self._on_session()

    def picker_view(self):
        """The data set picker and what the loaded data is."""
        return pn.Column(self.picker, self.note, self.details, sizing_mode="stretch_width")

    def editing_view(self):
        """Add-point mode, CSV upload and how to read the uploaded file."""
        return pn.Column(
            self.add_points,
            pn.pane.HTML('<div style="font-size:13px;color:#555">In this mode a click on the plot '
                         "adds a point there and shift-click removes the nearest one; EM restarts "
                         "on the edited data.</div>", margin=(0, 10), sizing_mode="stretch_width"),
            pn.pane.HTML('<div style="font-size:13px;font-weight:600;margin-top:10px">Upload a '
                         'CSV file</div><div style="font-size:13px;color:#555">One point per line; '
                         "columns separated by commas, semicolons, tabs or spaces; a header row is "
                         f"optional. Files of more than {data.MAX_ROWS:,} rows are sampled; files "
                         f"up to {_megabytes(data.MAX_BYTES)} are read.</div>",
                         margin=(0, 10), sizing_mode="stretch_width"),
            self.upload,
            self.upload_guard,
            self.options,
            self.upload_status,
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return pn.Column(self.picker_view(), self.editing_view(), sizing_mode="stretch_width")

    def _on_session(self, *events):
        s = self.session
        shown = (s.dataset, s.data_name, s.data_note, s.n_distinct)
        if self._shown_X is s.X and shown == self._shown_for:  # a half-step: same data
            return
        self._shown_for, self._shown_X = shown, s.X
        n = len(s.X)
        self.note.object = (f"**{plain(s.data_name)}** · {n:,} points · {s.n_distinct:,} distinct"
                            + (f"  \n{s.data_note}" if s.data_note else ""))
        notes = data.load(s.dataset).messages if s.dataset in data.names() else ()
        self.details.object = (
            "<details><summary>More about these points</summary><ul>"
            + "".join(f"<li>{html.escape(note)}</li>" for note in notes) + "</ul></details>"
            if notes else "")
        self.details.visible = bool(notes)

    # ---- upload -----------------------------------------------------------------------------

    def _on_upload(self, event):
        if event.new is None:  # the input was cleared
            return
        # Read once the whole change has arrived: in the browser build the file's bytes can reach
        # Python a moment before its name does.
        runtime.after_this_update(self._read_upload)

    def _read_upload(self):
        raw = self.upload.value
        if raw is None:
            return
        name = self.upload.filename or "uploaded data"
        if isinstance(name, list):  # multiple=True would give lists; keep the first
            name = name[0] if name else "uploaded data"
        try:
            listed = data.columns(raw)
        except data.DataError as exc:
            # Whatever columns were picked, this file cannot be read: forget the last one too (the
            # options would otherwise apply to a file no longer in the input).
            self._file = None
            self.options.visible = False
            self._refuse(name, exc)
            return
        self._file, self._filename, self._auto = bytes(raw), str(name), True
        self._show_columns(listed)
        self._load()

    def _on_refused(self, event):
        """The page refused an empty file or one over the limit: say so; the kept file and its
        options stay."""
        if not event.new:
            return
        name, size = event.new[0], int(event.new[1])
        if size == 0:
            self._refuse(name or "The file", data.EMPTY_FILE)
            return
        limit = self.upload_guard.limit
        size_text, limit_text = _megabytes(size), _megabytes(limit)
        if round(size / 2**20, 1) <= limit / 2**20:  # "64.0 MB" would not look over "64 MB"
            size_text, limit_text = f"{size:,} bytes", f"{limit_text} ({limit:,} bytes)"
        self._refuse(name or "The file", f"The file is {size_text}; EM Lab reads files up to "
                     f"{limit_text}, so the page did not send it. Keep only the two columns you "
                     "need, or a sample of the rows, and load that.")

    def _show_columns(self, listed):
        """Fill the pickers with the file's columns, on parse_csv's own choice."""
        labels = _labels(listed)
        options = {label: j for j, label in enumerate(labels)}
        x = listed.x if listed.x is not None else 0
        y = listed.y if listed.y is not None else min(1, len(labels) - 1)
        self._syncing = True
        try:
            self.x_picker.param.update(options=options, value=x)
            self.y_picker.param.update(options=options, value=y)
        finally:
            self._syncing = False
        self.options.visible = True

    def _on_column(self, event):
        if self._syncing or self._file is None:
            return
        # Picking for x the column that y shows (or the reverse) swaps them.
        other = self.y_picker if event.obj is self.x_picker else self.x_picker
        if other.value == event.new and event.old is not None:
            self._syncing = True
            try:
                other.value = event.old
            finally:
                self._syncing = False
        self._auto = False
        self._load()

    def _on_option(self, event):
        if self._file is not None:
            self._load()

    def _load(self):
        """Parse the kept file with the current options; load it, or say why not."""
        x, y = (None, None) if self._auto else (self.x_picker.value, self.y_picker.value)
        try:
            ds = data.parse_csv(self._file, x=x, y=y, drop_invalid=self.drop_invalid.value,
                                standardize=self.standardize.value, name=self._filename)
        except data.DataError as exc:
            self._refuse(self._filename, exc)
            return
        # The notes are shown here, as plain text; the session's message pane renders Markdown.
        if not self.session.use_dataset(replace(ds, messages=())):
            self._refuse(self._filename, self.session.message)
            return
        self._report("success", _loaded_text(ds))

    def _refuse(self, name, reason):
        self._report("danger", f"**{plain(name)} was not loaded.** {plain(reason)}\n\n"
                               f"Nothing changed: the lab still shows "
                               f"{plain(self.session.data_name)}.")

    def _report(self, kind, markdown):
        self.upload_status.param.update(alert_type=kind, object=markdown, visible=True)


def _megabytes(size: int) -> str:
    """``size`` bytes in MB of 2**20 bytes, as app.data counts them."""
    return f"{size // 2**20} MB" if size % 2**20 == 0 else f"{size / 2**20:.1f} MB"


def _labels(listed) -> list[str]:
    """One distinct picker label per column: its name, marked when it holds text."""
    labels = []
    for j, (name, numeric) in enumerate(zip(listed.names, listed.numeric)):
        label = name if numeric else f"{name} (text)"
        if label in labels or listed.names.count(name) > 1:
            label = f"{label} (column {j + 1})"
        labels.append(label)
    return labels


def _loaded_text(ds) -> str:
    """What was loaded (name, points, columns) and every note parse_csv gave, as Markdown."""
    rows = f" (from {ds.n_rows:,} rows)" if ds.n_rows != ds.n_samples else ""
    head = (f"**Loaded {plain(ds.name)}**: {ds.n_samples:,} points{rows}; "
            f"x = {plain(ds.columns[0])}, y = {plain(ds.columns[1])}.")
    return "\n".join([head, ""] + [f"- {plain(note)}" for note in ds.messages])


_DETAILS_CSS = """
details { font-size: 13px; color: #444; }
summary { cursor: pointer; color: #1d4f7a; }
ul { margin: 4px 0 0 0; padding-left: 18px; }
"""
_STATUS_CSS = """
:host(.alert) { padding: 8px 12px; font-size: 13px; line-height: 1.4; overflow-wrap: anywhere; }
p { margin: 0 0 4px 0; }
ul { margin: 4px 0 0 0; padding-left: 18px; }
"""
