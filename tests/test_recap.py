"""The capstone scenario: every choice changes the mechanism that runs, and the books balance."""

import dataclasses
import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.scenarios import recap
from eventlab.scenarios.recap import scorecard

small = settings(max_examples=25, deadline=None)
OUTCOMES = {"delivered", "no payment", "not picked", "not shipped", "payment failed",
            "shipped, money refunded"}


def sent(result, message_type):
    return result.trace[(result.trace["kind"] == "send")
                        & (result.trace["message_type"] == message_type)]


@st.composite
def choices(draw):
    kinds = {name: draw(st.sampled_from(recap.KINDS)) for name in recap.INTERACTIONS}
    return recap.Config(orders=draw(st.integers(1, 14)), seed=draw(st.integers(0, 10_000)),
                        coordination=draw(st.sampled_from(recap.COORDINATIONS)),
                        outbox=draw(st.booleans()), partitions=draw(st.integers(1, 6)),
                        crash_rate=draw(st.sampled_from([0.0, 0.1, 0.3])),
                        schedule=draw(st.sampled_from(recap.SCHEDULES)), **kinds)


@small
@given(choices())
def test_any_choices_keep_the_money_and_account_for_every_order(config):
    result = recap.run(config)
    m, facts = result.metrics, result.facts
    assert m[recap.Metric.MONEY_CONSERVED] == "yes"
    assert set(facts["outcome"]) <= OUTCOMES
    assert m[recap.Metric.ORDERS_DELIVERED] + m[recap.Metric.NOT_DELIVERED_NOTICED] + \
        m[recap.Metric.NOT_DELIVERED_NOBODY_NOTICED] == config.orders
    delivered = facts[facts["outcome"] == "delivered"]
    assert (delivered["net charge"] >= delivered["total"] - 0.005).all()
    assert (delivered["shipped"] >= 1).all()
    if config.outbox or config.crash_rate == 0:
        assert m[recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH] == 0
    if not config.outbox and not config.orchestrated:  # nobody relays, so nothing comes twice
        assert m[recap.Metric.DUPLICATES_DROPPED_BY_INBOXES] == 0
    if not config.orchestrated:  # nobody owns the flow, so nobody notices
        assert m[recap.Metric.NOT_DELIVERED_NOTICED] == 0
    partitions = result.trace.loc[result.trace["kind"] == "deliver", "partition"]
    assert partitions.between(0, config.partitions - 1).all()
    assert m[recap.Metric.DEPENDENCIES] == len(recap.wiring(config).dependencies())


@pytest.mark.parametrize("coordination", recap.COORDINATIONS)
@pytest.mark.parametrize("name", recap.INTERACTIONS)
def test_event_or_command_turns_the_dependency_around(coordination, name):
    base = recap.Config(coordination=coordination, payment="event", inventory="event",
                        shipping="event", notification="event", loyalty="event")
    step = recap.STEPS[name]
    before = recap.wiring(base).dependencies()
    after = recap.wiring(dataclasses.replace(base, **{name: "command"})).dependencies()
    listens = before[before["service"] == step.service]
    assert listens["because it"].str.contains(f"listens to {step.after}").any()
    commanders = after[(after["depends on"] == step.service)
                       & after["because it"].str.contains(f"sends {step.command}")]
    assert len(commanders) == 1
    assert commanders["service"].iloc[0] == \
        ("Order" if coordination == "orchestration" else
         "Checkout" if name == "payment" else recap.STEPS[recap.PREVIOUS[name]].service)


def test_a_command_is_sent_only_when_chosen_and_then_the_service_obeys_it():
    quiet = recap.Config(orders=10, schedule="none", crash_rate=0.0)
    events = recap.run(dataclasses.replace(quiet, payment="event"))
    commands = recap.run(dataclasses.replace(quiet, payment="command"))
    assert sent(events, "RetrievePaymentCommand").empty
    assert len(sent(commands, "RetrievePaymentCommand")) == 10
    assert len(sent(events, "PaymentReceivedEvent")) == len(sent(commands, "PaymentReceivedEvent"))


def test_orchestration_runs_the_order_process_built_from_the_choices():
    result = recap.run(recap.Config(orders=10, notification="command", schedule="none"))
    engine_rows = result.trace[(result.trace["actor"] == "Order")
                               & (result.trace["kind"] == "state")]
    assert not engine_rows.empty
    process = recap.order_process(result.config)
    assert [e.message for e in process.elements if e.kind == "send"] == [
        "RetrievePaymentCommand", "FetchGoodsCommand", "ShipGoodsCommand",
        "SendNotificationCommand"]
    assert "✓10" in result.process().text()
    chained = recap.run(recap.Config(orders=10, coordination="choreography"))
    assert chained.trace[chained.trace["actor"] == "Order"].empty
    with pytest.raises(ValueError, match="has no Order process"):
        chained.process()


def test_every_combination_of_kinds_builds_a_valid_order_process_and_wiring():
    for kinds in itertools.product(recap.KINDS, repeat=len(recap.INTERACTIONS)):
        for coordination in recap.COORDINATIONS:
            config = recap.Config(coordination=coordination,
                                  **dict(zip(recap.INTERACTIONS, kinds, strict=True)))
            wiring = recap.wiring(config)
            assert len(wiring.rules) >= 5
            sends = [e for e in recap.order_process(config).elements if e.kind == "send"]
            assert len(sends) == kinds.count("command")


def test_without_the_outbox_a_crash_loses_messages_and_with_it_the_inbox_drops_copies():
    crashy = recap.Config(orders=30, crash_rate=0.3, schedule="none")
    dual = recap.run(dataclasses.replace(crashy, outbox=False)).metrics
    relayed = recap.run(crashy).metrics
    assert dual[recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH] > 0
    assert relayed[recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH] == 0
    assert relayed[recap.Metric.DUPLICATES_PUBLISHED_RELAY_CRASH] > 0
    assert relayed[recap.Metric.DUPLICATES_DROPPED_BY_INBOXES] > 0


def engine_messages(result):
    """The ids of the messages the orchestrating Order's engine published."""
    trace = result.trace
    return set(trace.loc[(trace["kind"] == "send") & (trace["actor"] == "Order"), "message_id"])


@small
@given(st.integers(0, 10_000), st.sampled_from([0.1, 0.3, 0.5]), st.booleans(),
       st.sampled_from(recap.SCHEDULES))
def test_an_orchestrating_order_never_loses_a_command_even_without_the_services_outbox(
        seed, crash_rate, outbox, schedule):
    config = recap.Config(orders=12, seed=seed, crash_rate=crash_rate, outbox=outbox,
                          schedule=schedule, notification="command")
    result = recap.run(config)
    trace = result.trace
    lost = trace[(trace["kind"] == "fault") & trace["detail"].str.contains("is lost", na=False)]
    assert "Order" not in set(lost["actor"])  # the engine sends from its log, at least once
    sent_by_engine = engine_messages(result)
    delivered = trace[trace["kind"] == "deliver"]
    # every command the engine sent reached the service it commands
    commands = trace[(trace["kind"] == "send") & (trace["actor"] == "Order")
                     & trace["message_type"].str.endswith("Command")]
    assert set(commands["message_id"]) <= set(delivered["message_id"])
    assert sent_by_engine  # the engine did send (12 orders, at least one placed)


def test_without_the_services_outbox_only_the_services_lose_messages_under_orchestration():
    crashy = recap.Config(orders=30, crash_rate=0.3, schedule="none", outbox=False)
    result = recap.run(crashy)
    trace = result.trace
    lost = trace[(trace["kind"] == "fault") & trace["detail"].str.contains("is lost", na=False)]
    assert result.metrics[recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH] == len(lost) > 0
    assert {"Checkout", "Payment"} <= set(lost["actor"])
    assert "Order" not in set(lost["actor"])
    chained = recap.run(dataclasses.replace(crashy, coordination="choreography",
                                            payment="event", inventory="event",
                                            shipping="event"))
    assert chained.metrics[recap.Metric.DUPLICATES_PUBLISHED_RELAY_CRASH] == 0  # nobody relays


@pytest.mark.parametrize("seed", [42, 43, 44])
def test_a_duplicate_command_from_the_engines_relay_is_processed_once(seed):
    config = recap.Config(orders=20, seed=seed, crash_rate=0.4, outbox=False, schedule="none")
    result = recap.run(config)
    trace = result.trace
    ours = engine_messages(result)
    assert result.metrics[recap.Metric.DUPLICATES_PUBLISHED_RELAY_CRASH] > 0
    published = trace[(trace["kind"] == "send") & trace["message_id"].isin(list(ours))]
    assert published["message_id"].duplicated().any()  # the relay published some twice ...
    dropped = trace[(trace["kind"] == "drop") & trace["message_id"].isin(list(ours))]
    assert not dropped.empty  # ... a receiver dropped the second copy ...
    delivered = trace[(trace["kind"] == "deliver") & trace["message_id"].isin(list(ours))]
    assert not delivered.duplicated(["actor", "message_id"]).any()  # ... and handled it once
    assert result.metrics[recap.Metric.MONEY_CONSERVED] == "yes"


def test_the_relay_publishes_later_than_the_service_wrote():
    config = recap.Config(orders=5, schedule="none", crash_rate=0.0, relay_interval=0.5)
    result = recap.run(config)
    placed = sent(result, "OrderPlacedEvent")["time"].to_numpy()
    orders = result.facts["placed"].to_numpy()
    waited = placed - orders
    assert (waited > 0).all()  # the next poll, never at once ...
    assert (waited <= 0.5 + 1e-9).all()  # ... and never later than one interval
    assert waited.max() == pytest.approx(0.5)


@pytest.mark.parametrize("seed", [42, 43, 44])
def test_under_orchestration_the_busiest_consumer_is_the_orders(seed, monkeypatch):
    seen = []

    class Watched(recap.Transport):  # the run's own transport, kept for a look afterwards
        def __init__(self, world, config):
            super().__init__(world, config)
            seen.append(self)

    monkeypatch.setattr(scorecard, "Transport", Watched)
    recap.run(recap.Config(orders=30, seed=seed, partitions=2))
    longest = seen[0].longest
    assert max(longest, key=longest.get) == "Order"


def test_fewer_partitions_mean_more_consumer_lag():
    lags = [recap.run(recap.Config(partitions=n)).metrics[recap.Metric.MAX_CONSUMER_LAG_H]
            for n in (1, 4, 16)]
    assert lags[0] > lags[1] > lags[2]


def test_the_bad_day_schedules_faults_and_the_quiet_day_none():
    bad = recap.run(recap.Config(orders=40, crash_rate=0.0))
    quiet = recap.run(recap.Config(orders=40, crash_rate=0.0, schedule="none"))
    assert not bad.trace[bad.trace["kind"] == "fault"].empty
    assert quiet.trace[quiet.trace["kind"] == "fault"].empty
    assert recap.faults(recap.Config(orders=10)) == tuple(f for f in recap.BAD_DAY
                                                           if f.order <= 10)


def test_the_same_config_gives_the_same_trace():
    config = recap.Config(orders=20)
    pd.testing.assert_frame_equal(recap.run(config).trace, recap.run(config).trace)


def test_a_comparison_changes_one_choice_and_runs_every_side_over_the_same_days():
    days = recap.Config(orders=12)
    cmp = recap.compare(days, "outbox", [True, False], n_jobs=1)
    assert cmp.field == "outbox"
    assert cmp.names == ["outbox", "dual write"]
    assert {tuple(reps.seeds) for reps in cmp.sides.values()} == {tuple(range(42, 62))}
    for name, reps in cmp.sides.items():
        changed = [f.name for f in dataclasses.fields(recap.Config)
                   if getattr(reps.config, f.name) != getattr(days, f.name)]
        assert changed == ([] if name == "outbox" else ["outbox"])
    assert cmp.interval("outbox", recap.Metric.MESSAGES_LOST_CRASH_BEFORE_PUBLISH).high == 0
    assert set(recap.COMPARED_ROWS) <= set(cmp.metrics())
    again = recap.compare(days, "outbox", [True, False], n_jobs=1)
    assert again.sides["outbox"] is cmp.sides["outbox"]  # a design's days are run once


@pytest.mark.parametrize(("field", "values", "first"), [
    ("outbox", [True, False], "**dual write** has more messages lost than **outbox**"),
    ("coordination", ["choreography", "orchestration"],
     "**choreography** has more undelivered orders that nobody noticed"),
    ("notification", ["event", "command"],
     "**notification by command** has more missing notifications or points that the Order"),
    ("partitions", [1, 4], "**1 partition** has more hours of consumer lag"),
])
def test_the_verdicts_answer_the_questions_of_each_choice(field, values, first):
    base = recap.Config(orders=30, crash_rate=0.1)
    if field == "coordination":
        base = dataclasses.replace(base, payment="event", inventory="event", shipping="event")
    text = repr(recap.verdicts(recap.compare(base, field, values, n_jobs=1)))
    assert text.startswith(f"- {first}")
    assert "over the same 20 seeds" in text


@small
@given(st.integers(0, 10_000), st.sampled_from(recap.SCHEDULES))
def test_an_owner_with_timers_only_cancels_it_never_delivers_an_order_the_chain_loses(seed,
                                                                                    schedule):
    chain = recap.Config(orders=12, seed=seed, schedule=schedule, payment="event",
                         inventory="event", shipping="event", coordination="choreography")
    owned = dataclasses.replace(chain, coordination="orchestration")
    delivered = [set(r.facts.loc[r.facts["outcome"] == "delivered", "order"])
                 for r in (recap.run(chain), recap.run(owned))]
    assert delivered[1] <= delivered[0]


def test_the_day_and_the_story_are_read_from_the_config_and_the_run():
    config = recap.Config()
    schedule = recap.day(config)
    assert len(schedule) == len(recap.faults(config)) + \
        sum(len(v) for v in recap.side_drops(config).values()) + 1  # + the random crashes
    assert schedule.loc["order-0045", "what happens"] == "Shipping takes 40 h for it"
    result = recap.run(config)
    m = result.metrics
    story = repr(recap.story(result))
    assert f"**{m[recap.Metric.ORDERS_DELIVERED]}** of 100 orders delivered" in story
    assert f"waited up to **{m[recap.Metric.MAX_CONSUMER_LAG_H]} h**" in story
    # the slow shipment is the one order shipped whose money was refunded
    refunded = result.facts[result.facts["outcome"] == "shipped, money refunded"]
    assert refunded["order"].tolist() == ["order-0045"]


def test_a_slide_is_found_by_its_words():
    found = recap.where("Local Orchestration")
    assert found["section"].tolist() == ["8. Local orchestration"]
    assert recap.where("no such slide anywhere").empty


def test_the_panel_shows_the_wiring_and_the_scorecard():
    graph, card = recap.run(recap.Config(orders=10)).panel()
    assert "Order -> Payment: RetrievePaymentCommand ×10 [command]" in graph.text()
    assert card.loc[recap.Metric.ORDERS, "value"] == 10
    table = recap.choices(recap.Config())
    assert table.loc["payment", "who waits for it"] == "Order (timer 20 days)"
    assert table.loc["loyalty", "who waits for it"] == "nobody"


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="coordination must be one of"):
        recap.Config(coordination="mesh")
    with pytest.raises(ValueError, match="payment must be one of 'command', 'event'"):
        recap.Config(payment="rpc")
    with pytest.raises(ValueError, match="partitions must be >= 1"):
        recap.Config(partitions=0)
    with pytest.raises(TypeError, match=r"config must be recap\.choices\.Config"):
        recap.run({"orders": 3})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="field must be one of"):
        recap.compare(recap.Config(), "orders", [1, 2])
    with pytest.raises(TypeError, match="values must be a list of at least two"):
        recap.compare(recap.Config(), "outbox", [True])
    with pytest.raises(ValueError, match="values of partitions must be different"):
        recap.compare(recap.Config(), "partitions", [4, 4])
    with pytest.raises(TypeError, match="comparison must be a Comparison"):
        recap.verdicts(recap.run(recap.Config(orders=2)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="result must be a RecapResult"):
        recap.story(recap.Config())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="interaction must be one of"):
        recap.Config().kind_of("billing")
