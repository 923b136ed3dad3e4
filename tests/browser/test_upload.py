"""CSV upload in a real browser: headless Chromium against `panel serve app/main.py` on 127.0.0.1.

The file goes in through the Data tab's file input (inside Panel's shadow DOM), as a user's pick
would; the test then reads what reached the browser: the plotted points, the upload message and
the column pickers. The guarded_page fixture fails the test on any console error or request that
leaves 127.0.0.1.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import deep_text
from labpage import assert_no_nan, open_lab, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

POINTS_CHANGED_JS = """([column, expected]) => {
  const got = Array.from(Bokeh.documents[0].get_model_by_name('emlab-points').data[column]);
  return got.length === expected.length && got.every((v, i) => Math.abs(v - expected[i]) < 1e-9);
}"""


def _wait_points(page, column, expected):
    page.wait_for_function(POINTS_CHANGED_JS, arg=[column, [float(v) for v in expected]],
                           timeout=30_000)


def test_upload_a_csv_then_pick_another_column(guarded_page, panel_server, tmp_path, screenshot):
    """Pick a file in the Data tab: its points are plotted; picking another y column replots."""
    page = open_lab(guarded_page, panel_server)
    wait_status(page, iteration=0, phase="E")

    rng = np.random.default_rng(7)
    table = np.round(np.vstack([rng.normal([0, 0, 5], 1, (15, 3)),
                                rng.normal([8, 6, -5], 1, (15, 3))]), 3)
    path = tmp_path / "two groups.csv"
    path.write_text("width,height,depth\n" + "".join(f"{a},{b},{c}\n" for a, b, c in table))

    page.locator(".bk-tab", has_text="Data").click()
    page.locator("input[type=file]").set_input_files(path)
    _wait_points(page, "x", table[:, 0])
    _wait_points(page, "y", table[:, 1])
    page.get_by_text("Loaded two groups.csv").first.wait_for(timeout=10_000)
    assert "30 points; x = width, y = height" in deep_text(page)
    wait_status(page, iteration=0, phase="E")

    y_picker = page.get_by_role("combobox", name="y column")
    assert y_picker.evaluate("(el) => Array.from(el.options, (o) => o.text)") == [
        "width", "height", "depth"]
    y_picker.select_option(label="depth")
    _wait_points(page, "y", table[:, 2])
    page.get_by_text("x = width, y = depth").first.wait_for(timeout=10_000)
    assert_no_nan(page)
    screenshot(page, "upload-data-tab")
