"""The garbage-collector tools: what they change inside a block, and that it all comes back."""

from __future__ import annotations

import gc
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.core.collector import YOUNG, collector_paused, fewer_collections
from eventlab.core.world import World


def test_a_pause_turns_the_collector_off_and_on_again_only_if_it_was_on() -> None:
    assert gc.isenabled()
    with collector_paused:
        assert not gc.isenabled()
        with collector_paused:  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # someone turned it off: a pause must leave it off
    try:
        with collector_paused:
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_simulation_runs_with_fewer_young_collections_and_gives_the_thresholds_back() -> None:
    before = gc.get_threshold()
    world = World(1)
    seen = []

    def look():
        seen.append(gc.get_threshold())
        yield world.env.timeout(1.0)
        seen.append(gc.get_threshold())

    world.env.process(look())
    world.env.run()
    assert [t[0] for t in seen] == [max(before[0], YOUNG)] * 2
    assert [t[1:] for t in seen] == [before[1:]] * 2
    assert gc.get_threshold() == before


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["pause", "fewer"]), max_size=6))
def test_any_nesting_of_both_tools_leaves_the_collector_as_it_found_it(blocks) -> None:
    before = (gc.isenabled(), gc.get_threshold())

    def enter(rest, paused=False, fewer=False):
        # Inside any pause the collector is off; inside any fewer_collections, young
        # collections wait for YOUNG objects; otherwise nothing changed.
        assert gc.isenabled() is (before[0] and not paused)
        assert gc.get_threshold()[0] == (max(before[1][0], YOUNG) if fewer else before[1][0])
        if rest:
            with collector_paused if rest[0] == "pause" else fewer_collections:
                enter(rest[1:], paused or rest[0] == "pause", fewer or rest[0] == "fewer")

    enter(blocks)
    assert (gc.isenabled(), gc.get_threshold()) == before


def test_overlapping_blocks_in_two_threads_give_everything_back_after_the_last() -> None:
    before = (gc.isenabled(), gc.get_threshold())
    inside, go_on = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused, fewer_collections:
            inside.set()
            go_on.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    with collector_paused, fewer_collections:
        pass  # this thread's blocks end first: the other's are still in progress
    assert not gc.isenabled()
    assert gc.get_threshold()[0] == max(before[1][0], YOUNG)
    go_on.set()
    thread.join(10)
    assert (gc.isenabled(), gc.get_threshold()) == before
