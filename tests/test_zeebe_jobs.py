"""Job workers (at-least-once) and the optimistic-locking baseline."""

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlab.core.world import World
from eventlab.engines.zeebe.locking import RowStore
from eventlab.engines.zeebe.workers import LEGAL, JobStore, SideEffects
from eventlab.scenarios.zeebe import jobs, single_writer

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

configs = st.builds(
    jobs.Config, workers=st.integers(1, 6), jobs=st.integers(1, 40),
    job_interval=st.sampled_from([0.0, 2.0, 10.0]), work_time=st.sampled_from([1.0, 20.0, 80.0]),
    lock_timeout=st.sampled_from([30.0, 100.0]), crash_probability=st.sampled_from([0.0, 0.3]),
    idempotent=st.booleans(), seed=st.integers(0, 10_000))


@SETTINGS
@given(configs)
def test_jobs_move_only_along_legal_transitions_and_every_job_completes_at_most_once(cfg):
    result = jobs.run(cfg)
    m = result.metrics
    if cfg.work_time * 2 <= cfg.lock_timeout:  # a worker usually beats its lock: all finish
        assert m["completed"] == cfg.jobs
    trace = result.trace
    moves = trace[(trace["kind"] == "state") & (trace["actor"] == "job store")]
    for _key, rows in moves.groupby("entity"):
        states = rows["value"].tolist()
        assert states[0] == "ACTIVATABLE"
        assert all((a, b) in LEGAL for a, b in itertools.pairwise(states))
        assert states.count("COMPLETED") <= 1
        assert "COMPLETED" not in states[:-1]
    if cfg.idempotent:
        assert m["duplicate side effects"] == 0
        assert m["side effects"] <= cfg.jobs
    elif m["completed"] == cfg.jobs:
        # every crash after a side effect leads to a second side effect for that job
        assert m["duplicate side effects"] >= m["worker crashes"]


def test_a_crash_after_the_side_effect_duplicates_it_unless_the_worker_is_idempotent():
    base = jobs.Config(crash_probability=0.3, seed=9)
    plain = jobs.run(base).metrics
    safe = jobs.run(replace(base, idempotent=True)).metrics
    assert plain["worker crashes"] > 0
    assert plain["duplicate side effects"] > 0
    assert safe["duplicate side effects"] == 0
    assert safe["duplicates ignored (idempotent)"] == safe["worker crashes"]


def test_a_worker_slower_than_the_lock_timeout_duplicates_without_any_crash():
    m = jobs.run(jobs.Config(crash_probability=0.0, work_time=150.0, lock_timeout=100.0,
                             seed=3)).metrics
    assert m["worker crashes"] == 0
    assert m["lock timeouts"] > 0
    assert m["rejected completions"] > 0
    assert m["duplicate side effects"] > 0


def test_complete_from_a_worker_whose_lock_expired_is_rejected():
    world = World(1)
    store = JobStore(world, lock_timeout=10.0)
    store.create("job-1")
    got = []

    def grab(name):
        got.append((name, *(yield from store.activate(name))))

    world.env.process(grab("w1"))
    world.env.run(until=15.0)  # w1's lock expires at 10
    world.env.process(grab("w2"))
    world.env.run(until=16.0)
    (_, job, first), (_, _, second) = got
    assert not store.complete("job-1", "w1", first)
    assert store.complete("job-1", "w2", second)
    assert job.state == "COMPLETED"


def test_a_failed_job_is_retried_then_raises_an_incident():
    world = World(1)
    store = JobStore(world, lock_timeout=1000.0, retries=2)
    store.create("job-1")
    outcomes = []

    def failing():
        for _ in range(2):
            job, activation = yield from store.activate("w")
            outcomes.append(store.fail(job.key, "w", activation))

    world.env.process(failing())
    world.env.run(until=1.0)
    assert outcomes == [True, True]
    assert store.jobs["job-1"].state == "INCIDENT"


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: JobStore(World(1), lock_timeout=0.0), ValueError, "lock_timeout"),
    (lambda: SideEffects(World(1), idempotent="yes"), TypeError, "idempotent"),
    (lambda: jobs.Config(workers=0), ValueError, "workers"),
    (lambda: jobs.Config(crash_probability=1.5), ValueError, "crash_probability"),
    (lambda: jobs.run(jobs.Config), TypeError, "jobs.Config"),
])
def test_bad_job_input_is_rejected(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_a_job_key_can_be_created_once():
    store = JobStore(World(1))
    store.create("job-1")
    with pytest.raises(ValueError, match="already exists"):
        store.create("job-1")


def test_optimistic_locking_rejects_a_write_on_a_changed_row():
    store = RowStore()
    version, _ = store.read("row")
    assert store.write("row", version, "a")
    assert not store.write("row", version, "b")  # someone else wrote version 1 meanwhile
    assert store.read("row") == (1, "a")
    assert store.conflicts == 1


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 24), st.floats(0.0, 1.0), st.integers(0, 10_000))
def test_the_single_writer_never_conflicts_and_locking_conflicts_only_with_concurrency(
        clients, hot_spot, seed):
    cfg = single_writer.Config(clients=clients, hot_spot=hot_spot, commands_per_client=5,
                               seed=seed)
    log = single_writer.run(cfg).metrics
    rows = single_writer.run(replace(cfg, mode="locking")).metrics
    assert log["conflicts"] == 0
    assert log["completed"] == clients * 5
    if clients == 1:
        assert rows["conflicts"] == 0
    assert rows["completed"] + rows["gave up"] == clients * 5


def test_conflicts_and_tail_latency_grow_with_the_hot_spot_under_locking():
    table = single_writer.compare(hot_spot=[0.0, 0.5, 1.0])
    locking = table[table["mode"] == "locking"].set_index("hot_spot")
    log = table[table["mode"] == "single_writer"].set_index("hot_spot")
    assert locking.loc[0.0, "conflicts"] < locking.loc[0.5, "conflicts"] \
        < locking.loc[1.0, "conflicts"]
    assert locking.loc[1.0, "p99 latency (ms)"] > 3 * log.loc[1.0, "p99 latency (ms)"]
    assert locking.loc[1.0, "throughput (commands/s)"] < log.loc[1.0, "throughput (commands/s)"]
    assert (log["conflicts"] == 0).all()
