"""BPMN 2.0 XML in and out: ``bpmn.read(path_or_xml) -> Process``, ``bpmn.write(process) -> str``.

>>> from eventlab.engines.workflow import bpmn
>>> order = bpmn.read("order.bpmn")            # a file Camunda Modeler saved, or XML text
>>> xml = bpmn.write(order)                    # with a diagram laid out left to right
>>> bpmn.read(xml) == order
True

What is read: the executable elements of the engine's palette
(:mod:`eventlab.engines.workflow.elements`) and Zeebe's extension elements
``zeebe:taskDefinition`` (job type, retries), ``zeebe:subscription`` (correlation key) and
``zeebe:ioMapping``. Other extension elements and attributes, and what only decorates a
diagram (text annotations, groups, pools), are ignored with one :class:`BpmnIgnored`
warning that lists them. An element the engine cannot execute (a script task, an inclusive
gateway, a signal event, a multi-instance marker ...) is a ConfigError naming its type and
id, never skipped. Parsing is safe: no DTDs, no entities, no network.

What is written validates against the OMG BPMN 2.0 schema and carries diagram interchange
from :func:`layout` (the same geometry :mod:`eventlab.view.bpmn_svg` draws).
"""

from eventlab.engines.workflow.bpmn.durations import hours, iso
from eventlab.engines.workflow.bpmn.layout import Box, Layout, Route, layout
from eventlab.engines.workflow.bpmn.reader import BpmnIgnored, read
from eventlab.engines.workflow.bpmn.writer import write

__all__ = ["Box", "BpmnIgnored", "Layout", "Route", "hours", "iso", "layout", "read", "write"]
