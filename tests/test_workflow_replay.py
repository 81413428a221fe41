"""Where the tokens were: per-element counts read back from a run's trace."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.errors import ConfigError
from eventlab.domains.retail.processes import order_process, payment_process
from eventlab.engines.workflow.replay import instances, path, replay
from eventlab.scenarios.retail import orchestrated

FIELDS = ("active", "completed", "instances", "canceled", "incidents")


def run(seed: int, p_error: float, drop: float, orders: int = 25):
    config = orchestrated.Config(seed=seed, orders=orders, p_error=p_error,
                                 drop_payment=drop, drop_inventory=drop, drop_shipping=drop)
    result = orchestrated.run(config)
    processes = {"Order": order_process(config.variant, payment_hours=config.payment_timer,
                                        fetch_hours=config.fetch_timer,
                                        ship_hours=config.ship_timer),
                 "Payment": payment_process(card_update_hours=config.card_update_timer)}
    return result, processes


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), p_error=st.sampled_from([0.0, 0.3]),
       drop=st.sampled_from([0.0, 0.1]))
def test_every_entry_into_an_element_ends_active_completed_or_canceled_there(seed, p_error,
                                                                              drop):
    result, processes = run(seed, p_error, drop)
    for engine, process in processes.items():
        frames = replay(process, result.trace, engine=engine)
        for frame in frames:  # counts never go negative, instances never exceed passes
            for count in frame.counts.values():
                assert all(getattr(count, f) >= 0 for f in FIELDS)
                assert count.instances <= count.completed
        times = [f.time for f in frames]
        assert times == sorted(times)
        last = frames[-1].counts
        entered: dict[str, int] = {}
        for instance in instances(result.trace, engine=engine):
            for element in path(result.trace, instance):
                entered[element] = entered.get(element, 0) + 1
        for element, n in entered.items():
            c = last[element]
            assert c.active + c.completed + c.canceled == n, element


def test_the_card_is_needed_by_fewer_orders_than_it_is_charged_when_some_retry():
    result, processes = run(seed=1, p_error=0.0, drop=0.0, orders=100)
    charge = replay(processes["Payment"], result.trace, engine="Payment")[-1].counts["charge"]
    charged_per_instance = [path(result.trace, i).count("charge")
                            for i in instances(result.trace, engine="Payment")]
    assert charge.completed == sum(charged_per_instance)
    assert charge.instances == sum(1 for n in charged_per_instance if n)


def test_replay_names_an_engine_that_wrote_nothing_and_an_unknown_instance():
    result, processes = run(seed=3, p_error=0.0, drop=0.0, orders=5)
    with pytest.raises(ConfigError, match="engine 'Billing' wrote nothing"):
        replay(processes["Order"], result.trace, engine="Billing")
    with pytest.raises(ConfigError, match="not in the trace"):
        path(result.trace, "wf-order-9999")
    with pytest.raises(TypeError, match="DataFrame"):
        replay(processes["Order"], [], engine="Order")  # type: ignore[arg-type]


def test_replay_thins_long_runs_to_the_frames_asked_for_keeping_the_last():
    result, processes = run(seed=5, p_error=0.0, drop=0.0, orders=60)
    full = replay(processes["Order"], result.trace, engine="Order", max_frames=10_000)
    thin = replay(processes["Order"], result.trace, engine="Order", max_frames=20)
    assert len(thin) == 20
    assert thin[-1] == full[-1]
