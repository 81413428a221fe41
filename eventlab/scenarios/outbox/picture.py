"""The picture of the dual-write story: who writes and sends what, counted from the trace."""

from __future__ import annotations

from typing import Any

import pandas as pd

from eventlab.scenarios.outbox.config import (
    CLIENT,
    CONSUMER,
    EVENT_TYPE,
    INBOX,
    PROVIDER,
    RELAY,
    SERVICE,
    STORE,
    TOPIC,
    Config,
)
from eventlab.view import graphs

TITLES = {"commit_then_publish": "dual write: commit, then publish",
          "publish_then_commit": "dual write: publish, then commit",
          "outbox": "outbox + relay", "outbox_inbox": "outbox + relay + inbox",
          "outbox_mail_key": "outbox + relay + a mail key the provider checks"}


def _counts(trace: pd.DataFrame) -> dict[str, int]:
    kind, actor, channel = trace["kind"], trace["actor"], trace["channel"]
    states = trace[kind == "state"]
    on_topic = channel == TOPIC
    return {
        "commands": int(((kind == "deliver") & (actor == SERVICE)).sum()),
        "appends": int((states["entity"] == "events").sum()),
        "publishes": int(((kind == "send") & on_topic).sum()),
        "checkpoints": int((states["entity"] == "checkpoint").sum()),
        "deliveries": int(((kind == "deliver") & on_topic).sum()),
        "marked": int((states["entity"] == "processed").sum()),
        "skipped": int(((kind == "note") & (trace["target"] == INBOX)).sum()),
        "mails": int((states["entity"] == "welcome mails").sum()),
        "refused": int(((kind == "note") & (actor == PROVIDER)).sum()),
    }


def _crashes(trace: pd.DataFrame, who: str) -> int:
    faults = injected(trace)
    return int(faults["actor"].str.startswith(who).sum())  # Mailing-1, Mailing-2, ...


def injected(trace: pd.DataFrame) -> pd.DataFrame:
    """The crashes the run injected (Kafka adds its own plain "crashed" row for a member)."""
    return trace[(trace["kind"] == "fault") & (trace["detail"] != "crashed")]


def diagram(config: Config, trace: pd.DataFrame, row: Any) -> graphs.Diagram:
    """The variant's topology; counts from `trace`; the arrow of `row` highlighted."""
    n = _counts(trace)
    diagram = graphs.Diagram(TITLES[config.variant])
    writer = RELAY if config.uses_outbox else SERVICE

    def note(who: str) -> str:
        crashed = _crashes(trace, who)
        return f"crashed ×{crashed}" if crashed else ""

    diagram.add_node(CLIENT, role="client")
    diagram.add_node(SERVICE, role="service", note=note(SERVICE))
    diagram.add_node(STORE, role="store", note=f"{n['appends']} customers")
    if config.uses_outbox:
        diagram.add_node(RELAY, role="service", note=note(RELAY))
    diagram.add_node(TOPIC, role="broker", note=f"{n['publishes']} records")
    diagram.add_node(CONSUMER, role="service",
                     note=", ".join(x for x in (f"{n['mails']} mails", note(CONSUMER)) if x))
    lit = _highlight(row)
    diagram.add_edge(CLIENT, SERVICE, f"RegisterCustomer ×{n['commands']}", kind="command",
                     highlight=lit == "command")
    diagram.add_edge(SERVICE, STORE, f"append ×{n['appends']}", kind="data",
                     highlight=lit == "append")
    if config.uses_outbox:
        diagram.add_edge(STORE, RELAY, f"tail, checkpoint ×{n['checkpoints']}", kind="data",
                         highlight=lit == "checkpoint")
    diagram.add_edge(writer, TOPIC, f"publish ×{n['publishes']}", kind="event",
                     highlight=lit == "publish")
    diagram.add_edge(TOPIC, CONSUMER, f"{EVENT_TYPE} ×{n['deliveries']}", kind="event",
                     highlight=lit == "deliver")
    if config.variant == "outbox_inbox":
        diagram.add_node(INBOX, role="store", note=f"{n['skipped']} duplicates skipped")
        diagram.add_edge(CONSUMER, INBOX, f"mark processed ×{n['marked']}", kind="data",
                         highlight=lit == "inbox")
    if config.variant == "outbox_mail_key":
        diagram.add_node(PROVIDER, role="service",
                         note=f"{n['mails']} mails, {n['refused']} repeated keys refused")
        diagram.add_edge(CONSUMER, PROVIDER, "send mail, key = event id", kind="command")
    # Stack the relay under the store and the inbox under Mailing: a shorter, wider-text picture.
    pairs = [(STORE, RELAY)] if config.uses_outbox else []
    if config.variant == "outbox_inbox":
        pairs.append((CONSUMER, INBOX))
    if config.variant == "outbox_mail_key":
        pairs.append((CONSUMER, PROVIDER))
    for pair in pairs:
        with diagram.subgraph() as column:
            column.attr(rank="same")
            for name in pair:
                column.node(diagram.id_for(name))
    return diagram


def _highlight(row: Any) -> str:
    if row is None:
        return ""
    if row.kind == "deliver":
        return "command" if row.actor == SERVICE else "deliver"
    if row.kind == "send":
        return "publish" if row.channel == TOPIC else ""
    if row.kind == "state":
        return {STORE: "append", RELAY: "checkpoint", INBOX: "inbox"}.get(str(row.actor), "")
    return ""
