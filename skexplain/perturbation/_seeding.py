"""``default_rng([seed, b, m])`` for many background rows at once, without its fixed cost.

KernelSHAP seeds the design of background row ``b`` and game size ``m`` with
``np.random.default_rng([seed, b, m])``.  Each such call hashes its key with
a :class:`numpy.random.SeedSequence` one Python int at a time, about 13 us:
with 20 background rows that was the largest part of a cheap explain call.
:func:`generators` computes the same hash (O'Neill's ``seed_seq`` as numpy
implements it, a fixed algorithm so that seeds reproduce across versions)
for all keys at once with numpy arithmetic, then builds each ``PCG64`` from
its hashed state: the streams are identical (``tests/perturbation/
test_kernel_seeding.py`` compares them with ``default_rng``), at 1.5 us each.
"""
import numpy as np
from numpy.random.bit_generator import ISeedSequence

__all__ = ["generators", "seed_states"]

# The constants of numpy's SeedSequence (numpy/random/bit_generator.pyx).
_INIT_A, _MULT_A = 0x43b0d7e5, 0x931e8875
_INIT_B, _MULT_B = 0x8b51f9dd, 0x58f38ded
_MIX_L, _MIX_R = np.uint32(0xca01f9dd), np.uint32(0x4973f715)
_POOL = 4  # words of entropy pool
_SHIFT = np.uint32(16)


def _constants(start, mult, n):
    """The successive hash constants ``start * mult^i`` (mod 2^32), as uint32."""
    out, h = [], start
    for _ in range(n + 1):
        out.append(np.uint32(h))
        h = (h * mult) & 0xFFFFFFFF
    return out


# hashmix i xors with constant i and multiplies by constant i + 1
_HASH_A = _constants(_INIT_A, _MULT_A, _POOL * _POOL)
_HASH_B = _constants(_INIT_B, _MULT_B, 8)


def _hashmix(value, i):
    """SeedSequence's i-th hashmix (its constant is updated once per call)."""
    value = value ^ _HASH_A[i]
    value *= _HASH_A[i + 1]
    value ^= value >> _SHIFT
    return value


def _mix(x, y):
    result = _MIX_L * x
    result -= _MIX_R * y
    result ^= result >> _SHIFT
    return result


def seed_states(keys):
    """``SeedSequence(key).generate_state(4, np.uint64)`` of each row of ``keys``.

    Parameters
    ----------
    keys : ndarray of uint32 of shape (n, n_words), n_words <= 4
        Each row is the entropy of one SeedSequence (each key value < 2^32).

    Returns
    -------
    ndarray of uint64 of shape (n, 4)
    """
    n, n_words = keys.shape
    calls = iter(range(_POOL * _POOL))
    with np.errstate(over="ignore"):  # arithmetic mod 2^32, as in the C code
        zero = np.zeros(n, dtype=np.uint32)
        pool = [_hashmix(keys[:, i] if i < n_words else zero, next(calls))
                for i in range(_POOL)]
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = _mix(pool[dst], _hashmix(pool[src], next(calls)))
        words = np.empty((8, n), dtype=np.uint32)
        for i in range(8):
            value = words[i]
            np.bitwise_xor(pool[i % _POOL], _HASH_B[i], out=value)
            value *= _HASH_B[i + 1]
            value ^= value >> _SHIFT
    # two little-endian words per uint64, as numpy does
    return np.ascontiguousarray(words.T).view("<u8")


class _HashedSeed(ISeedSequence):
    """A SeedSequence whose state is already computed (what PCG64 asks of it)."""

    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state

    def generate_state(self, n_words, dtype=np.uint32):
        return self.state


def generators(seed, rows, n_players):
    """``[np.random.default_rng([seed, b, n_players]) for b in rows]``, the same streams."""
    keys = np.empty((len(rows), 3), dtype=np.uint32)
    keys[:, 0], keys[:, 1], keys[:, 2] = seed, rows, n_players
    return [np.random.Generator(np.random.PCG64(_HashedSeed(s))) for s in seed_states(keys)]
