"""Graph builders: structure checked on the DOT source; text shown when dot is missing."""

import base64
import html
import re
import shutil

import graphviz
import pytest

from eventlab import World
from eventlab.core.channels import Channel
from eventlab.view import graphs


def test_node_ids_are_sanitized_but_labels_keep_the_real_names():
    diagram = graphs.Diagram("t")
    diagram.add_node("Kafka: orders")
    diagram.add_node("2nd service")
    assert graphs.node_id("Kafka: orders") == "Kafka__orders"
    assert "Kafka__orders [label=\"Kafka: orders\"" in diagram.source
    assert "n_2nd_service" in diagram.source
    assert ":" not in graphs.node_id("a:b:c")


def test_two_names_that_sanitize_alike_get_different_ids():
    diagram = graphs.Diagram()
    assert diagram.id_for("a b") != diagram.id_for("a_b")
    assert diagram.id_for("a b") == diagram.id_for("a b")


def test_edges_are_coloured_by_message_kind_and_highlighted_on_request():
    diagram = graphs.diagram([("CRM", "service"), ("Insurance", "service")],
                             [("CRM", "Insurance", "AddressChanged", "event")])
    assert 'CRM -> Insurance [label=AddressChanged color="#1a73e8"' in diagram.source
    diagram.add_edge("Insurance", "CRM", "GetCustomer", kind="query", highlight=True)
    assert "penwidth=2.5" in diagram.source


def test_the_text_alternative_lists_nodes_and_edges_in_drawing_order():
    diagram = graphs.diagram([("CRM", "service"), ("log", "store")],
                             [("CRM", "log", "append", "data")], title="event sourcing")
    assert diagram.text() == ("Diagram: event sourcing\nnodes:\n  [service] CRM\n  [store] log\n"
                              "edges:\n  CRM -> log: append [data]")
    assert repr(diagram) == diagram.text()


def test_an_edge_to_an_unknown_node_is_rejected():
    with pytest.raises(ValueError, match="'ghost' is not a node"):
        graphs.diagram([("CRM", "service")], [("CRM", "ghost", "x", "event")])


def test_unknown_roles_and_kinds_are_rejected_naming_the_allowed_ones():
    diagram = graphs.Diagram()
    with pytest.raises(ValueError, match="role"):
        diagram.add_node("x", role="database")
    with pytest.raises(ValueError, match="kind"):
        diagram.add_edge("a", "b", kind="rpc")


def test_without_dot_a_diagram_displays_its_text_and_an_install_hint(monkeypatch):
    def missing(*_args, **_kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    diagram = graphs.diagram([("CRM", "service")], [])
    monkeypatch.setattr(graphs, "_RENDERED", {})  # nothing drawn before, as in a new kernel
    monkeypatch.setattr(graphs.Diagram, "pipe", missing)
    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    bundle = diagram._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/plain"].startswith("Diagram\nnodes:\n  [service] CRM")
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert diagram.svg() is None


def test_with_dot_a_diagram_displays_svg_and_a_stable_text():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed here (tasks.py installs it)")
    bundle = graphs.diagram([("CRM", "service")], [])._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "0x" not in bundle["text/plain"]


def test_with_dot_a_diagram_is_also_an_html_image_of_the_same_svg_with_its_text_as_alt():
    # JupyterLab shows untrusted HTML (sanitized) but not untrusted SVG: the <img> is what a
    # reader sees on first opening a notebook, so it must be the very same picture.
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed here (tasks.py installs it)")
    diagram = graphs.diagram([("CRM", "service"), ('"Log" <v2> & co', "store")],
                             [("CRM", '"Log" <v2> & co', "append", "data")], title="t")
    bundle = diagram._repr_mimebundle_()
    found = re.fullmatch(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">',
                         bundle["text/html"])
    assert found is not None, bundle["text/html"][:120]
    assert base64.b64decode(found.group(1)).decode("utf-8") == bundle["image/svg+xml"]
    assert html.unescape(found.group(2)) == diagram.text()
    assert "<v2>" not in found.group(2)


def test_an_svg_image_needs_svg_text():
    with pytest.raises(TypeError, match="svg must be a string, got bytes"):
        graphs.svg_img(b"<svg/>", "alt")
    with pytest.raises(ValueError, match="svg must be a non-empty string"):
        graphs.svg_img("  ", "alt")


def test_flow_draws_one_arrow_per_sender_receiver_and_type_with_counts():
    world = World(1)
    channel = Channel(world, "events")
    channel.subscribe("A")
    channel.subscribe("B")
    for _ in range(2):
        channel.publish(world.event("Moved", sender="CRM"))
    world.env.run()
    diagram = graphs.flow(world.trace.to_frame())
    assert "CRM -> A [label=\"Moved ×2\"" in diagram.source
    assert "CRM -> B [label=\"Moved ×2\"" in diagram.source
    assert diagram.source.count("->") == 2


def test_every_rendered_diagram_carries_a_legend_of_the_arrow_kinds_it_draws():
    diagram = graphs.diagram([("CRM", "service"), ("Insurance", "service"), ("log", "store")],
                             [("CRM", "Insurance", "AddressChanged", "event"),
                              ("CRM", "log", "append", "data")])
    source = diagram.legend_source()
    assert graphs.LEGEND_TITLE in source
    assert "event</font>" in source
    assert "data</font>" in source
    assert "command</font>" not in source  # only the kinds it draws
    assert "legend" not in diagram.text()  # the text alternative lists the arrows themselves
    plain = graphs.diagram([("a", "service"), ("b", "service")], [("a", "b", "x", "plain")])
    assert plain.legend_source() == plain.source


def test_a_picture_too_wide_for_the_notebook_is_laid_out_top_to_bottom_when_narrower():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    nodes = [(f"service number {i}", "service") for i in range(9)]
    edges = [(f"service number {i}", f"service number {i + 1}", f"a long message name {i}",
              "event") for i in range(8)]
    wide = graphs.diagram(nodes, edges)
    left_to_right = graphviz.Source(wide.legend_source()).pipe(format="svg", encoding="utf-8")
    assert graphs.svg_width_px(left_to_right) > graphs.WIDE_PX
    shown = wide.svg()
    assert graphs.svg_width_px(shown) < graphs.svg_width_px(left_to_right)
    assert graphs.smallest_text_px(shown) >= 10
    assert graphs.smallest_text_px(left_to_right) < 10


def test_a_long_arrow_label_wraps_in_the_picture_and_stays_whole_in_the_text():
    label = "sends CheckAddress, waits for AddressChecked"
    diagram = graphs.diagram([("Onboarding", "service"), ("AddressCheck", "service")],
                             [("Onboarding", "AddressCheck", label, "command")])
    assert "sends CheckAddress,\nwaits for AddressChecked" in diagram.source.replace("\\n", "\n")
    assert f"Onboarding -> AddressCheck: {label} [command]" in diagram.text()


def test_a_picture_shown_again_is_not_laid_out_again_and_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(graphs, "_RENDERED", {})
    calls = []
    real = graphviz.Source.pipe

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(graphviz.Source, "pipe", counting)
    diagram = graphs.diagram([("CRM", "service"), ("Mail", "service")],
                             [("CRM", "Mail", "x", "event")])
    first = diagram.svg()
    assert diagram.svg() == first
    assert len(calls) == 1
    for number in range(graphs.RENDER_CACHE + 5):
        graphs.diagram([(f"S{number}", "service")], []).svg()
    assert len(graphs._RENDERED) == graphs.RENDER_CACHE
