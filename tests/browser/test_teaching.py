"""What a teacher checks by hand, in a real browser, in both runtimes (issue 13): the whole
responsibility table of a small data set, the Inspect tab's μ, Σ and |Σ| beside Bayes' rule,
points and components numbered from 1 (table, Inspect, hover), and a calm opening of Old
Faithful (one note; the repeated points on demand).

The expected numbers are computed in this process with the same modules (a Session on the same
data), so the tests check that the page shows what the session means.
"""

from __future__ import annotations

import re

import pytest
from conftest import deep_text, open_live
from labpage import TO_PAGE_JS, assert_no_nan, open_lab, source, wait_status

from app.session import Session

pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]

TABLE_JS = """() => {
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
    (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const table = all(document).find((el) => el.classList && el.classList.contains('emlab-resp'));
  if (!table) return null;
  return [...table.querySelectorAll('tbody tr')].map(
    (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()));
}"""


def table_rows(page):
    return page.evaluate(TABLE_JS)


def wait_table(page, expected, timeout=20_000):
    """Wait until the page's responsibility table holds ``expected`` (rows of 3-decimal cells)."""
    page.wait_for_function(
        f"(expected) => JSON.stringify(({TABLE_JS})()?.map((r) => r.slice(3))) === "
        "JSON.stringify(expected)", arg=expected, timeout=timeout)


def expected_cells(session):
    return [[f"{v:.3f}" for v in row] for row in session.display_resp()]


def check_six_points(page, screenshot, name):
    """Six points: the table (rows 1..6, r_i1 and r_i2) follows E-step, M-step and E-step; a click
    pins point 1 and Inspect shows μ, Σ, |Σ| and Bayes' rule for "Point #1"; hover says #1."""
    expected = Session(dataset="six_points")
    wait_status(page, iteration=0, phase="E")
    rows = table_rows(page)
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r[3:] for r in rows] == expected_cells(expected)
    for button, action, iteration, phase in (("E-step", expected.e_step, 1, "M"),
                                             ("M-step", expected.m_step, 1, "E"),
                                             ("E-step", expected.e_step, 2, "M")):
        page.get_by_role("button", name=button, exact=True).click()
        wait_status(page, iteration=iteration, phase=phase)
        action()
        wait_table(page, expected_cells(expected))
    # click point 1 (index 0) on the plot: Inspect pins it
    points = source(page, "emlab-points")
    xy = page.evaluate(TO_PAGE_JS, [points["x"][0], points["y"][0]])
    page.mouse.move(xy[0] - 6, xy[1] - 6)
    page.mouse.move(*xy)
    page.locator(".bk-tooltip-row-value").filter(has_text="#1").first.wait_for(timeout=10_000)
    page.mouse.click(*xy)
    page.get_by_text("Point #1", exact=False).first.wait_for(timeout=20_000)
    text = deep_text(page)
    compact = "".join(text.split())              # <sub>k</sub> reads "μ k" in text nodes
    for words in ("Thecomponents", "μk", "Σk", "|Σk|", "Bayes'ruleforpoint#1"):
        assert words in compact, words
    mu = expected.mixture.means[0]
    assert f"({mu[0]:.4f}".replace("-", "−") in text
    assert "#0" not in re.sub(r"#0[0-9A-Fa-f]{5}", "", text)
    assert_no_nan(page)
    screenshot(page, f"{name}-six-points-table-and-inspect")


def check_old_faithful_opening(page, screenshot, name):
    """Old Faithful opens with no warning box and at most one caption chip; the repeated points
    are behind "More about these points"."""
    page.get_by_text("More about these points").first.wait_for(timeout=20_000)
    message = page.locator(".emlab-message").first
    assert not message.is_visible()
    chips = page.evaluate("""() => {
      const all = (root) => [...root.querySelectorAll('*')].flatMap(
        (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
      const cap = all(document).find((el) => el.classList &&
                                      el.classList.contains('emlab-plot-caption'));
      if (!cap) return [];
      return all(cap).filter((el) => el.tagName === 'SPAN' && el.offsetParent !== null)
                     .map((el) => el.textContent);
    }""")
    assert len(chips) <= 1, chips
    repeat = page.get_by_text("16 points repeat an earlier point exactly")
    assert not repeat.first.is_visible()
    screenshot(page, f"{name}-old-faithful-opening", full_page=False)
    page.get_by_text("More about these points").first.click()
    repeat.first.wait_for(state="visible", timeout=10_000)
    screenshot(page, f"{name}-old-faithful-details", full_page=False)


# ------------------------------------------------------------------------------------ panel serve
def test_six_points_table_and_inspect_under_panel_serve(guarded_page, panel_server, screenshot):
    page = open_lab(guarded_page, panel_server, "?data=six_points")
    check_six_points(page, screenshot, "serve")


def test_old_faithful_opens_calmly_under_panel_serve(guarded_page, panel_server, screenshot):
    page = open_lab(guarded_page, panel_server, "?data=old_faithful")
    check_old_faithful_opening(page, screenshot, "serve")


# ------------------------------------------------------------------------------------ static site
def test_six_points_table_and_inspect_in_the_static_site(lab_site, site_page, screenshot):
    page = open_live(site_page, lab_site + "/?data=six_points")
    check_six_points(page, screenshot, "static")


def test_old_faithful_opens_calmly_in_the_static_site(lab_site, site_page, screenshot):
    page = open_live(site_page, lab_site + "/?data=old_faithful")
    check_old_faithful_opening(page, screenshot, "static")
