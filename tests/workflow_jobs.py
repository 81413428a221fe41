"""What the workflow tests share: a process as a BPMN file gives it, job workers that take
time, and one run of one instance."""

from eventlab.core.world import World
from eventlab.engines.workflow import bpmn
from eventlab.engines.workflow.engine import Engine


def from_file(process):
    """The process as the engine gets it from a BPMN file (written, then read)."""
    again = bpmn.read(bpmn.write(process))
    assert again == process
    return again


def takes(hours, result=None):
    """A job worker that works `hours`, then completes with `result`."""
    def handler(job):
        yield job.engine.env.timeout(hours)
        return result or {}
    return handler


def run(process, variables=None, **workers):
    """One instance of `process`, read back from its BPMN file, run to its end."""
    world = World(1)
    engine = Engine(world, "E", sender=lambda inst, el: None)
    engine.deploy(from_file(process))
    for job, handler in workers.items():
        engine.worker(job, handler)
    inst = engine.start(process.id, correlation_id="c", variables=variables or {})
    world.env.run()
    return world, engine, inst


def rows(world, kind):
    """The trace rows of one kind."""
    return world.trace.to_frame().query(f"kind == '{kind}'")
