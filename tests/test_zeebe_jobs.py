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
        assert m[jobs.Metric.COMPLETED] == cfg.jobs
    trace = result.trace
    moves = trace[(trace["kind"] == "state") & (trace["actor"] == "job store")]
    for _key, rows in moves.groupby("entity"):
        states = rows["value"].tolist()
        assert states[0] == "ACTIVATABLE"
        assert all((a, b) in LEGAL for a, b in itertools.pairwise(states))
        assert states.count("COMPLETED") <= 1
        assert "COMPLETED" not in states[:-1]
    if cfg.idempotent:
        assert m[jobs.Metric.DUPLICATE_SIDE_EFFECTS] == 0
        assert m[jobs.Metric.SIDE_EFFECTS] <= cfg.jobs
    elif m[jobs.Metric.COMPLETED] == cfg.jobs:
        # every crash after a side effect leads to a second side effect for that job
        assert m[jobs.Metric.DUPLICATE_SIDE_EFFECTS] >= m[jobs.Metric.WORKER_CRASHES]


def test_a_crash_after_the_side_effect_duplicates_it_unless_the_worker_is_idempotent():
    base = jobs.Config(crash_probability=0.3, seed=9)
    plain = jobs.run(base).metrics
    safe = jobs.run(replace(base, idempotent=True)).metrics
    assert plain[jobs.Metric.WORKER_CRASHES] > 0
    assert plain[jobs.Metric.DUPLICATE_SIDE_EFFECTS] > 0
    assert safe[jobs.Metric.DUPLICATE_SIDE_EFFECTS] == 0
    assert safe[jobs.Metric.DUPLICATES_IGNORED_IDEMPOTENT] == safe[jobs.Metric.WORKER_CRASHES]


def test_a_worker_slower_than_the_lock_timeout_duplicates_without_any_crash():
    m = jobs.run(jobs.Config(crash_probability=0.0, work_time=150.0, lock_timeout=100.0,
                             seed=3)).metrics
    assert m[jobs.Metric.WORKER_CRASHES] == 0
    assert m[jobs.Metric.LOCK_TIMEOUTS] > 0
    assert m[jobs.Metric.REJECTED_COMPLETIONS] > 0
    assert m[jobs.Metric.DUPLICATE_SIDE_EFFECTS] > 0


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
    assert log[single_writer.Metric.CONFLICTS] == 0
    assert log[single_writer.Metric.COMPLETED] == clients * 5
    if clients == 1:
        assert rows[single_writer.Metric.CONFLICTS] == 0
    assert rows[single_writer.Metric.COMPLETED] + rows[single_writer.Metric.GAVE_UP] == clients * 5


def test_conflicts_and_tail_latency_grow_with_the_hot_spot_under_locking():
    table = single_writer.compare(hot_spot=[0.0, 0.5, 1.0])
    locking = table[table["mode"] == "locking"].set_index("hot_spot")
    log = table[table["mode"] == "single_writer"].set_index("hot_spot")
    conflicts = locking[single_writer.Metric.CONFLICTS]
    assert conflicts[0.0] < conflicts[0.5] < conflicts[1.0]
    p99 = single_writer.Metric.P99_LATENCY_MS
    throughput = single_writer.Metric.THROUGHPUT_COMMANDS_S
    assert locking.loc[1.0, p99] > 3 * log.loc[1.0, p99]
    assert locking.loc[1.0, throughput] < log.loc[1.0, throughput]
    assert (log[single_writer.Metric.CONFLICTS] == 0).all()
