"""Look inside: the package's own code, and a run's story as swimlanes."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from eventlab.core.trace import COLUMNS, DTYPES
from eventlab.engines.kafka.consumer import Consumer
from eventlab.scenarios import outbox
from eventlab.view.sequence import sequence, steps
from eventlab.view.source import source


def test_source_shows_the_installed_code_with_its_relative_file_and_lines():
    shown = source(Consumer.__init__)
    lines, first = inspect.getsourcelines(Consumer.__init__)
    assert shown.path == "eventlab/engines/kafka/consumer.py"
    assert shown.first == first
    assert shown.last == first + len(lines) - 1
    assert shown.code.splitlines()[0].startswith("def __init__(self")
    markdown = shown._repr_markdown_()
    assert markdown.startswith("`Consumer.__init__` from `eventlab/engines/kafka/consumer.py`")
    assert "```python\n" in markdown
    assert "/work/" not in markdown
    assert "site-packages" not in markdown


def test_source_can_show_a_part_dedented_and_numbered_as_in_the_file():
    whole = source(Consumer.__init__)
    part = source(Consumer.__init__, start=4, stop=5)
    assert part.first == whole.first + 3
    assert part.code.splitlines() == [line.strip() for line in
                                      whole.code.splitlines()[3:5]]


def test_source_refuses_other_code_a_screen_too_long_and_a_bad_range():
    with pytest.raises(TypeError, match="eventlab's own code"):
        source(pd.DataFrame)
    with pytest.raises(ValueError, match="more than one screen"):
        source(Consumer)
    with pytest.raises(ValueError, match="stop must be >= 3"):
        source(Consumer.__init__, start=3, stop=2)


@pytest.fixture(scope="module")
def crashed():
    """A commit-then-publish run and the case whose consumer crashed after its effect."""
    trace = outbox.run(outbox.Config(variant="commit_then_publish")).trace
    fault = trace[trace["kind"] == "fault"].iloc[0]
    before = trace[(trace["kind"] == "deliver") & (trace["actor"] == fault["actor"])
                   & (trace["time"] <= fault["time"])].iloc[-1]
    return trace, str(before["correlation_id"]), str(fault["actor"])


def test_the_story_of_a_case_pairs_each_delivery_with_its_sender_and_keeps_its_crash(crashed):
    trace, case, crashed_actor = crashed
    table = steps(trace, case=case)
    mine = trace[trace["correlation_id"] == case]
    deliveries = mine[mine["kind"] == "deliver"]
    arrows = table[table["kind"] == "message"]
    arrived = set(zip(arrows["to"], arrows["time"], strict=True))
    for actor, time in zip(deliveries["actor"], deliveries["time"], strict=True):
        assert (actor, time) in arrived  # every copy that arrived is an arrow into its lane
    senders = set(mine.loc[mine["kind"] == "send", "actor"]) | set(mine["channel"].dropna())
    assert set(arrows["from"]) <= senders  # arrows start at a sender or at the topic
    faults = table[table["kind"] == "fault"]
    assert crashed_actor in set(faults["to"])
    # any other crash in the story hit a lane that handled this case (a redelivery, say)
    assert set(faults["to"]) <= set(deliveries["actor"])
    assert list(table["time"]) == sorted(table["time"])


def test_the_story_is_a_legible_picture_with_its_table_as_text(crashed):
    trace, case, _ = crashed
    chart = sequence(trace, case=case, title="a crash")
    width, _ = chart.figure.get_size_inches() * chart.figure.dpi
    assert width == 960
    sizes = [t.get_fontsize() * chart.figure.dpi / 72 for t in chart.figure.axes[0].texts]
    assert min(sizes) >= 10  # pixels, at the notebook's width
    assert chart.png()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "crashed" in repr(chart)


def test_the_story_refuses_an_unknown_case_a_missing_lane_and_a_bad_limit(crashed):
    trace, case, _ = crashed
    with pytest.raises(ValueError, match="case 'nope' is not in the trace"):
        steps(trace, case="nope")
    with pytest.raises(ValueError, match="actors must include every lane"):
        sequence(trace, case=case, actors=["Customer"])
    with pytest.raises(ValueError, match="limit must be"):
        steps(trace, limit=0)
    assert len(steps(trace, limit=5)) == 5


def test_the_inbox_story_shows_the_mail_the_crash_and_the_second_mail_in_that_order():
    small = outbox.Config(variant="outbox_inbox", crash_at="consumer_after_mail",
                          crash_rate=0.3, commands=20)
    table = outbox.story(small).table
    kinds = list(table["kind"])
    mails = [i for i, (kind, what) in enumerate(zip(kinds, table["what"], strict=True))
             if kind == "state" and str(what).startswith("welcome mails")]
    crash = kinds.index("fault")
    assert len(mails) == 2
    assert mails[0] < crash < mails[1]
    assert "crashed consumer after mail" in table["what"].iloc[crash]


def test_the_mail_key_story_shows_the_provider_refusing_the_repeated_key():
    keyed = outbox.Config(variant="outbox_mail_key", crash_at="consumer_after_effect",
                          crash_rate=0.1, commands=20)
    table = outbox.story(keyed).table
    notes = table[table["kind"] == "note"]
    assert len(notes) >= 1
    assert notes["what"].str.contains("seen: not sent again").all()
    assert (table["what"].astype(str).str.startswith("welcome mails")).sum() == 1


def test_a_story_needs_a_crash():
    with pytest.raises(ValueError, match="no crash hit this run"):
        outbox.story(outbox.Config(crash_rate=0.0, commands=5))


def _row(seq: int, time: float, kind: str, actor: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row.update(seq=seq, time=time, kind=kind, actor=actor, correlation_id="c1", **values)
    return row


def test_a_publish_delivered_to_two_subscribers_is_one_arrow_and_equal_notes_stay_two_steps():
    rows = [
        _row(1, 1.0, "send", "Shop", target="orders", message_id="m1",
             message_type="OrderPlaced"),
        _row(2, 2.0, "deliver", "Payment", target="Shop", message_id="m1",
             message_type="OrderPlaced", channel="orders"),
        _row(3, 2.0, "deliver", "Stock", target="Shop", message_id="m1",
             message_type="OrderPlaced", channel="orders"),
        _row(4, 3.0, "note", "Payment", detail="retrying"),
        _row(5, 3.0, "note", "Payment", detail="retrying"),
    ]
    trace = pd.DataFrame(rows, columns=list(COLUMNS)).astype(DTYPES)
    table = steps(trace, case="c1")
    assert list(zip(table["from"], table["to"], strict=True)) == [
        ("Shop", "orders"), ("orders", "Payment"), ("orders", "Stock"),
        ("Payment", "Payment"), ("Payment", "Payment")]
