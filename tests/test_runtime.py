"""app.runtime's browser adaptations that can be checked under CPython."""

from __future__ import annotations

import panel as pn
import pytest
from panel.io.state import state

from app import runtime


@pytest.fixture
def busy_patch():
    """Apply the busy-count patch for one test, then put Panel's own methods back."""
    cls = type(state)
    original = cls._add_busy_event, cls._remove_busy_event
    runtime._count_busy_only_for_indicators()
    yield
    cls._add_busy_event, cls._remove_busy_event = original
    state._busy_counter = []


def test_busy_events_are_not_counted_without_an_indicator(busy_patch):
    """With no busy indicator on the page (the lab's case) an event costs no bookkeeping."""
    assert not state._indicators
    state._add_busy_event("click")
    assert state._busy_counter == [] and not state.busy
    state._remove_busy_event("click")
    assert state._busy_counter == []


def test_busy_events_are_counted_while_an_indicator_exists(busy_patch):
    """An app that shows a busy indicator keeps Panel's behaviour."""
    indicator = pn.indicators.BooleanStatus()
    state.sync_busy(indicator)
    try:
        state._add_busy_event("click")
        assert state.busy and indicator.value
        state._remove_busy_event("click")
        assert not state.busy and not indicator.value
    finally:
        state._indicators.remove(indicator)


def test_the_page_is_behind_only_when_the_worker_says_so(monkeypatch):
    """Under panel serve (no worker) never; in the static site, what the worker's check says."""
    monkeypatch.setattr(runtime, "_changes_waiting", None)
    assert not runtime.page_is_behind()
    waiting = [True]
    runtime.watch_page(lambda: waiting[0])
    assert runtime.page_is_behind()
    waiting[0] = False
    assert not runtime.page_is_behind()


def test_package_loader_leftovers_are_collected_quietly(monkeypatch):
    """Guards the walk's console warning after an export in the static site: Pyodide 0.27's
    package loader leaves ZipFiles open on deleted temporary files, and their __del__'s
    "Bad file descriptor" was printed whenever the collector found them. Collected right after
    loading, those are dropped; any other unraisable error still reaches the hook."""
    import gc
    import sys
    import zipfile
    from types import SimpleNamespace

    from app import runtime

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))

    def collect():
        sys.unraisablehook(SimpleNamespace(exc_value=OSError(9, "Bad file descriptor"),
                                           object=zipfile.ZipFile.__del__))
        sys.unraisablehook(SimpleNamespace(exc_value=ValueError("ours"), object=collect))
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    runtime._collect_package_loader_leftovers()
    assert [type(e) for e in seen] == [ValueError]
    assert sys.unraisablehook is not None and len(seen) == 1
