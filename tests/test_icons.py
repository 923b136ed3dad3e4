"""Button symbols are inline SVG icons, never font glyphs or icon names (issue 13): the Pause glyph
⏸ was an empty box in the page's font, and a tabler icon *name* makes BokehJS fetch the tabler
webfont from jsDelivr, which the static site must not ask for."""

import xml.dom.minidom

import panel as pn
import pytest

from app.session import Session
from app.views import Lab, icons


def _buttons(lab):
    viewables = [lab.controls, lab.data, lab.export, lab.restarts, lab.model_selection,
                 lab.share]
    found = []
    for view in viewables:
        found += [w for w in view.__panel__().select(pn.widgets.Widget)
                  if isinstance(w, (pn.widgets.Button, pn.widgets.Toggle))]
    return found


@pytest.fixture
def lab():
    return Lab(session=Session())


def test_icons_are_well_formed_svg():
    """Each icon parses as XML (BokehJS parses it as image/svg+xml) and is hidden from readers."""
    for name in ("PLAY", "PAUSE", "STEP_BACK", "STEP", "RUN", "PLUS"):
        svg = getattr(icons, name)
        root = xml.dom.minidom.parseString(svg).documentElement
        assert root.tagName == "svg" and root.getAttribute("aria-hidden") == "true", name
        assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', ""), name


def test_no_button_draws_a_symbol_from_a_font(lab):
    """Every button's label is plain words; every icon is an inline SVG, not a name to fetch."""
    buttons = _buttons(lab)
    assert len(buttons) >= 10
    for button in buttons:
        label = button.label
        assert all(ord(c) < 0x2000 for c in label), label
        assert button.icon is None or button.icon.lstrip().startswith("<svg"), label
    by_label = {b.label: b for b in buttons}
    for label, icon in (("Play", icons.PLAY), ("Step back", icons.STEP_BACK),
                        ("Step", icons.STEP), ("Run to convergence", icons.RUN),
                        ("Add points by clicking", icons.PLUS)):
        assert by_label[label].icon == icon, label


def test_play_and_pause_swap_label_and_icon(lab):
    """Playing, the toggle reads Pause with the pause icon; paused, Play with the play icon."""
    c, s = lab.controls, lab.session
    c.play_button.value = True
    assert s.playing and (c.play_button.label, c.play_button.icon) == ("Pause", icons.PAUSE)
    c.play_button.value = False
    assert not s.playing and (c.play_button.label, c.play_button.icon) == ("Play", icons.PLAY)
