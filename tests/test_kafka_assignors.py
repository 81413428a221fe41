"""Consumer groups split partitions exactly as Kafka's assignors do, and rebalance cooperatively."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab import ConfigError
from eventlab.engines.kafka import assign, cooperative_rebalance


def tp(topic, partition):
    return (topic, partition)


# Examples from apache/kafka clients/src/test/java/org/apache/kafka/clients/consumer/
# RangeAssignorTest.java (method names in the ids) and the RangeAssignor.java Javadoc.
RANGE_EXAMPLES = [
    pytest.param({"consumer1": []}, {}, {"consumer1": []}, id="testOneConsumerNoTopic"),
    pytest.param({"consumer1": ["topic1"]}, {}, {"consumer1": []},
                 id="testOneConsumerNonexistentTopic"),
    pytest.param({"consumer1": ["topic1"]}, {"topic1": 3},
                 {"consumer1": [tp("topic1", 0), tp("topic1", 1), tp("topic1", 2)]},
                 id="testOneConsumerOneTopic"),
    pytest.param({"consumer1": ["topic1"]}, {"topic1": 3, "other": 3},
                 {"consumer1": [tp("topic1", 0), tp("topic1", 1), tp("topic1", 2)]},
                 id="testOnlyAssignsPartitionsFromSubscribedTopics"),
    pytest.param({"consumer1": ["topic1", "topic2"]}, {"topic1": 1, "topic2": 2},
                 {"consumer1": [tp("topic1", 0), tp("topic2", 0), tp("topic2", 1)]},
                 id="testOneConsumerMultipleTopics"),
    pytest.param(["consumer1", "consumer2"], {"topic1": 1},
                 {"consumer1": [tp("topic1", 0)], "consumer2": []},
                 id="testTwoConsumersOneTopicOnePartition"),
    pytest.param(["consumer1", "consumer2"], {"topic1": 2},
                 {"consumer1": [tp("topic1", 0)], "consumer2": [tp("topic1", 1)]},
                 id="testTwoConsumersOneTopicTwoPartitions"),
    pytest.param({"consumer1": ["topic1"], "consumer2": ["topic1", "topic2"],
                  "consumer3": ["topic1"]}, {"topic1": 3, "topic2": 2},
                 {"consumer1": [tp("topic1", 0)],
                  "consumer2": [tp("topic1", 1), tp("topic2", 0), tp("topic2", 1)],
                  "consumer3": [tp("topic1", 2)]},
                 id="testMultipleConsumersMixedTopics"),
    pytest.param(["consumer1", "consumer2"], {"topic1": 3, "topic2": 3},
                 {"consumer1": [tp("topic1", 0), tp("topic1", 1), tp("topic2", 0), tp("topic2", 1)],
                  "consumer2": [tp("topic1", 2), tp("topic2", 2)]},
                 id="testTwoConsumersTwoTopicsSixPartitions"),
    # testStaticMemberRangeAssignmentPersistent, first step: three static members (instance1..3)
    # and dynamic consumer4 sort in the same order as the plain member ids here.
    pytest.param(["consumer1", "consumer2", "consumer3", "consumer4"], {"topic1": 5, "topic2": 4},
                 {"consumer1": [tp("topic1", 0), tp("topic1", 1), tp("topic2", 0)],
                  "consumer2": [tp("topic1", 2), tp("topic2", 1)],
                  "consumer3": [tp("topic1", 3), tp("topic2", 2)],
                  "consumer4": [tp("topic1", 4), tp("topic2", 3)]},
                 id="testStaticMemberRangeAssignmentPersistent"),
    pytest.param(["C0", "C1"], {"t0": 3, "t1": 3},
                 {"C0": [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)],
                  "C1": [tp("t0", 2), tp("t1", 2)]},
                 id="RangeAssignor-javadoc"),
]

# Examples from apache/kafka .../clients/consumer/RoundRobinAssignorTest.java and the
# RoundRobinAssignor.java Javadoc (including its unequal-subscriptions example).
ROUND_ROBIN_EXAMPLES = [
    pytest.param({"consumer": []}, {}, {"consumer": []}, id="testOneConsumerNoTopic"),
    pytest.param({"consumer": ["topic"]}, {}, {"consumer": []},
                 id="testOneConsumerNonexistentTopic"),
    pytest.param(["consumer"], {"topic": 3},
                 {"consumer": [tp("topic", 0), tp("topic", 1), tp("topic", 2)]},
                 id="testOneConsumerOneTopic"),
    pytest.param({"consumer": ["topic"]}, {"topic": 3, "other": 3},
                 {"consumer": [tp("topic", 0), tp("topic", 1), tp("topic", 2)]},
                 id="testOnlyAssignsPartitionsFromSubscribedTopics"),
    pytest.param(["consumer"], {"topic1": 1, "topic2": 2},
                 {"consumer": [tp("topic1", 0), tp("topic2", 0), tp("topic2", 1)]},
                 id="testOneConsumerMultipleTopics"),
    pytest.param(["consumer1", "consumer2"], {"topic": 1},
                 {"consumer1": [tp("topic", 0)], "consumer2": []},
                 id="testTwoConsumersOneTopicOnePartition"),
    pytest.param(["consumer1", "consumer2"], {"topic": 2},
                 {"consumer1": [tp("topic", 0)], "consumer2": [tp("topic", 1)]},
                 id="testTwoConsumersOneTopicTwoPartitions"),
    pytest.param({"consumer1": ["topic1"], "consumer2": ["topic1", "topic2"],
                  "consumer3": ["topic1"]}, {"topic1": 3, "topic2": 2},
                 {"consumer1": [tp("topic1", 0)],
                  "consumer2": [tp("topic1", 1), tp("topic2", 0), tp("topic2", 1)],
                  "consumer3": [tp("topic1", 2)]},
                 id="testMultipleConsumersMixedTopics"),
    pytest.param(["consumer1", "consumer2"], {"topic1": 3, "topic2": 3},
                 {"consumer1": [tp("topic1", 0), tp("topic1", 2), tp("topic2", 1)],
                  "consumer2": [tp("topic1", 1), tp("topic2", 0), tp("topic2", 2)]},
                 id="testTwoConsumersTwoTopicsSixPartitions"),
    pytest.param({"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]},
                 {"t0": 1, "t1": 2, "t2": 3},
                 {"C0": [tp("t0", 0)], "C1": [tp("t1", 0)],
                  "C2": [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)]},
                 id="RoundRobinAssignor-javadoc-unequal-subscriptions"),
]


@pytest.mark.parametrize(("members", "topics", "expected"), RANGE_EXAMPLES)
def test_range_splits_each_topic_like_kafkas_range_assignor(members, topics, expected):
    assert assign("range", members, topics) == expected


@pytest.mark.parametrize(("members", "topics", "expected"), ROUND_ROBIN_EXAMPLES)
def test_roundrobin_deals_partitions_like_kafkas_round_robin_assignor(members, topics, expected):
    assert assign("roundrobin", members, topics) == expected


def test_members_are_sorted_as_kafka_sorts_them_not_in_the_order_given():
    topics = {"orders": 3}
    assert assign("range", ["b", "a"], topics) == {
        "a": [tp("orders", 0), tp("orders", 1)], "b": [tp("orders", 2)],
    }


def test_member_ids_sort_by_utf16_units_as_java_strings_do():
    # U+FFFD is one UTF-16 unit (0xFFFD); U+1F600 is a surrogate pair starting 0xD83D, so Java
    # puts the emoji first, while Python's code-point order would put it last.
    assert list(assign("range", ["\ufffd", "\U0001f600"], {"t": 2})) == ["\U0001f600", "\ufffd"]


def test_a_consumer_beyond_the_partition_count_sits_idle():
    result = assign("roundrobin", ["c1", "c2", "c3", "c4"], {"orders": 3})
    assert result["c4"] == []


# ---------------------------------------------------------------- properties of assign

MEMBER_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
members_st = st.lists(st.sampled_from(MEMBER_NAMES), min_size=1, max_size=7, unique=True)
topics_st = st.dictionaries(
    st.sampled_from(["orders", "payments", "shipments", "Zeta", "a"]),
    st.integers(min_value=1, max_value=9), min_size=1, max_size=4,
)
strategy_st = st.sampled_from(["range", "roundrobin"])


def all_partitions(topics):
    return sorted((t, p) for t, count in topics.items() for p in range(count))


def owners(assignment):
    return Counter(part for parts in assignment.values() for part in parts)


@given(strategy_st, members_st, topics_st)
def test_every_partition_is_assigned_to_exactly_one_member(strategy, members, topics):
    result = assign(strategy, members, topics)
    assert sorted(result) == sorted(members)
    assert sorted(owners(result).elements()) == all_partitions(topics)


@given(strategy_st, members_st, topics_st, st.data())
def test_with_mixed_subscriptions_each_partition_has_one_subscribed_owner(
    strategy, members, topics, data,
):
    subscriptions = {
        m: data.draw(st.lists(st.sampled_from(sorted(topics)), unique=True)) for m in members
    }
    result = assign(strategy, subscriptions, topics)
    subscribed = {t for ts in subscriptions.values() for t in ts}
    expected = [(t, p) for t, p in all_partitions(topics) if t in subscribed]
    assert sorted(owners(result).elements()) == expected
    for member, parts in result.items():
        assert all(t in subscriptions[member] for t, _ in parts)


@given(members_st, topics_st)
def test_roundrobin_is_balanced_when_everyone_subscribes_alike(members, topics):
    counts = [len(parts) for parts in assign("roundrobin", members, topics).values()]
    assert max(counts) - min(counts) <= 1


@given(members_st, topics_st)
def test_range_is_balanced_per_topic_but_favours_the_first_members_overall(members, topics):
    result = assign("range", members, topics)
    for topic in topics:
        per_topic = [sum(t == topic for t, _ in parts) for parts in result.values()]
        assert max(per_topic) - min(per_topic) <= 1
    # The same members get the extra partition of every topic, so totals never increase.
    totals = [len(parts) for parts in result.values()]
    assert totals == sorted(totals, reverse=True)


@given(strategy_st, members_st, topics_st, st.randoms(use_true_random=False))
def test_the_order_members_are_listed_in_does_not_change_the_assignment(
    strategy, members, topics, rnd,
):
    shuffled = list(members)
    rnd.shuffle(shuffled)
    assert assign(strategy, shuffled, topics) == assign(strategy, members, topics)
    as_mapping = {m: sorted(topics) for m in shuffled}
    assert assign(strategy, as_mapping, topics) == assign(strategy, members, topics)


# ---------------------------------------------------------------- cooperative rebalance

def test_a_joining_member_gets_one_partition_handed_over_in_round_two():
    # AbstractStickyAssignorTest.testAddRemoveConsumerOneTopic, which CooperativeStickyAssignorTest
    # runs with its extra check that no partition is revoked and reassigned in one round.
    topics = {"topic": 3}
    first = cooperative_rebalance({}, ["consumer1"], topics)
    assert first.target == {"consumer1": [tp("topic", 0), tp("topic", 1), tp("topic", 2)]}
    joined = cooperative_rebalance(first.target, ["consumer1", "consumer2"], topics)
    assert joined.revoked == {"consumer1": [tp("topic", 2)], "consumer2": []}
    assert joined.first_round == {"consumer1": [tp("topic", 0), tp("topic", 1)], "consumer2": []}
    assert joined.handed_over == {"consumer1": [], "consumer2": [tp("topic", 2)]}
    assert joined.target == {"consumer1": [tp("topic", 0), tp("topic", 1)],
                             "consumer2": [tp("topic", 2)]}
    left = cooperative_rebalance(joined.target, ["consumer2"], topics)
    # consumer1 left: its partitions are free, so nothing waits for a second round.
    assert left.revoked == {"consumer2": []}
    assert left.first_round == left.target == {"consumer2": all_partitions(topics)}


def test_two_joining_members_take_over_exactly_kafkas_transferring_partitions():
    # AbstractStickyAssignorTest.testAddRemoveTwoConsumersTwoTopics
    topics = {"topic1": 3, "topic2": 4}
    start = cooperative_rebalance({}, ["consumer1", "consumer2"], topics).target
    assert start == {
        "consumer1": [tp("topic1", 0), tp("topic1", 2), tp("topic2", 1), tp("topic2", 3)],
        "consumer2": [tp("topic1", 1), tp("topic2", 0), tp("topic2", 2)],
    }
    four = ["consumer1", "consumer2", "consumer3", "consumer4"]
    grown = cooperative_rebalance(start, four, topics)
    # Kafka's expected partitionsTransferringOwnership: t1-2, t2-3 -> consumer3; t2-2 -> consumer4.
    assert grown.handed_over == {"consumer1": [], "consumer2": [],
                                 "consumer3": [tp("topic1", 2), tp("topic2", 3)],
                                 "consumer4": [tp("topic2", 2)]}
    assert grown.target == {"consumer1": [tp("topic1", 0), tp("topic2", 1)],
                            "consumer2": [tp("topic1", 1), tp("topic2", 0)],
                            "consumer3": [tp("topic1", 2), tp("topic2", 3)],
                            "consumer4": [tp("topic2", 2)]}
    shrunk = cooperative_rebalance(grown.target, ["consumer3", "consumer4"], topics)
    assert shrunk.target == {
        "consumer3": [tp("topic1", 0), tp("topic1", 2), tp("topic2", 1), tp("topic2", 3)],
        "consumer4": [tp("topic1", 1), tp("topic2", 0), tp("topic2", 2)],
    }
    assert shrunk.handed_over == {"consumer3": [], "consumer4": []}


def test_members_under_quota_keep_theirs_and_a_newcomer_fills_up():
    # AbstractStickyAssignorTest.testAllConsumersAreUnderMinQuota
    current = {"consumer1": [tp("topic1", 0)], "consumer2": [tp("topic1", 1)]}
    result = cooperative_rebalance(current, ["consumer1", "consumer2", "consumer3"],
                                   {"topic1": 2, "topic2": 3})
    assert result.target == {"consumer1": [tp("topic1", 0), tp("topic2", 1)],
                             "consumer2": [tp("topic1", 1), tp("topic2", 2)],
                             "consumer3": [tp("topic2", 0)]}
    assert not any(result.revoked.values())


def test_a_member_at_min_quota_takes_the_one_extra_partition():
    # AbstractStickyAssignorTest.testConsumerOwningMinQuotaExpectedMaxQuota
    current = {"consumer1": [tp("topic1", 0), tp("topic2", 1)],
               "consumer2": [tp("topic1", 1), tp("topic2", 2)]}
    result = cooperative_rebalance(current, ["consumer1", "consumer2"], {"topic1": 2, "topic2": 3})
    assert result.target == {"consumer1": [tp("topic1", 0), tp("topic2", 0), tp("topic2", 1)],
                             "consumer2": [tp("topic1", 1), tp("topic2", 2)]}


def test_when_two_members_could_keep_the_extra_partition_the_first_by_id_keeps_it():
    # AbstractStickyAssignorTest.testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers has
    # consumer2 keep two partitions only because Java's HashMap happens to visit consumer3,
    # consumer2, consumer1 in that order. We visit sorted ids, so consumer1 keeps two instead;
    # the move count (one partition) and the balance are the same.
    current = {"consumer1": [tp("topic1", 0), tp("topic2", 0)],
               "consumer2": [tp("topic1", 1), tp("topic2", 1)]}
    result = cooperative_rebalance(current, ["consumer1", "consumer2", "consumer3"],
                                   {"topic1": 2, "topic2": 2})
    assert result.revoked == {"consumer1": [], "consumer2": [tp("topic2", 1)], "consumer3": []}
    assert result.target == {"consumer1": [tp("topic1", 0), tp("topic2", 0)],
                             "consumer2": [tp("topic1", 1)],
                             "consumer3": [tp("topic2", 1)]}


def test_partitions_of_a_topic_that_is_gone_are_revoked_and_not_reassigned():
    # AbstractStickyAssignorTest.testOnlyAssignsPartitionsFromSubscribedTopics
    current = {"consumer": [tp("topic", 0), tp("topic", 1), tp("other", 0), tp("other", 1)]}
    result = cooperative_rebalance(current, ["consumer"], {"topic": 2})
    assert result.target == {"consumer": [tp("topic", 0), tp("topic", 1)]}
    assert result.revoked == {"consumer": [tp("other", 0), tp("other", 1)]}
    assert result.handed_over == {"consumer": []}


@st.composite
def groups(draw):
    """A group after some change: survivors, departed members, and who owned what before."""
    names = draw(st.permutations(MEMBER_NAMES))
    survivors = names[:draw(st.integers(min_value=1, max_value=6))]
    departed = names[len(survivors):len(survivors) + draw(st.integers(min_value=0, max_value=2))]
    topics = draw(topics_st)
    current = {}
    for part in all_partitions(topics):
        owner = draw(st.sampled_from([None, *survivors, *departed]))
        if owner is not None:
            current.setdefault(owner, []).append(part)
    return current, list(survivors), topics


def fewest_possible_moves(current, members, topics):
    """Revocations no balanced assignment can avoid: what survivors own beyond their quota."""
    total = sum(topics.values())
    min_quota, extra = divmod(total, len(members))
    owned = [len(current.get(m, [])) for m in members]
    excess = sum(max(0, n - min_quota) for n in owned)
    # Each of the `extra` larger quotas spares one move for a member that owns more than min.
    return excess - min(extra, sum(n > min_quota for n in owned))


@settings(max_examples=300)
@given(groups())
def test_cooperative_rebalance_revokes_only_what_must_move_and_ends_balanced(group):
    current, members, topics = group
    result = cooperative_rebalance(current, members, topics)
    assert sorted(owners(result.target).elements()) == all_partitions(topics)
    counts = [len(parts) for parts in result.target.values()]
    assert max(counts) - min(counts) <= 1
    for member in members:
        before, after = set(current.get(member, [])), set(result.target[member])
        assert set(result.revoked[member]) == before - after
    assert sum(len(parts) for parts in result.revoked.values()) == fewest_possible_moves(
        current, members, topics)


@settings(max_examples=300)
@given(groups())
def test_no_partition_is_revoked_and_reassigned_in_the_same_round(group):
    # The check CooperativeStickyAssignorTest.verifyCooperativeValidity makes on every round.
    current, members, topics = group
    result = cooperative_rebalance(current, members, topics)
    revoked = {part for parts in result.revoked.values() for part in parts}
    in_first_round = owners(result.first_round)
    assert not revoked & set(in_first_round)
    assert max(in_first_round.values(), default=1) == 1
    # Round two only adds: the union of both rounds is the target, and what it adds is exactly
    # the revoked partitions (every topic still exists here).
    handed_over = []
    for member in members:
        assert set(result.first_round[member]) <= set(result.target[member])
        handed_over += result.handed_over[member]
    assert sorted(handed_over) == sorted(revoked)


@settings(max_examples=200)
@given(groups())
def test_rebalancing_a_settled_group_again_changes_nothing(group):
    current, members, topics = group
    settled = cooperative_rebalance(current, members, topics).target
    again = cooperative_rebalance(settled, members, topics)
    assert again.target == settled
    assert not any(again.revoked.values())


@given(members_st, topics_st, st.randoms(use_true_random=False))
def test_a_new_group_gets_the_round_robin_layout_whatever_the_member_order(members, topics, rnd):
    shuffled = list(members)
    rnd.shuffle(shuffled)
    result = cooperative_rebalance({}, shuffled, topics)
    assert result.target == assign("roundrobin", members, topics)
    assert result.first_round == result.target


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"strategy": "sticky"}, ValueError, ["strategy", "'range', 'roundrobin'", "'sticky'"]),
    ({"members": []}, ValueError, ["members", "at least one"]),
    ({"members": {}}, ValueError, ["members", "at least one"]),
    ({"members": "alice"}, TypeError, ["members", "list", "str 'alice'"]),
    ({"members": ["alice", "alice"]}, ValueError, ["'alice'", "twice"]),
    ({"members": ["alice", ""]}, ValueError, ["members[1]", "non-empty"]),
    ({"members": [7]}, TypeError, ["members[0]", "string", "int 7"]),
    ({"members": {"alice": "orders"}}, TypeError, ["members['alice']", "list of topics"]),
    ({"members": {"alice": [3]}}, TypeError, ["topic subscribed by 'alice'", "int 3"]),
    ({"topics": {"orders": 0}}, ValueError, ["topics['orders']", ">= 1", "0"]),
    ({"topics": {"orders": True}}, TypeError, ["topics['orders']", "int", "bool"]),
    ({"topics": {"orders": 10_001}}, ValueError, ["topics['orders']", "<= 10000"]),
    ({"topics": {"": 3}}, ValueError, ["topic name", "non-empty"]),
    ({"topics": ["orders"]}, TypeError, ["topics", "mapping", "list"]),
])
def test_bad_assign_input_is_rejected_naming_the_parameter(kwargs, error, words):
    arguments = {"strategy": "range", "members": ["alice", "bob"], "topics": {"orders": 3}}
    arguments.update(kwargs)
    with pytest.raises(error) as info:
        assign(**arguments)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(("current", "error", "words"), [
    ({"alice": [tp("orders", 0)], "bob": [tp("orders", 0)]}, ValueError,
     ["current_assignment['bob']", "('orders', 0)", "'alice'", "at most one owner"]),
    ({"alice": [tp("orders", 5)]}, ValueError, ["('orders', 5)", "3 partitions", "never removes"]),
    ({"alice": [tp("orders", -1)]}, ValueError, ["partition of 'orders'", ">= 0"]),
    ({"alice": ["orders-0"]}, TypeError, ["(topic, partition)", "str 'orders-0'"]),
    ({"alice": tp("orders", 0)}, TypeError, ["(topic, partition)", "str 'orders'"]),
    ({"alice": "orders"}, TypeError, ["current_assignment['alice']", "list"]),
    ([tp("orders", 0)], TypeError, ["current_assignment", "mapping"]),
])
def test_an_impossible_current_assignment_is_rejected_with_the_reason(current, error, words):
    with pytest.raises(error) as info:
        cooperative_rebalance(current, ["alice", "bob"], {"orders": 3})
    for word in words:
        assert word in str(info.value)


def test_a_bad_member_list_for_a_rebalance_is_rejected_like_for_assign():
    with pytest.raises(ConfigError, match="at least one"):
        cooperative_rebalance({}, [], {"orders": 3})
    with pytest.raises(TypeError, match="members must be a list"):
        cooperative_rebalance({}, {"alice": ["orders"]}, {"orders": 3})
