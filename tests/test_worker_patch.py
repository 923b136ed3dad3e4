"""The static site's worker writes each patch itself (static/worker.js, its Python part): Bokeh's
serializer told lazily which models the page already has, and the patch as JSON text with its
arrays as buffers. Checked here in CPython against what Bokeh's own route gives, on the lab's
document after half-steps, a new K, a new data set and a model the page does not have yet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import panel as pn
import pytest
from bokeh.core.serialization import Buffer, Serializer
from bokeh.document import Document
from bokeh.model import Model
from bokeh.models import Div

WORKER_JS = Path(__file__).resolve().parents[1] / "static" / "worker.js"


def worker_python(first: str, end: str) -> dict:
    """The worker's Python from the line defining ``first`` up to the one defining ``end``,
    run here (the part that needs neither the browser nor Pyodide)."""
    text = WORKER_JS.read_text(encoding="utf-8")
    code = text[text.index(first):text.index(end)]
    names = {"Buffer": Buffer, "Serializer": Serializer, "Model": Model}
    exec(compile(code, str(WORKER_JS), "exec"), names)
    return names


@pytest.fixture(scope="module")
def lab_events():
    """The lab's document, synced as the page has it, and the events of a class's clicks."""
    pn.extension("katex", notifications=False)
    from app.main import create_app

    lab = create_app("")
    doc = Document()
    doc.add_root(pn.panel(lab).get_root(doc))
    doc.models.flush_synced()  # what the page was first sent
    events = []
    doc.on_change(events.append)
    controls = lab.controls
    for i in range(4):
        (controls.e_button if i % 2 == 0 else controls.m_button)._process_event(None)
    lab.session.n_components = 4
    lab.session.dataset = list(lab.session.param.dataset.objects)[1]
    controls.e_button._process_event(None)
    holder = next(m for m in doc.models if isinstance(getattr(m, "children", None), list))
    holder.children = [*holder.children, Div(text="a model the page does not have")]
    return doc, events


def test_the_lazy_serializer_writes_what_bokehs_does(lab_events):
    doc, events = lab_events
    glue = worker_python("class _SyncedSerializer", "def _patch_json")
    ours, bokehs = glue["_SyncedSerializer"](doc), Serializer(
        references=doc.models.synced_references)
    assert len(events) > 20 and doc.models._new_models  # (the case is the one meant)

    def text(serializer):
        patch = {"events": serializer.encode(events)}
        return json.dumps(patch, sort_keys=True,
                          default=lambda value: f"buffer {len(value.to_bytes())}")

    assert text(ours) == text(bokehs)
    assert [b.to_bytes() for b in ours.buffers] == [b.to_bytes() for b in bokehs.buffers]
    assert "a model the page does not have" in text(glue["_SyncedSerializer"](doc))
    # The new model was sent whole: neither serializer leaves it new; the page's own are refs.
    assert all(ours.has_ref(model) == bokehs.has_ref(model) for model in doc.models)


def test_a_patch_is_json_with_its_arrays_as_buffer_refs(lab_events):
    doc, events = lab_events
    glue = worker_python("def _buffer_ref", "def _patch_json")
    serializer = glue["_SyncedSerializer"](doc)
    patch = {"events": serializer.encode(events)}
    text = json.dumps(patch, default=glue["_buffer_ref"], allow_nan=False)
    ids = {buffer.id for buffer in serializer.buffers}
    assert ids and all(f'"id": "{i}"' in text for i in ids)
    assert json.loads(text)["events"]
    with pytest.raises(ValueError):  # a bare NaN is refused (Bokeh tags non-finite numbers)
        json.dumps({"x": float("nan")}, default=glue["_buffer_ref"], allow_nan=False)
    with pytest.raises(TypeError):
        glue["_buffer_ref"](np.zeros(2))
