"""What the views share that is not EM state: how the plot paints, which point is pinned, whether
clicks add points, whether Play is running.

Owns: ViewState, a small param.Parameterized. It lives beside the session, not inside it: none of
this changes the mathematics, and the session must stay free of presentation choices. Imports param
only (no panel, no bokeh), so it is testable in plain pytest.
"""

from __future__ import annotations

import param

COLORINGS = ("soft", "hard", "uncertainty")


class ViewState(param.Parameterized):
    """Presentation choices shared by the plot, the inspector and the controls."""

    coloring = param.Selector(
        default="soft", objects=list(COLORINGS),
        doc="soft: blend of component colours by responsibility; hard: colour of the most "
        "responsible component; uncertainty: darker = more undecided.",
    )
    show_outliers = param.Boolean(
        default=False,
        doc="Ring the points outside every component's 99.7% ellipse (session.outlier_mask).",
    )
    add_points = param.Boolean(
        default=False, doc="Click on the plot adds a point; shift-click removes the nearest one."
    )
    pinned = param.Integer(
        default=None, allow_None=True, bounds=(0, None),
        doc="Index of the point whose responsibilities the inspector shows (None: nothing pinned).",
    )
    guessing = param.Boolean(
        default=False, doc="Clicks on the plot place guesses of the means (app.prediction), "
        "instead of pinning a point.",
    )
