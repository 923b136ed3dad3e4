"""Opening a shipped data set is calm (issue 13: Old Faithful opened with two warnings at once,
"16 points repeat..." and "the axes have different scales"): at most one note shows, and none is
a warning; what the loader noticed is one click away, in a closed details element."""

import re

import pytest

from app import data
from app.session import Session
from app.views import Lab


def shown_notes(lab):
    """The notes on screen right after opening: the session's message (a warning box) and the
    chips of the plot's caption."""
    notes = []
    if lab.narration.message.visible:
        notes.append(("warning", lab.narration.message.object))
    if lab.plot.caption.visible:
        notes += [("caption", chip) for chip in re.findall(r"<span>(.*?)</span>",
                                                           lab.plot.caption.object)]
    return notes


@pytest.mark.parametrize("name", data.names())
def test_opening_a_shipped_set_shows_at_most_one_calm_note(name):
    """Picked in the data picker, or opened first: no warning box, at most one caption chip."""
    lab = Lab(session=Session())
    lab.data.picker.value = name                   # as the learner picks it
    for opened in (lab, Lab(session=Session(dataset=name))):
        assert opened.session.dataset == name
        notes = shown_notes(opened)
        assert len(notes) <= 1 and all(kind == "caption" for kind, _ in notes), notes
        assert opened.session.message == ""


def test_old_faithful_keeps_its_repeats_note_on_demand():
    """Old Faithful's repeated points are told in a closed details element of the data card, and
    its one note on screen is the calm caption about the axes' scales."""
    lab = Lab(session=Session(dataset="old_faithful"))
    assert shown_notes(lab) == [
        ("caption", "the axes have different scales: a round component looks stretched")]
    details = lab.data.details
    assert details.visible and "<details>" in details.object and " open" not in details.object
    assert "More about these points" in details.object
    assert "16 points repeat an earlier point exactly" in details.object
    lab.session.dataset = "blobs"
    assert not lab.data.details.visible and lab.data.details.object == ""


def test_an_upload_still_reports_what_the_loader_noticed():
    """User data keep their notes: use_dataset with loader messages shows them as the message."""
    s = Session()
    ds = data.parse_csv(b"x,y\n1,2\n1,2\n3,4\n5,6\n")
    assert ds.messages
    s.use_dataset(ds)
    assert "repeats an earlier point" in s.message
