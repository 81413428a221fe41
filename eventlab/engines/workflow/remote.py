"""Service tasks done by services on the other side of a transport: command out, reply back.

In flowing-retail's Kafka variants the Order service's workflow engine does not call Payment;
a job worker of the Order service sends ``RetrievePaymentCommand`` over Kafka, and Payment's
``PaymentReceivedEvent`` comes back the same way. :class:`RemoteJobs` is that worker, with
what the engine adds:

* the command goes into the engine's durable log (an
  :class:`~eventlab.engines.workflow.outbox.Outbox`) with the token's move, so a crash between
  the state change and the send re-sends it after the restart;
* it carries a ``commandId`` (instance, element, and ``undo`` for a compensation), the same for
  every try of the job, so the receiver is idempotent by command id and a command sent twice
  is done once (and answered twice);
* once the transport has the command, the job waits for the reply by that id through
  :meth:`Engine.wait_for <eventlab.engines.workflow.engine.Engine.wait_for>`; a reply that
  came before (a fast service, or a broker failover that delayed the acknowledgement) waits
  in the engine's message buffer for its time to live;
* the reply decides the job: `done` completes it (its payload becomes variables), `failed`
  fails it (the engine retries with backoff, then raises an incident), an `errors` type
  throws that BPMN error (caught by an error boundary event); no reply before the engine's
  ``job_timeout`` activates the job again (the command is sent again, no retry spent).

The waits are engine state (Zeebe keeps message subscriptions in its log): a crash of the
Order service stops its relay and its consumer, and a reply that comes meanwhile is read
after the restart; no wait is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import simpy

from eventlab.core.catalogue import MessageCatalogue
from eventlab.core.errors import ConfigError, check_text
from eventlab.core.messages import Message
from eventlab.engines.workflow.engine import Engine
from eventlab.engines.workflow.instance import BpmnError, Job, JobFailed
from eventlab.engines.workflow.outbox import Outbox

COMMAND_ID = "commandId"  # the payload field that carries the command id, in and back


@dataclass(frozen=True)
class Remote:
    """How one job type is done remotely: the command it sends and what each reply means."""

    command: str
    done: str
    failed: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)  # reply type -> BPMN error code
    payload: Callable[[Job], Mapping[str, Any]] | None = None

    @property
    def replies(self) -> list[str]:
        """Every reply type that ends a wait, in a fixed order."""
        return [self.done, *([self.failed] if self.failed else []), *self.errors]


def command_id(job: Job) -> str:
    """The id every try of this job's command carries (a compensation gets its own)."""
    undo = "/undo" if job.compensation else ""
    return f"{job.instance.id}/{job.element.id}{undo}"


class RemoteJobs:
    """The workers of an engine whose jobs are commands to services over a transport."""

    def __init__(self, engine: Engine, outbox: Outbox, catalogue: MessageCatalogue, *,
                 sender: str) -> None:
        if not isinstance(engine, Engine):
            raise TypeError(f"engine must be a workflow Engine, got {type(engine).__name__}")
        if not isinstance(outbox, Outbox):
            raise TypeError(f"outbox must be an Outbox, got {type(outbox).__name__}")
        if not isinstance(catalogue, MessageCatalogue):
            raise TypeError(f"catalogue must be a MessageCatalogue, got "
                            f"{type(catalogue).__name__}")
        self.engine, self.outbox, self.catalogue = engine, outbox, catalogue
        self.sender = check_text("sender", sender)
        self.commands = 0  # commands written to the outbox, tries and re-activations alike

    def register(self, job_type: str, remote: Remote) -> None:
        """Do every job of `job_type` by sending `remote.command` and awaiting a reply."""
        check_text("job_type", job_type)
        if not isinstance(remote, Remote):
            raise TypeError(f"remote must be a Remote, got {type(remote).__name__}")
        for name in (remote.command, *remote.replies):
            self.catalogue.kind(name)  # an undeclared name is an error now, not mid-run
        if len(set(remote.replies)) != len(remote.replies):
            raise ConfigError(f"the replies of {job_type!r} repeat a message type: "
                              f"{remote.replies}")
        self.engine.worker(job_type, self._handler(remote))

    def _handler(self, remote: Remote) -> Callable[[Job], Generator[simpy.Event, Any, Any]]:
        def handle(job: Job) -> Generator[simpy.Event, Any, Any]:
            inst = job.instance
            key = command_id(job)
            payload = dict(remote.payload(job)) if remote.payload is not None else {}
            payload[COMMAND_ID] = key
            command = self.catalogue.make(self.engine.world, remote.command, sender=self.sender,
                                          key=inst.key, correlation_id=inst.correlation_id,
                                          payload=payload)
            # A reply that came while no worker waited (a job activated again) is in the
            # engine's buffer: then no command needs to go out.
            early = self.engine.wait_for(inst, remote.replies, key)
            if early.triggered:
                return _outcome(remote, cast(Message, early.value))
            self.engine.forget(early)
            self.commands += 1
            self.outbox.append(command)
            # As flowing-retail's workers do: the job is done once the transport took the
            # command; only then does the instance wait for the reply. A fast reply (or one
            # overtaking a slow acknowledgement, as in a broker failover) comes first and
            # waits in the buffer for its time to live.
            yield self.outbox.sent(command)
            wait = self.engine.wait_for(inst, remote.replies, key)
            try:
                reply: Message = yield wait
            finally:
                self.engine.forget(wait)
            return _outcome(remote, reply)
        return handle


def _outcome(remote: Remote, reply: Message) -> dict[str, Any]:
    if reply.type == remote.failed:
        raise JobFailed(str(reply.payload.get("reason", "the service failed")))
    code = remote.errors.get(reply.type)
    if code is not None:
        raise BpmnError(code, str(reply.payload.get("reason", reply.type)))
    return {k: v for k, v in reply.payload.items() if k != COMMAND_ID}
