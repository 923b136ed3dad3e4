"""Helpers for Bokeh ColumnDataSources shared by the views.

Every assignment to ``source.data`` becomes part of the patch the browser applies (and, in the
static site, Python must serialize first), so the views skip the ones that change nothing.
Imports numpy only.
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


def _equal(old, new) -> bool:
    if isinstance(old, np.ndarray) and isinstance(new, np.ndarray):
        return old.shape == new.shape and np.array_equal(old, new)
    # Lists of strings or of arrays (patch outlines): compare element by element.
    return all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(old, new))
