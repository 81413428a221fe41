"""The map of the workbook: which notebook covers which part and slides of the talk."""

from __future__ import annotations

import pandas as pd

# (notebook, part of the talk, slides it covers), in the talk's order.
NOTEBOOKS: tuple[tuple[str, str, str], ...] = (
    ("00_start_here", "Opening", "Title · Why this talk · Agenda"),
    ("01_what_is_event_driven", "Opening",
     "What do you mean by \"Event-Driven\"? (Fowler's four patterns)"),
    ("02_persistent_state_vs_change", "1 · Events on the inside",
     "Persistent state vs persistent change · Event sourcing & event store · Read models & CQRS"),
    ("03_single_writer_and_replication", "1 · Events on the inside",
     "We build two different workflow engines · Event handling, replication & single writer · "
     "Zeebe is CP"),
    ("04_partitions_and_read_models", "1 · Events on the inside",
     "Horizontal scalability by partitioning · Queries and read models"),
    ("05_event_store_and_messaging", "2 · Events inside out",
     "Event store and messaging · Merge messaging and event store · Shared event store"),
    ("06_kafka_as_transport", "2 · Events inside out",
     "Enter the world of Kafka · Kafka as transport · Recap 1 (outbox & co)"),
    ("07_notification_vs_state_transfer", "3 · Events on the outside",
     "Event notification · Event-carried state transfer · This decision is complex"),
    ("08_commands_vs_events", "3 · Events on the outside",
     "Command vs event · It is NOT about communication protocols · Commands in disguise"),
    ("09_event_chains_and_monitoring", "3 · Events on the outside",
     "Event chains · Fowler's warning · Monitoring workflows across microservices"),
    ("10_orchestration_and_balance", "3 · Events on the outside",
     "Changes for an additional check · Alternative flow · Comparison · Balance · "
     "Local orchestration"),
    ("11_recap", "Recaps", "Recap 1 · Recap 2 · every slide mapped to a cell"),
)


def contents() -> pd.DataFrame:
    """The workbook's table of contents: notebook, part of the talk, slides it covers."""
    rows = [(f"{name}.ipynb", part, slides) for name, part, slides in NOTEBOOKS]
    return pd.DataFrame(rows, columns=["notebook", "part of the talk", "slides"])
