"""Lesson links in a real browser, under `panel serve`: a URL opens the lab in the state it names,
hides what it hides, says what it ignored (as text, never as HTML), and Share link writes a URL that
reproduces what the learner sees.

The expected state is computed in this process with the same modules (app.urlstate on a Session), so
the tests check that the page shows exactly what the link means, not a number copied from a run.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import deep_text
from labpage import assert_no_nan, open_lab, source, status, wait_status

from app import urlstate
from app.session import Session
from app.views.loglik import format_number

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

LESSON = "?data=old_faithful&k=2&means=2,55;4.5,80&steps=3&hide=restarts,bic,keys"


def expected_state(query: str) -> Session:
    session = Session()
    urlstate.apply(session, urlstate.parse(query))
    return session


def share_link(page) -> str:
    """Press Share link and return the URL the page put in the link field."""
    page.get_by_role("button", name="Share link").click()
    field = page.locator(".emlab-share-field")
    page.wait_for_function(
        """() => { const all = (root) => [...root.querySelectorAll('*')].flatMap(
                     (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
                   const f = all(document).find((el) => el.classList &&
                                                el.classList.contains('emlab-share-field'));
                   return f && f.value.startsWith('http'); }""", timeout=20_000)
    return field.input_value()


def test_a_lesson_link_opens_the_lab_in_its_state(guarded_page, panel_server, screenshot):
    """Data set, K, dropped means and three half-steps from the URL; hidden tabs are gone."""
    expected = expected_state(LESSON)
    page = open_lab(guarded_page, panel_server, LESSON)
    wait_status(page, iteration=expected.iteration, phase=expected.phase)
    assert status(page)["loglik"] == format_number(expected.current_log_likelihood(), 6)
    means = source(page, "emlab-means")
    np.testing.assert_allclose(np.c_[means["x"], means["y"]], expected.mixture.means, rtol=1e-9)
    text = deep_text(page)
    assert "Old Faithful" in text
    # The tabs are gone (the lesson picker may still name them, saying which lessons need them).
    tabs = page.locator(".bk-tab").all_inner_texts()
    assert "Restarts" not in tabs and "Model selection" not in tabs and "Inspect" in tabs
    assert "Keys:" not in text and "Inspect" in text
    assert not page.locator(".emlab-link-notes").first.is_visible()
    screenshot(page, "lesson-link")


def test_a_hostile_link_is_named_in_plain_text_and_the_lab_still_works(guarded_page, panel_server,
                                                                      screenshot):
    """Script tags, NaN, huge numbers and paths are ignored with a visible note, never executed."""
    page = guarded_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = ("?k=%3Cscript%3Ealert(1)%3C/script%3E&reg=NaN&seed=1e999&steps=99999999"
               "&means=%3Cimg%20src=x%20onerror=alert(2)%3E&data=../../etc/passwd"
               "&%3Cb%3Ebold%3C/b%3E=1")
    open_lab(page, panel_server, hostile)
    notes = page.locator(".emlab-link-notes")
    notes.wait_for(timeout=20_000)
    shown = notes.inner_text()
    assert "<script>alert(1)</script>" in shown          # shown as text ...
    assert "<b>bold</b>" in shown
    assert page.locator(".emlab-link-notes b", has_text="bold").count() == 0   # ... not as HTML
    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    for key in ("'reg'", "'seed'", "'steps'", "'means'", "'data'"):
        assert f"Ignored {key}=" in shown
    screenshot(page, "hostile-link")
    wait_status(page, iteration=0, phase="E")
    page.get_by_role("button", name="E-step").click()
    wait_status(page, phase="M")
    page.get_by_role("button", name="Dismiss").click()
    notes.wait_for(state="hidden", timeout=20_000)
    assert_no_nan(page)  # the note quoted 'NaN' from the link; nothing else may


def test_share_link_reproduces_what_the_learner_sees(guarded_page, panel_server, chromium_context):
    """Steps, a new K and Share link: the copied URL opens a lab showing the same state."""
    page = open_lab(guarded_page, panel_server, "?hide=bic&data=iris")
    wait_status(page, iteration=0, phase="E")
    for iteration in (1, 2, 3):
        page.get_by_role("button", name="Step", exact=True).click()
        wait_status(page, iteration=iteration, phase="E")
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=4, phase="M")  # the E-step opens iteration 4
    before = status(page)
    means_before = source(page, "emlab-means")
    url = share_link(page)
    assert url.startswith(panel_server.url + "?")
    query = url[len(panel_server.url):]
    assert "data=iris" in query and "steps=7" in query and "hide=bic" in query
    other = chromium_context.new_page()
    try:
        other.goto(url)
        other.get_by_role("button", name="E-step").wait_for(timeout=30_000)
        wait_status(other, iteration=4, phase="M")
        assert status(other) == before
        means = source(other, "emlab-means")
        np.testing.assert_allclose(means["x"], means_before["x"], rtol=1e-12)
        np.testing.assert_allclose(means["y"], means_before["y"], rtol=1e-12)
    finally:
        other.close()
    # A half-step later the link no longer describes the lab: the field goes away.
    page.get_by_role("button", name="M-step").click()
    page.locator(".emlab-share-field").wait_for(state="hidden", timeout=20_000)


def test_hide_flags_leave_a_focused_lesson(guarded_page, panel_server, screenshot):
    """hide=model,data,narration,loglik,share keeps the stepping controls and the status line."""
    page = open_lab(guarded_page, panel_server,
                    "?hide=model,data,narration,loglik,share,upload,export")
    wait_status(page, iteration=0, phase="E")
    text = deep_text(page)
    for gone in ("Components K", "Variance floor", "Covariance type", "Data set", "Share link",
                 "Export"):
        assert gone not in text, gone
    for kept in ("Break it", "k-means (hard)", "Iteration", "Inspect", "Restarts"):
        assert kept in text, kept
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, iteration=1, phase="E")
    screenshot(page, "focused-lesson")
