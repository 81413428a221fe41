"""The key partitioner hashes like Kafka's Java client, so every key lands where Kafka puts it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlab import ConfigError
from eventlab.engines.kafka import murmur2, partition_for, to_positive

# Kafka's own vectors: apache/kafka clients/src/test/java/org/apache/kafka/common/utils/
# UtilsTest.java, testMurmur2().
KAFKA_UTILS_TEST_VECTORS = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
]

# librdkafka's unittest_murmur2 (confluentinc/librdkafka src/rdmurmur2.c), whose table is named
# java_murmur2_results. They cover what UtilsTest does not: the empty key and every tail length.
LIBRDKAFKA_JAVA_VECTORS = [
    (b"kafka", 0xD067CF64),
    (b"giberish123456789", 0x8F552B0C),
    (b"1234", 0x9FC97B14),
    (b"234", 0xE7C009CA),
    (b"34", 0x873930DA),
    (b"4", 0x5A4B5CA1),
    (b"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424F1C),
    (b"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4A62B377),
    (b"eAmbleWillBeRemoved,ThePrePartThatIs", 0xE0E4E09E),
    (b"AmbleWillBeRemoved,ThePrePartThatIs", 0x62B8B43F),
    (b"", 0x106E08D9),
]

# kafka-python test/test_partitioner.py, test_murmur2_java_compatibility: partitions out of 1000
# "compare[d] with output from Kafka's org.apache.kafka.clients.producer.Partitioner".
KAFKA_PYTHON_PARTITIONS_OF_1000 = [
    (b"", 681),
    (b"a", 524),
    (b"ab", 434),
    (b"abc", 107),
    (b"123456789", 566),
    (b"\x00 ", 742),
]


@pytest.mark.parametrize(("data", "expected"), KAFKA_UTILS_TEST_VECTORS)
def test_murmur2_matches_kafkas_own_test_vectors(data, expected):
    assert murmur2(data) == expected


@pytest.mark.parametrize(("data", "unsigned"), LIBRDKAFKA_JAVA_VECTORS)
def test_murmur2_matches_the_java_results_librdkafka_checks_against(data, unsigned):
    assert murmur2(data) & 0xFFFFFFFF == unsigned


@given(st.binary(max_size=64))
def test_murmur2_always_returns_a_signed_32_bit_int(data):
    assert -(2**31) <= murmur2(data) <= 2**31 - 1


def test_murmur2_accepts_a_bytearray_like_the_bytes_it_holds():
    assert murmur2(bytearray(b"foobar")) == murmur2(b"foobar")


def test_to_positive_clears_the_sign_bit_rather_than_taking_the_absolute_value():
    assert to_positive(-1) == 2**31 - 1
    assert to_positive(-5) == 2**31 - 5  # abs(-5) would be 5
    assert to_positive(-(2**31)) == 0  # Java's Math.abs would overflow here
    assert to_positive(42) == 42
    assert to_positive(0) == 0


def test_to_positive_of_kafka_hashes_matches_librdkafkas_older_table():
    # librdkafka's earlier unittest_murmurhashneutral2 stored the already-positive Java values.
    assert to_positive(murmur2(b"kafka")) == 1348980580
    assert to_positive(murmur2(b"amqp")) == 767747138
    assert to_positive(murmur2(b"giberish123456789")) == 257239820


@pytest.mark.parametrize(("key", "expected"), KAFKA_PYTHON_PARTITIONS_OF_1000)
def test_a_bytes_key_lands_where_kafka_would_put_it(key, expected):
    assert partition_for(key, 1000) == expected


def test_a_string_key_lands_where_kafka_would_put_it():
    # Kafka's StringSerializer sends UTF-8, so a str key and its UTF-8 bytes are the same key.
    assert partition_for("abc", 1000) == 107
    assert partition_for("123456789", 1000) == 566
    assert partition_for("kafka", 7) == 1348980580 % 7


def test_a_non_ascii_string_key_is_hashed_as_its_utf8_bytes():
    assert partition_for("Bücher-42", 12) == partition_for("Bücher-42".encode(), 12)


@given(st.text(max_size=30), st.integers(min_value=1, max_value=500))
def test_the_same_key_always_lands_on_the_same_partition_within_range(key, partitions):
    first = partition_for(key, partitions)
    assert first == partition_for(key, partitions)
    assert 0 <= first < partitions


def test_one_partition_takes_every_key():
    assert {partition_for(f"order-{i}", 1) for i in range(50)} == {0}


def test_adding_partitions_moves_some_keys_to_another_partition():
    keys = [f"customer-{i}" for i in range(100)]
    moved = [k for k in keys if partition_for(k, 3) != partition_for(k, 4)]
    assert 0 < len(moved) < len(keys)


def test_a_missing_key_is_rejected_with_the_sticky_partitioner_explained():
    with pytest.raises(ConfigError) as info:
        partition_for(None, 3)
    message = str(info.value)
    for word in ["key", "None", "sticky partitioner", "no fixed partition"]:
        assert word in message


@pytest.mark.parametrize(("partitions", "error", "words"), [
    (0, ValueError, ["partitions", ">= 1", "0"]),
    (-3, ValueError, ["partitions", ">= 1", "-3"]),
    (True, TypeError, ["partitions", "int", "bool"]),
    (3.0, TypeError, ["partitions", "int", "float"]),
    ("3", TypeError, ["partitions", "int", "'3'"]),
])
def test_a_bad_partition_count_is_rejected_naming_it(partitions, error, words):
    with pytest.raises(error) as info:
        partition_for("order-1", partitions)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("key", [42, 4.2, True, ["a"]])
def test_a_key_that_is_neither_text_nor_bytes_is_a_type_error(key):
    with pytest.raises(TypeError, match="key must be a str or bytes"):
        partition_for(key, 3)


def test_murmur2_of_text_asks_for_bytes_and_points_to_partition_for():
    with pytest.raises(TypeError, match="partition_for"):
        murmur2("foobar")


@pytest.mark.parametrize(("n", "error"), [
    (2**31, ValueError), (-(2**31) - 1, ValueError), (True, TypeError), (1.5, TypeError),
])
def test_to_positive_accepts_only_a_java_int(n, error):
    with pytest.raises(error, match="n must"):
        to_positive(n)
