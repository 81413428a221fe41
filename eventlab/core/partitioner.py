"""Kafka's default key partitioner, bit for bit: ``to_positive(murmur2(key)) % partitions``.

The Kafka notebook uses it to show why one key always lands on one partition (per-key order),
and why adding partitions moves keys to other partitions. It is a port of the Java client's
``Utils.murmur2``, ``Utils.toPositive`` and ``BuiltInPartitioner.partitionForKey``.
"""

from __future__ import annotations

from eventlab.core.errors import ConfigError, check_int, describe

# murmur2 constants from Kafka's Utils.murmur2. The seed is a Java int literal: as an unsigned
# 32-bit pattern it is the same bits, which is all that matters after masking.
SEED = 0x9747B28C
M = 0x5BD1E995
R = 24
MASK_32 = 0xFFFFFFFF  # Java int arithmetic wraps at 32 bits; Python ints never do, so mask.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def _to_signed_32(n: int) -> int:
    """Read a 32-bit pattern as a Java int (two's complement)."""
    return n - 2**32 if n > INT_MAX else n


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash of `data`: the signed 32-bit int ``Utils.murmur2`` returns."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(
            f"data must be bytes, got {describe(data)}; "
            "encode text first (key.encode('utf-8')) or use partition_for(key, partitions)"
        )
    length = len(data)
    h = (SEED ^ length) & MASK_32
    # Body: 4 bytes at a time, little-endian, exactly as Kafka assembles `k` from data[i4..i4+3].
    for start in range(0, length - length % 4, 4):
        k = int.from_bytes(data[start:start + 4], "little")
        k = (k * M) & MASK_32
        k ^= k >> R  # Java's `>>>`: on a masked (non-negative) value `>>` is the unsigned shift
        k = (k * M) & MASK_32
        h = (h * M) & MASK_32
        h ^= k
    # Tail: Kafka's switch falls through from case 3 to case 1, so each test below is cumulative.
    tail = length & ~3
    remaining = length % 4
    if remaining == 3:
        h ^= data[tail + 2] << 16
    if remaining >= 2:
        h ^= data[tail + 1] << 8
    if remaining >= 1:
        h ^= data[tail]
        h = (h * M) & MASK_32
    h ^= h >> 13
    h = (h * M) & MASK_32
    h ^= h >> 15
    return _to_signed_32(h)


def to_positive(n: int) -> int:
    """Kafka's ``Utils.toPositive``: clear the sign bit (``n & 0x7fffffff``); not ``abs``."""
    check_int("n", n)
    if not INT_MIN <= n <= INT_MAX:
        raise ConfigError(
            f"n must be a 32-bit signed int ({INT_MIN}..{INT_MAX}) like Kafka's Java int, got {n!r}"
        )
    # abs() would be wrong twice: abs(-2**31) overflows in Java, and -5 & 0x7fffffff != 5.
    return n & 0x7FFFFFFF


def partition_for(key: str | bytes, partitions: int) -> int:
    """The partition Kafka picks for a keyed record: ``to_positive(murmur2(key)) % partitions``."""
    if key is None:
        raise ConfigError(
            "key must not be None: Kafka spreads keyless records with its sticky partitioner "
            "(a batch to one partition, then the next), so a keyless record has no fixed "
            "partition; give the record a key to pin it to one"
        )
    check_int("partitions", partitions, low=1)
    if isinstance(key, str):
        # Kafka's StringSerializer encodes UTF-8 by default; the hash sees those bytes.
        key_bytes = key.encode("utf-8")
    elif isinstance(key, bytes | bytearray):
        key_bytes = bytes(key)
    else:
        raise TypeError(f"key must be a str or bytes, got {describe(key)}")
    # An empty key ("" or b"") is not None: Kafka hashes its zero bytes like any other key.
    return to_positive(murmur2(key_bytes)) % partitions
