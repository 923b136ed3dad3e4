"""The data panel: data set picker, add/remove-point mode and CSV upload.

Owns: the widgets that change the session's data (``dataset``, ``use_dataset``/``set_data``) and the
add-point mode toggle (ViewState.add_points; the plot turns clicks into ``add_point`` /
``remove_point``). CSV text is parsed by ``app.data.parse_csv``; this view only shows its verdict.
Imports panel, param and app.data; computes nothing itself.
"""

from __future__ import annotations

import panel as pn
import param

from app.views.state import ViewState


class DataPanel(pn.viewable.Viewer):
    """Pick a data set, edit it by clicking, or upload a CSV."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.session
        self.picker = pn.widgets.Select.from_param(s.param.dataset, label="Data set",
                                                   sizing_mode="stretch_width")
        self.note = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10),
                                     styles={"font-size": "13px", "color": "#444"})
        self.add_points = pn.widgets.Toggle.from_param(
            self.view_state.param.add_points, label="✚ Add points by clicking",
            color="default", sizing_mode="stretch_width")
        self.upload = pn.widgets.FileInput(accept=".csv,.txt", multiple=False,
                                           sizing_mode="stretch_width")
        self.upload.param.watch(self._on_upload, "value")
        self.upload_status = pn.pane.Alert("", alert_type="info", visible=False,
                                           sizing_mode="stretch_width", margin=(4, 10))
        s.param.watch(self._on_session, ["version"])
        self._on_session()

    def picker_view(self):
        """The data set picker and what the loaded data is."""
        return pn.Column(self.picker, self.note, sizing_mode="stretch_width")

    def editing_view(self):
        """Add-point mode and CSV upload."""
        return pn.Column(
            self.add_points,
            pn.pane.HTML('<div style="font-size:13px;color:#555">In this mode a click on the plot '
                         "adds a point there and shift-click removes the nearest one; EM restarts "
                         "on the edited data.</div>", margin=(0, 10), sizing_mode="stretch_width"),
            pn.pane.HTML('<div style="font-size:13px;font-weight:600;margin-top:8px">Upload a CSV '
                         "(a header row, then two numeric columns are used)</div>",
                         margin=(0, 10)),
            self.upload,
            self.upload_status,
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return pn.Column(self.picker_view(), self.editing_view(), sizing_mode="stretch_width")

    def _on_session(self, *events):
        s = self.session
        n = len(s.X)
        self.note.object = (f"**{s.data_name}** · {n:,} points · {s.n_distinct:,} distinct"
                            + (f"  \n{s.data_note}" if s.data_note else ""))

    def _on_upload(self, event):
        if not event.new:
            return
        from app import data  # the parser of the data layer; imported where it is needed

        name = self.upload.filename or "upload.csv"
        try:
            # parse_csv decodes the bytes itself (UTF-8/16 with or without BOM, else Latin-1) and
            # drops rows it cannot use, saying so in ds.messages.
            ds = data.parse_csv(event.new, name=name.rsplit(".", 1)[0], drop_invalid=True)
        except ValueError as exc:
            self._report("danger", f"**{name}** was not loaded: {exc}")
            return
        if not self.session.use_dataset(ds):
            self._report("danger", f"**{name}** was not loaded: {self.session.message}")
            return
        notes = " ".join(getattr(ds, "messages", ()) or ())
        self._report("success", f"Loaded **{name}**: {len(ds.X):,} points "
                                f"({ds.columns[0]}, {ds.columns[1]}). {notes}".strip())

    def _report(self, kind, text):
        self.upload_status.alert_type = kind
        self.upload_status.object = text
        self.upload_status.visible = True
