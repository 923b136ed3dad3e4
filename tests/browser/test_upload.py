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
from labpage import assert_no_nan, open_lab, source, status, wait_status

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


def test_file_over_the_limit_is_refused_in_the_page(guarded_page, panel_server, tmp_path,
                                                    screenshot):
    """Guards the upload size limit: a file one byte over data.MAX_BYTES is refused in the page
    before its bytes are sent (no large WebSocket frame leaves it), the note gives its size and the
    limit, the lab's state is unchanged and it keeps working; a normal file then loads."""
    from app import data

    sent = []  # sizes of the frames the page sends to panel serve
    guarded_page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(
        len(payload))))
    page = open_lab(guarded_page, panel_server)
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    page.get_by_role("button", name="M-step").click()
    wait_status(page, iteration=1, phase="E")
    before = (status(page), source(page, "emlab-points"))

    big = tmp_path / "too big.csv"
    line = b"1.25,2.5\n"
    with big.open("wb") as f:
        f.write(b"x,y\n")
        f.write(line * ((data.MAX_BYTES - 4) // len(line)))
        f.write(b"1" * (data.MAX_BYTES + 1 - f.tell() - 1) + b"\n")
    assert big.stat().st_size == data.MAX_BYTES + 1

    page.locator(".bk-tab", has_text="Data").click()
    file_input = page.locator("input[type=file]")
    sent.clear()
    file_input.set_input_files(big)
    page.get_by_text("too big.csv was not loaded").first.wait_for(timeout=20_000)
    text = deep_text(page)
    assert ("The file is 67,108,865 bytes; EM Lab reads files up to 64 MB (67,108,864 bytes), "
            "so the page did not send it.") in text
    assert "Nothing changed: the lab still shows Blobs." in text
    assert max(sent, default=0) < 100_000, f"the page sent {max(sent):,} bytes"
    assert file_input.evaluate("(el) => el.files.length") == 0  # the input does not name it
    assert (status(page), source(page, "emlab-points")) == before
    screenshot(page, "upload-too-large")

    page.get_by_role("button", name="E-step").click()  # the lab still answers
    wait_status(page, iteration=2, phase="M")

    small = tmp_path / "small.csv"
    small.write_text("a,b\n0,0\n1,1\n2,0\n10,10\n11,11\n12,10\n")
    file_input.set_input_files(small)
    _wait_points(page, "x", [0, 1, 2, 10, 11, 12])
    page.get_by_text("Loaded small.csv").first.wait_for(timeout=10_000)
    wait_status(page, iteration=0, phase="E")
    assert "was not loaded" not in deep_text(page)


def test_empty_or_blank_file_gets_the_red_note(guarded_page, panel_server, tmp_path, screenshot):
    """Guards issue 11 #4: an empty file (0 bytes) said nothing and left the last green "Loaded"
    note; it and a file of blank lines now get the red note, the lab keeps its data, and the
    empty file picked again (after another) is reported again."""
    page = open_lab(guarded_page, panel_server)
    wait_status(page, iteration=0, phase="E")
    page.locator(".bk-tab", has_text="Data").click()
    file_input = page.locator("input[type=file]")
    good = tmp_path / "good.csv"
    good.write_text("a,b\n0,0\n1,1\n2,0\n10,10\n11,11\n12,10\n")
    file_input.set_input_files(good)
    _wait_points(page, "x", [0, 1, 2, 10, 11, 12])
    page.get_by_text("Loaded good.csv").first.wait_for(timeout=10_000)
    before = (status(page), source(page, "emlab-points"))

    note = page.locator(".emlab-upload-status")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.csv"
    blank.write_text("  \n\t\n\n")
    for path in (empty, blank, empty):
        file_input.set_input_files(path)
        page.get_by_text(f"{path.name} was not loaded").first.wait_for(timeout=20_000)
        text = deep_text(page)
        assert "The file is empty" in text and "Loaded good.csv" not in text
        assert "Nothing changed: the lab still shows good.csv." in text
        assert "alert-danger" in note.first.get_attribute("class")
        assert (status(page), source(page, "emlab-points")) == before
        screenshot(page, f"upload-{path.stem}")
