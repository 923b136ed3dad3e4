"""Helpers that keep a redraw small, shared by the views.

Every change to a Bokeh model becomes part of the patch the browser applies (and, in the static
site, Python must make and serialize it first, in WebAssembly), on every half-step. Imports numpy
only.
"""

from __future__ import annotations

import numpy as np


def assign_if_changed(source, data) -> bool:
    """Assign ``source.data = data`` unless it already holds exactly that; True if assigned."""
    old = source.data
    if set(old) == set(data) and all(
            len(old[k]) == len(data[k]) and _equal(old[k], data[k]) for k in data):
        return False
    source.data = data
    return True


def extend_or_assign(source, data) -> bool:
    """Like assign_if_changed, but when ``data`` is what ``source`` holds plus rows at the end
    (a trace after one more half-step), only those rows are sent (``source.stream``), as plain
    numbers: an array, however short, travels as a binary buffer of its own, which costs the
    worker more to make than a few numbers in the patch's text."""
    old = source.data
    n_old = len(next(iter(old.values()), ()))
    n_new = len(next(iter(data.values()), ()))
    if (set(old) == set(data) and 0 < n_old < n_new
            and all(len(old[k]) == n_old and len(data[k]) == n_new
                    and _equal(old[k], data[k][:n_old]) for k in data)):
        source.stream({k: np.asarray(data[k][n_old:]).tolist() for k in data})
        return True
    return assign_if_changed(source, data)


def set_if_changed(obj, **values) -> None:
    """Set those of ``obj``'s parameters whose value differs (several in one update): an
    unchanged set still runs param's round (references, equality, watchers), and the views set
    their widgets on every half-step."""
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    if len(changed) == 1:
        setattr(obj, *changed.popitem())
    elif changed:
        obj.param.update(**changed)


def _equal(old, new) -> bool:
    if isinstance(old, np.ndarray) and isinstance(new, np.ndarray):
        return old.shape == new.shape and np.array_equal(old, new)
    # Lists of strings or of arrays (patch outlines): compare element by element.
    return all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(old, new))


class TextUpdates:
    """Mixin for a Panel text pane whose text changes on every half-step (the status line, the
    narration): a new ``object`` sets the model's text only, as the pane itself makes it
    (``_transform_object``: escaped for an HTML pane, as is for a LaTeX one).

    Panel otherwise recomputes every property of the pane (its design, stylesheets, sizing) and
    sets them all again on each change of its object: a few milliseconds per pane in the browser.
    Other parameters (``visible``, ``stylesheets``) still go through Panel's own path.
    """

    def _update(self, ref, model):
        model.text = self._transform_object(self.object)["object"]
