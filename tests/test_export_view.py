"""The Export tab's PNG resolution choice (issue 13: presentation quality, a DPI option)."""

import asyncio
import concurrent.futures
import struct

from app import export
from app.session import Session
from app.views.export import ExportPanel
from app.views.state import ViewState


def _run(coroutine):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_png_resolution_is_chosen_in_the_tab():
    """Slides (200 dpi) by default; Screen and Print give 100 and 300 dpi PNGs of 8 × 6.5
    inches."""
    panel = ExportPanel(session=Session(), view_state=ViewState())
    assert panel.dpi.value == export.DEFAULT_DPI == 200
    assert list(panel.dpi.options) == ["Screen (100 dpi)", "Slides (200 dpi)", "Print (300 dpi)"]
    for label, dpi in panel.dpi.options.items():
        panel.dpi.value = dpi
        png = _run(panel._png()).getvalue()
        assert struct.unpack(">II", png[16:24]) == (8 * dpi, round(6.5 * dpi)), label
