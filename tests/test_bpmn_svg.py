"""BPMN pictures in BPMN notation: the file's layout, legible at 960 px, with a text."""

import base64
import re

import pytest
from hypothesis import HealthCheck, given, settings

from eventlab.domains.retail import processes
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.definition import (
    Process,
    boundary,
    end,
    error_boundary,
    event_based,
    service,
    start,
    subprocess,
    timer,
    user,
)
from eventlab.view import bpmn_svg
from eventlab.view.graphs import smallest_text_px, svg_width_px
from eventlab.view.process import diagram
from tests.bpmn_models import random_processes

# random processes are big drawings: a slow or oversized draw is not a failure of the code
GENERATED = [HealthCheck.too_slow, HealthCheck.data_too_large]

RETAIL = [processes.order_process(v) for v in processes.VARIANTS] + [
    processes.payment_process(), processes.tracking_process()]


@pytest.mark.parametrize("process", RETAIL, ids=lambda p: f"{p.id}-{len(p.elements)}")
def test_the_retail_pictures_fit_the_notebook_with_text_of_at_least_ten_pixels(process):
    svg = bpmn_svg.picture(process).svg()
    assert svg_width_px(svg) <= 960
    assert smallest_text_px(svg) >= 10


@settings(max_examples=30, deadline=None, suppress_health_check=GENERATED)
@given(random_processes())
def test_any_picture_is_legible_at_notebook_width(process):
    svg = bpmn_svg.picture(process).svg()
    assert svg_width_px(svg) <= 960
    assert smallest_text_px(svg) >= 10


def test_shapes_are_drawn_where_the_bpmn_file_puts_them():
    order = processes.order_process()
    svg = bpmn_svg.picture(order).svg()
    found = bpmn.layout(order)
    task = found.boxes["pay_send"]
    assert f'<rect x="{task.x:.1f}" y="{task.y:.1f}" width="100.0" height="80.0" rx="10"' \
        in svg
    timeout = found.boxes["pay_timeout"]
    assert f'cx="{timeout.cx:.1f}" cy="{timeout.cy:.1f}" r="18"' in svg
    xml = bpmn.write(order)
    assert f'bpmnElement="pay_send"><dc:Bounds x="{task.x:g}" y="{task.y:g}"' in \
        re.sub(r">\s+<", "><", xml)


def test_each_kind_gets_its_bpmn_shape_and_marker():
    p = Process("p", "P", [
        start("s", "Go"), event_based("wait"), timer("t", "1 h", hours=1),
        timer("t2", "2 h", hours=2), user("u", "Approve"), subprocess("sub", "Work"),
        start("in", parent="sub"), service("a", "A", job="w", parent="sub"),
        end("in_end", parent="sub"), error_boundary("err", "Failed", attached_to="sub"),
        boundary("late", "Reminder", attached_to="u", hours=3, interrupting=False),
        end("e", "Done", terminate=True), end("x", "Error end"), end("r", "Reminded")],
        [("s", "wait"), ("wait", "t"), ("wait", "t2"), ("t", "u"), ("t2", "u"), ("u", "sub"),
         ("sub", "e"), ("in", "a"), ("a", "in_end"), ("err", "x"), ("late", "r")])
    svg = bpmn_svg.picture(p).svg()
    assert svg.count("<polygon points=") >= 2  # diamonds and arrowheads
    assert 'stroke-dasharray="4 3"' in svg  # the non-interrupting timer
    assert 'r="11" fill="#22242a"' in svg  # the terminate end's disc
    text = bpmn_svg.picture(p).text()
    for line in ("[event-based gateway] wait [wait]", "[user task] Approve [u]",
                 "[subprocess] Work [sub]", "[service task] A [a] (job w; in sub)",
                 "[non-interrupting boundary timer] Reminder [late] (3 h; on u)",
                 "[error boundary event] Failed [err] (error any; on sub)",
                 "[terminate end event] Done [e]"):
        assert line in text


def test_the_mime_bundle_shows_an_image_with_the_text_as_alt_for_untrusted_notebooks():
    picture = bpmn_svg.picture(processes.payment_process(), {"charge": (4, 1)})
    bundle = picture._repr_mimebundle_()
    assert bundle["text/plain"] == picture.text() == repr(picture)
    assert "[service task] Charge credit card [charge] (job charge-card) — ✓4 · 1 here" \
        in picture.text()
    payload = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', bundle["text/html"])
    assert payload is not None
    assert base64.b64decode(payload.group(1)).decode() == bundle["image/svg+xml"]
    assert "✓4 · 1 here" in bundle["image/svg+xml"]
    assert "arrows: from sender to receiver" in bundle["image/svg+xml"]


def test_bad_arguments_name_the_parameter():
    with pytest.raises(TypeError, match="process must be a Process"):
        bpmn_svg.picture("order")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_width must be >= 400"):
        bpmn_svg.picture(processes.order_process(), max_width=100)


def test_the_graphviz_picture_knows_the_new_kinds_too():
    p = Process("p", "P", [start("s"), user("u", "Approve"), end("e")],
                [("s", "u"), ("u", "e")])
    assert "[user] 👤 Approve" in diagram(p).text()
