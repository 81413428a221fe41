"""What one run of the orchestrated shop did, said in sentences built from the run.

Notebook 10 tells the story of one day (one seed): how many orders the Order's process
started and how each ended, what Payment's own flow did, how long the delivered orders took,
and why each undelivered order did not arrive. A number typed into the notebook's prose
could drift from the run; these functions read it from the run instead and return a
:class:`~eventlab.view.stated.Stated` that the notebook shows as Markdown.
"""

from __future__ import annotations

import pandas as pd

from eventlab.core.errors import ConfigError
from eventlab.domains.retail.processes import duration
from eventlab.engines.workflow.definition import Element, Process
from eventlab.scenarios.retail.orchestrated import OrderResult, orders_at
from eventlab.view.process import counts_from_trace
from eventlab.view.stated import Stated, stated

DAY = 24.0


def _check(result: object) -> OrderResult:
    if not isinstance(result, OrderResult):
        raise TypeError(f"result must be an OrderResult (from orchestration.run), got "
                        f"{type(result).__name__}")
    return result


def _times(n: int, what: str) -> str:
    """``1 order``, ``2 orders`` (English plurals of the nouns used here)."""
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _timer_of(process: Process, end: Element) -> Element | None:
    """The boundary timer whose flow leads to `end`, if any."""
    for flow in process.flows:
        source = process.by_id[flow.source]
        if flow.target == end.id and source.kind == "boundary":
            return source
    return None


def order(result: OrderResult) -> Stated:
    """How many orders the Order's process started, where they ended (and which timer sent
    them there), and what compensation undid."""
    result = _check(result)
    process = result.process("order")
    counts = orders_at(result.trace, process, actor="Order")
    started = counts[process.start_event.id][0]
    lines = [f"{_times(started, 'order')} started the Order's process "
             f"(*{process.start_event.name}*)."]
    for end in (e for e in process.elements if e.kind == "end"):
        reached = counts[end.id][0]
        if not reached:
            continue
        timer = _timer_of(process, end)
        why = (f" when the {timer.name} timer on *{process.by_id[str(timer.attached_to)].name}* "
               "fired") if timer is not None else ""
        sends = f", which publishes `{end.message}`" if end.message else ""
        lines.append(f"{reached} ended at *{end.name}*{why}{sends}.")
    for element in process.elements:
        if element.compensation:
            undone = counts[f"{element.id} (compensation)"][0]
            lines.append(f"Compensation ↺ {element.compensation} ran for "
                         f"{_times(undone, 'order')} (it undoes *{element.name}*).")
    return stated(*lines)


def _element(process: Process, *, job: str | None = None, kind: str | None = None,
             message: str | None = None) -> Element:
    for element in process.elements:
        if (job is None or element.job == job) and (kind is None or element.kind == kind) \
                and (message is None or element.message == message):
            return element
    raise ConfigError(f"process {process.id!r} has no element with job={job!r}, "
                      f"kind={kind!r}, message={message!r}")


def payments(result: OrderResult) -> Stated:
    """Payment's own flow in orders (payments), not in token passes: started, credit,
    card, declined cards, updates, failures and the payments the Order received."""
    result = _check(result)
    process = result.process("payment")
    counts = orders_at(result.trace, process, actor="Payment")
    tokens = counts_from_trace(result.trace, process, actor="Payment")
    trace, table = result.trace, result.payments
    orders, started = len(result.facts), len(table)
    dropped = trace[(trace["kind"] == "fault") & (trace["actor"] == "Payment")]
    charge = _element(process, job="charge-card")
    ask = _element(process, kind="send")
    deduct = next(e for e in process.elements if e.compensation)
    updates = trace[(trace["kind"] == "send") & (trace["actor"] == "Customer")]
    updated = updates["correlation_id"].nunique()
    received = int((table["outcome"] == "Payment received").sum())
    failed = int((table["outcome"] == "Payment failed").sum())
    restored = counts[f"{deduct.id} (compensation)"][0]
    wait = duration(float(result.config.card_update_timer))
    first = f"Payment started its flow for {started} of the {orders} orders"
    if len(dropped):
        first += (f"; it silently dropped the `{dropped['message_type'].iloc[0]}` of "
                  f"{_times(dropped['correlation_id'].nunique(), 'order')}")
    return stated(
        first + ".",
        f"{counts[charge.id][0]} payments needed the card (the customer's credit did not "
        f"cover the order); *{charge.name}* ran {tokens[charge.id][0]} times for them.",
        f"{counts[ask.id][0]} cards were declined, and Payment asked the customer to update "
        f"the card; {updated} customers did, and their card was charged again.",
        f"{_times(failed, 'payment')} failed when the {wait} timer fired; "
        f"↺ {deduct.compensation} gave the deducted credit back {_times(restored, 'time')}.",
        f"{received} payments were received: the Order saw one `PaymentReceivedEvent` each.")


def lead_times(result: OrderResult) -> Stated:
    """How long the delivered orders took, and what the slow ones waited for."""
    result = _check(result)
    facts = result.facts
    delivered = facts[facts["outcome"] == "Order delivered"]
    hours = delivered["lead time (h)"]
    if hours.empty:
        return stated("No order was delivered in this run.")
    slow = delivered[hours > DAY]
    trace = result.trace
    asked = set(trace.loc[(trace["kind"] == "send")
                          & (trace["message_type"] == "UpdateCreditCardCommand"),
                          "correlation_id"])
    waited = int(slow["trace"].isin(list(asked)).sum())
    return stated(
        f"{len(delivered)} orders were delivered: half of them within {hours.median():.1f} h, "
        f"{int((hours <= DAY).sum())} within a day.",
        f"{_times(len(slow), 'order')} took longer than a day (the slowest "
        f"{hours.max():.0f} h); {waited} of them waited for a customer to update a declined "
        "card.")


def undelivered(result: OrderResult) -> Stated:
    """Each order that was not delivered: what happened to it (ground truth), when the
    Order's timer noticed, and what was left behind (money kept, picks not returned)."""
    result = _check(result)
    facts, trace = result.facts, result.trace
    process = result.process("order")
    missing = facts[facts["outcome"] != "Order delivered"]
    if missing.empty:
        return stated("Every order was delivered in this run.")
    lines = []
    for row in missing.to_dict("records"):
        case = trace[trace["correlation_id"] == row["trace"]]
        drops = case[case["kind"] == "fault"]
        if len(drops):
            cause = (f"{drops['actor'].iloc[0]} silently dropped its "
                     f"`{drops['message_type'].iloc[0]}`")
        elif row["payment"] == "Payment failed":
            cause = "the card was declined and never updated, so the payment failed"
        else:
            cause = _late(case, process, str(row["outcome"]))
        left = [f"net charge {row['net charge']:.2f} $"]
        wasted = int(row["wasted picks"])
        if wasted:
            left.append(f"{_times(wasted, 'pick')} never returned")
        detected = row["time to detection (h)"]
        noticed = (f"the timer noticed it {detected:.0f} h after its last message"
                   if pd.notna(detected) else "nobody noticed it")
        lines.append(f"**{row['order']}** · {row['outcome']}: {cause}; {noticed}; "
                     f"{', '.join(left)}.")
    return stated(*lines)


def _late(case: pd.DataFrame, process: Process, outcome: str) -> str:
    """An order that ended at a timer although nothing was lost: the reply it waited for
    arrived after the timer had fired."""
    end = next((e for e in process.elements if e.kind == "end" and e.name == outcome), None)
    timer = _timer_of(process, end) if end is not None else None
    if timer is None:
        return f"it ended as {outcome!r}"
    awaited = process.by_id[str(timer.attached_to)].message
    fired = case.loc[case["kind"] == "timer", "time"].min()
    reply = case[(case["kind"] == "send") & (case["message_type"] == awaited)]
    if reply.empty or pd.isna(fired):
        return f"`{awaited}` never arrived"
    late = float(reply["time"].iloc[0]) - float(fired)
    return (f"`{awaited}` arrived {late:.1f} h after the {timer.name} timer had fired: "
            "nothing was lost, it was late")
