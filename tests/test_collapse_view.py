"""Several components collapsed at once (issue 13): the banner names every one, opens from one
line laid over the plot (it does not push the plot down), and the rings' labels are placed
apart."""

import itertools

import numpy as np
import pytest

from app.session import Session
from app.views import Lab
from app.views.narration import banner_html
from app.views.plot import LABEL_CHAR_PX, LABEL_FRAME_PX, LABEL_HEIGHT_PX, place_labels

# Six points, K = 3, no variance floor, means on points 1, 2 and 5: at the fourth M-step
# components 2 and 3 collapse together (onto a point and onto a line of two points).
TWO_COLLAPSE_MEANS = np.array([[1.0, 0.0001], [2.0, 0.0299], [7.0, -0.0455]])


def _two_collapses(session):
    session.load_dataset("six_points")
    session.reg_covar = 0.0
    session.n_components = 3
    session.move_means(TWO_COLLAPSE_MEANS)
    for _ in range(8):
        session.step() if not session.collapse else None
    assert [e.component for e in session.collapse] == [1, 2]
    return session


@pytest.fixture
def lab():
    return Lab(session=Session())


def _boxes(anchors, labels, align, baseline, dy):
    boxes = []
    for (x, y), text, a, b, d in zip(anchors, labels, align, baseline, dy):
        width = LABEL_CHAR_PX * len(text) + 8
        left = x - width if a == "right" else x
        top = y + d - (LABEL_HEIGHT_PX if b == "bottom" else 0)
        boxes.append((left, top, left + width, top + LABEL_HEIGHT_PX))
    return boxes


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_banner_names_every_collapsed_component():
    """Both components are in the banner's title and each has its own sentence (guards the
    banner that named only the first)."""
    s = _two_collapses(Session())
    banner = s.collapse_banner
    assert banner.startswith("### ⚠ Components 2 and 3 collapsed")
    assert "Component 2 has collapsed: " in banner and "Component 3 has collapsed: " in banner
    assert "for each of them" in banner and "**Remedies:**" in banner
    # The narration and a refused half-step's message name both too.
    assert "**Components 2 and 3 have collapsed**" in s.narration
    assert not s.e_step()
    assert s.message.startswith("Components 2 and 3 have collapsed, so EM cannot go on")


def test_one_collapse_keeps_its_banner():
    """One collapsed component: the banner's title names it alone."""
    s = Session()
    s.break_it()
    s.run()
    assert len(s.collapse) == 1
    k = s.collapse[0].component + 1
    assert s.collapse_banner.startswith(f"### ⚠ Component {k} collapsed\n\n")
    assert f"**Component {k} has collapsed**" in s.narration


def test_banner_is_one_line_that_opens():
    """The heading is the summary of a <details>; the rest is inside it; words are escaped."""
    out = banner_html("### ⚠ Component 2 collapsed\n\nIt <b>shrank</b>.\n\n**Remedies:** reset.")
    assert out.startswith('<details class="emlab-banner"><summary><span class="title">'
                          "⚠ Component 2 collapsed</span>")
    assert "open" not in out.split(">")[0]  # closed: one line over the plot
    assert "&lt;b&gt;shrank&lt;/b&gt;" in out and "<strong>Remedies:</strong>" in out
    assert banner_html("") == ""


def test_banner_lies_over_the_plot_card(lab):
    """The banner is inside the plot's card and positioned over it, so showing it moves nothing."""
    card = next(c for c in lab.__panel__().select(lambda o: "emlab-plot-card"
                                                  in getattr(o, "css_classes", [])))
    assert lab.narration.banner in card.objects
    css = "".join(str(sheet) for sheet in lab.narration.banner.stylesheets)
    assert "position: absolute" in css and "z-index" in css
    _two_collapses(lab.session)
    assert lab.narration.banner.visible
    assert "Components 2 and 3 collapsed" in lab.narration.banner.object


def test_clustered_labels_are_placed_apart():
    """Rings close together (a stack of nearby collapses): no two labels' boxes overlap and every
    label stays inside the frame."""
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 8):
        for _ in range(20):
            anchors = rng.uniform([150, 60], [330, 140], size=(n, 2))
            labels = [f"component {j + 1} collapsed" for j in range(n)]
            align, baseline, dy = place_labels(anchors, labels)
            boxes = _boxes(anchors, labels, align, baseline, dy)
            for a, b in itertools.combinations(boxes, 2):
                assert not _overlap(a, b), (anchors, dy)
            assert all(0 <= b[1] and b[3] <= LABEL_FRAME_PX for b in boxes)


def test_one_label_hangs_below_its_ring_away_from_the_nearer_side():
    """A single label reads below its ring, towards the middle of the plot."""
    assert place_labels([[400, 200]], ["component 1 collapsed"]) == (["right"], ["top"], [34.0])
    assert place_labels([[40, 200]], ["component 1 collapsed"]) == (["left"], ["top"], [34.0])


def test_the_plots_collapse_labels_do_not_overlap(lab):
    """On the plot: two rings, two labels, placed apart as the plot would draw them."""
    s = _two_collapses(lab.session)
    plot = lab.plot
    data = plot.collapsed.data
    assert list(data["label"]) == ["component 2 collapsed", "component 3 collapsed"]
    means = np.asarray(s.mixture.means)[[1, 2]]
    np.testing.assert_allclose(np.column_stack([data["x"], data["y"]]), means)
    anchors = plot._to_pixels(means)
    a, b = _boxes(anchors, data["label"], data["align"], data["baseline"], data["dy"])
    assert not _overlap(a, b)
