"""The Inspect tab and the responsibility table, without a browser: what they show must be enough
to redo Bayes' rule with a calculator, and points and components are numbered from 1."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from app.session import Session
from app.views import Lab


class _Tables(HTMLParser):
    """Every <table> of an HTML fragment as rows of cell texts (<sup> kept as ^)."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "sup" and self._cell is not None:
            self._cell.append("^")
        elif tag == "span" and self._cell is not None and ("class", "matrix") not in attrs:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(fragment):
    parser = _Tables()
    parser.feed(fragment)
    return parser.tables


_NUMBER = re.compile(r"−?\d+(?:\.\d+)?(?:·10\^−?\d+)?")


def numbers(text):
    """The numbers shown in ``text``, as floats ("1.5·10^−3" is 0.0015)."""
    out = []
    for token in _NUMBER.findall(text):
        token = token.replace("−", "-")
        mantissa, _, exponent = token.partition("·10^")
        out.append(float(mantissa) * 10.0 ** int(exponent or 0))
    return out


def by_hand(x, weights, means, covariances):
    """Bayes' rule as a learner does it on a calculator, from the shown numbers only."""
    joint = []
    for w, mu, ((a, b), (_, d)) in zip(weights, means, covariances):
        det = a * d - b * b
        dx, dy = x[0] - mu[0], x[1] - mu[1]
        mahalanobis = (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det
        joint.append(w * np.exp(-0.5 * mahalanobis) / (2 * np.pi * np.sqrt(det)))
    joint = np.array(joint)
    return joint / joint.sum()


def shown_parameters(fragment):
    """(x, weights, means, covariances, determinants, shown r) read off the inspector's HTML."""
    point = re.search(r"x = \(([^)]*)\)", fragment).group(1)
    x = numbers(re.sub(r"<sup>(.*?)</sup>", r"^\1", point))
    components, bayes = tables(fragment)
    weights, means, covariances, determinants = [], [], [], []
    for row in components[1:]:
        weights.append(numbers(row[1])[0])
        means.append(numbers(row[2]))
        a, b, c, d = numbers(row[3])
        covariances.append(((a, b), (c, d)))
        determinants.append(numbers(row[4])[0])
    shown = [numbers(row[3])[0] for row in bayes[1:]]
    return x, weights, means, covariances, determinants, shown


@pytest.mark.parametrize("dataset, steps", [("six_points", 1), ("old_faithful", 3),
                                            ("iris", 2), ("collapse_demo", 4)])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_inspect_numbers_reproduce_the_responsibilities(dataset, steps, covariance_type):
    """μ_k, Σ_k and π_k as shown (5 significant digits) give the shown r_k by hand, to 3 decimals,
    and |Σ_k| as shown is the determinant of Σ_k as shown."""
    lab = Lab(session=Session(dataset=dataset))
    s = lab.session
    s.covariance_type = covariance_type
    for _ in range(steps):
        s.step()
    s.e_step()                      # the shown responsibilities are those of the current mixture
    for i in (0, len(s.X) // 2, len(s.X) - 1):
        lab.view_state.pinned = i
        x, weights, means, covariances, determinants, shown = shown_parameters(
            lab.inspector.table.object)
        np.testing.assert_allclose(x, s.X[i], rtol=1e-4)
        r = by_hand(x, weights, means, covariances)
        np.testing.assert_allclose(r, shown, atol=2e-3)
        np.testing.assert_allclose(r, s.display_resp()[i], atol=2e-3)
        for (a, b), (c, d) in covariances:
            assert b == c
        np.testing.assert_allclose(
            determinants, [a * d - b * c for (a, b), (c, d) in covariances], rtol=1e-3)


def test_inspect_numbers_points_and_components_from_one():
    """The pinned point's heading counts from 1 (array index 0 is point #1), so do the rows."""
    lab = Lab(session=Session(dataset="six_points"))
    lab.view_state.pinned = 0
    fragment = lab.inspector.table.object
    assert "Point <b>#1</b>" in fragment
    assert not re.search(r"#0(?![0-9A-Fa-f])", fragment)     # (#0072B2 is a colour)
    components, bayes = tables(fragment)
    assert [row[0] for row in components[1:]] == ["1", "2"]
    assert [row[0] for row in bayes[1:]] == ["1", "2"]


def _table_values(lab):
    table, = tables(lab.resp_table.table.object)
    head, body = table[0], table[1:-1]                          # the last row: the column sums
    return head, body, table[-1]


def test_small_data_show_the_whole_responsibility_table_at_every_half_step():
    """Six points: one row per point (numbered from 1) and one column per component (from 1); the
    cells are the responsibilities the plot colours by, new after each E-step, and Step back
    brings the earlier ones back."""
    lab = Lab(session=Session(dataset="six_points"))
    s = lab.session
    assert lab.resp_table.table.visible
    seen = []
    for action in (s.e_step, s.m_step, s.e_step, s.m_step, s.e_step, s.back):
        action()
        head, body, totals = _table_values(lab)
        assert head[3:] == ["ri1", "ri2"]
        assert [row[0] for row in body] == [str(i + 1) for i in range(len(s.X))]
        cells = np.array([[float(v.replace("−", "-")) for v in row[3:]] for row in body])
        np.testing.assert_allclose(cells, s.display_resp(), atol=5e-4)
        np.testing.assert_allclose(cells.sum(axis=1), 1, atol=2e-3)
        np.testing.assert_allclose([float(v) for v in totals[1:]], s.display_resp().sum(axis=0),
                                   atol=5e-4)
        seen.append(cells)
    assert not np.allclose(seen[0], seen[2])              # the second E-step changed the table
    np.testing.assert_allclose(seen[-1], seen[3])         # back to the M-step's responsibilities


def test_responsibility_table_marks_the_pinned_point_and_says_which_r_it_shows():
    """The pinned row is marked; the line under the table names the half-step the r come from."""
    lab = Lab(session=Session(dataset="six_points"))
    s = lab.session
    assert "Nothing is assigned yet" in lab.resp_table.table.object
    s.e_step()
    assert "After E-step 1" in lab.resp_table.table.object
    s.m_step()
    assert "M-step 1 used" in lab.resp_table.table.object
    lab.view_state.pinned = 4
    rows = re.findall(r"<tr[^>]*>.*?</tr>", lab.resp_table.table.object)
    assert [r.startswith('<tr class="pinned">') for r in rows[1:7]] == [False] * 4 + [True, False]


def test_responsibility_table_only_for_small_data():
    """Up to 12 points the table shows; Old Faithful (272 points) has none."""
    lab = Lab(session=Session(dataset="old_faithful"))
    assert not lab.resp_table.table.visible and lab.resp_table.table.object == ""
    lab.session.set_data(np.arange(24.0).reshape(12, 2) ** 1.5)
    assert lab.resp_table.table.visible
    lab.session.add_point((1.0, 5.0))
    assert not lab.resp_table.table.visible
