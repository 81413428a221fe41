"""eventlab: see event-driven architecture work and fail, one small simulation at a time.

The workbook for Bernd Rücker's talk "Opportunities & Pitfalls of Event-Driven Utopia".
Scenarios follow one shape: ``result = scenario.run(scenario.Config(...))`` returns the
config, a trace (a tidy DataFrame of everything that happened) and measured metrics.
Importing eventlab has no side effects and needs no display.
"""

from eventlab.core.errors import ConfigError, EventlabError
from eventlab.core.messages import Command, Event, Message, Query
from eventlab.core.results import RunResult, sweep
from eventlab.core.world import World

__version__ = "0.1.0"

__all__ = [
    "Command",
    "ConfigError",
    "Event",
    "EventlabError",
    "Message",
    "Query",
    "RunResult",
    "World",
    "__version__",
    "sweep",
]
