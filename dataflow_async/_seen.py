"""The keys a walk has seen: a set, then 64-bit hashes in compact open-addressing tables."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Hashable, Iterable

__all__ = ["SeenKeys"]

_SHARDS = 64
"""Tables, chosen by the low 6 bits of a hash. Each grows on its own, so growing
copies 1/64 of the whole (a single table would briefly hold old and new: 2.5x)."""
_SMALL_MAX = 1 << 17
"""Up to this many keys live in a plain set, as they are: about 0.1 us a key against 0.4
in the tables, at about 100 bytes a 12-character id and its slot (12.5 MiB at most).
Moving their hashes into the tables then takes about 50 ms, once. (A set of their
hashes took 40 % longer a page: each hash a new int.)"""
_FIRST_SIZE = 31
_MAX_LOAD = 0.75
"""Linear probing at up to 3/4 full, grown by half: measured at about 12 bytes per key
over a walk of 1,000,000 keys (benchmarks/bench_jobs.py), and 0.3 to 0.4 us per key."""


class SeenKeys:
    """Remembers every key added: the first 131,072 as they are, then the hash of each
    in 8 bytes a slot.

    Past the set, a key counts as seen when an earlier key had the same 64-bit hash:
    two different keys collide with a chance of about ``n**2 / 2**65`` over ``n`` keys
    (3e-8 for a million), and then the second one is taken for a repeat.
    """

    __slots__ = ("_limits", "_small", "_tables", "_used")

    def __init__(self) -> None:
        self._small: set[Hashable] | None = set()
        self._tables: list[array[int]] = []
        self._used = [0] * _SHARDS
        self._limits = [int(_FIRST_SIZE * _MAX_LOAD)] * _SHARDS

    def __len__(self) -> int:
        return sum(self._used) if self._small is None else len(self._small)

    @property
    def nbytes(self) -> int:
        """Bytes held: the tables, or the set and its keys while it is small."""
        if self._small is not None:
            return sys.getsizeof(self._small) + sum(map(sys.getsizeof, self._small))
        return sum(len(table) * 8 for table in self._tables)

    def add(self, keys: Iterable[Hashable]) -> list[int] | None:
        """Add ``keys``; return the positions of those already seen (earlier in
        ``keys`` too), or ``None`` when every one was new."""
        small = self._small
        if small is None:
            return self._add_to_tables(map(hash, keys))
        keys = keys if type(keys) is list else list(keys)
        repeats: list[int] | None = None
        if small.isdisjoint(keys):
            # Measured at 0.18 ms a page of 1,000 against 0.24 ms for building a set of
            # the page first: every key is new to the walk, so all are added at once and
            # only repeats within the page (if the size grew short) are looked for.
            before = len(small)
            small.update(keys)
            if len(small) - before < len(keys):
                repeats = _repeats_within(keys)
        else:
            repeats = []
            for position, key in enumerate(keys):
                if key in small:
                    repeats.append(position)
                else:
                    small.add(key)
        if len(small) > _SMALL_MAX:
            self._small = None
            self._tables = [array("q", bytes(8 * _FIRST_SIZE)) for _ in range(_SHARDS)]
            self._add_to_tables(map(hash, small))
        return repeats

    def _add_to_tables(self, hashes: Iterable[int]) -> list[int] | None:
        tables = self._tables
        used = self._used
        limits = self._limits
        repeats: list[int] | None = None
        for position, h in enumerate(hashes):
            h = h or 1  # 0 marks a free slot
            shard = h & 63
            table = tables[shard]
            size = len(table)
            i = (h >> 6) % size
            while True:
                slot = table[i]
                if not slot:
                    table[i] = h
                    used[shard] += 1
                    if used[shard] > limits[shard]:
                        self._grow(shard)
                    break
                if slot == h:
                    if repeats is None:
                        repeats = []
                    repeats.append(position)
                    break
                i += 1
                if i == size:
                    i = 0
        return repeats

    def _grow(self, shard: int) -> None:
        old = self._tables[shard]
        # Small tables double (half the copying; all 64 stay under 1 MiB), larger ones
        # grow by half: 8 bytes a slot, 1/2 to 3/4 full, so 11 to 16 bytes a key.
        size = (len(old) * 2 if len(old) < 1024 else len(old) * 3 // 2) | 1
        table = array("q", bytes(8 * size))
        for h in filter(None, old):
            i = (h >> 6) % size
            while table[i]:
                i = i + 1 if i + 1 < size else 0
            table[i] = h
        self._tables[shard] = table
        self._limits[shard] = int(size * _MAX_LOAD)


def _repeats_within(keys: list[Hashable]) -> list[int]:
    """The positions of keys that occur earlier in ``keys``."""
    earlier: set[Hashable] = set()
    repeats = []
    for position, key in enumerate(keys):
        if key in earlier:
            repeats.append(position)
        earlier.add(key)
    return repeats
