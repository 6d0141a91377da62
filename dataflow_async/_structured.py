"""Walks over items that are structured as they are consumed, a group at a time.

A walk over items fetches raw pages (decoded JSON, see `raw_page`), drops repeats by
the items' ids as sent (`raw_key`), and structures the rest `STRUCTURE_AHEAD` at a
time, when the consumer reaches them. A page's typed items then never live all at
once: the collector has little to scan (a page of 1,000 frozen jobs made in one go
cost 0.3 ms of collection a page, about 7 % of a walk's CPU), and a walk holds one
group of models, not a page of them.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import AsyncGenerator, Callable, Hashable, Sequence
from typing import Any, TypeVar

import attrs

from ._converter import item_hook, items_hook, misfit_error
from ._errors import UnexpectedResponseError
from ._pagination import AsyncPager, WalkStats
from ._wire import wire_name

__all__ = ["STRUCTURE_AHEAD", "RawKey", "StructuredPager", "raw_key"]

T = TypeVar("T")

STRUCTURE_AHEAD = 128
"""Items structured at a time. Measured over 100,000 jobs in pages of 1,000
(minimum CPU of 7 interleaved rounds): groups of 64 and of 256 took 4 % and 7 % less
than structuring whole pages (the same within noise); one item at a time (a call from
C, through ``map``, for each) saved nothing. Fewer than 350 (700 new objects,
the collector's first threshold) keep a group from triggering a collection itself."""

_unkeyed = itertools.count()


def raw_key(cls: type[Any], field: str) -> RawKey:
    """The id of a raw item of ``cls``: its ``field`` as sent (``jobId`` for a job's
    ``job_id``). An item without a string there gets a key of its own, never a repeat:
    it is kept, and fails to structure when the walk reaches it."""
    return RawKey(wire_name(attrs.fields_dict(cls)[field]))


class RawKey:
    """The id under ``name`` of a raw item, or a key of its own (see `raw_key`).

    ``many(items)`` reads a page's ids at once, 0.05 ms less a page of 1,000 than a call
    for each item; a page with an item that has no string id falls back to those calls.
    """

    __slots__ = ("_get", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._get = operator.itemgetter(name)

    def __call__(self, item: Any) -> Hashable:
        value = item.get(self.name) if type(item) is dict else None
        return value if type(value) is str else (_unkeyed, next(_unkeyed))

    def many(self, items: Sequence[Any]) -> list[Hashable]:
        """The keys of ``items``, in order."""
        try:
            keys: list[Hashable] = list(map(self._get, items))
        except (KeyError, TypeError):  # an item that is no object, or lacks the key
            return [self(item) for item in items]
        if set(map(type, keys)) <= _STRINGS:
            return keys
        return [self(item) for item in items]


_STRINGS = {str}


class StructuredPager(AsyncPager[T]):
    """An `AsyncPager` over raw items, each structured into ``item_cls`` when reached.

    An item that does not fit ends the walk with `UnexpectedResponseError` (naming its
    path in the page, ``$.list[3].createdDate``) once every item before it has been
    handed out; requests sent ahead are cancelled then.
    """

    __slots__ = ()

    def __init__(
        self,
        batches: AsyncGenerator[Sequence[Any], None],
        stats: WalkStats,
        item_cls: type[T],
        where: str,
    ) -> None:
        super().__init__(batches, stats, lambda raw: _structured(raw, item_cls, where, stats))


async def _structured(
    batches: AsyncGenerator[Sequence[Any], None], cls: type[T], where: str, stats: WalkStats
) -> AsyncGenerator[T, None]:
    """Each raw item of every batch as a ``cls``, structured ``STRUCTURE_AHEAD`` at a
    time; the batches are closed at the end."""
    hook, many = item_hook(cls), items_hook(cls)
    try:
        async for raw in batches:
            for at in range(0, len(raw), STRUCTURE_AHEAD):
                try:
                    made, error = many(raw[at : at + STRUCTURE_AHEAD]), None
                except Exception:
                    made, error = _until_misfit(hook, raw, at, cls, where)
                for item in made:
                    yield item
                if error is not None:
                    # The walk counted the whole batch as yielded: only those before are.
                    stats.jobs -= len(raw) - at - len(made)
                    raise error
    finally:
        await batches.aclose()


def _until_misfit(
    hook: Callable[[Any], T], raw: Sequence[Any], at: int, cls: type[T], where: str
) -> tuple[list[T], UnexpectedResponseError | None]:
    """The items of ``raw``'s group at ``at`` before the first that does not fit, and
    the error for that one (every item of the group, and ``None``, if each fits when
    structured alone)."""
    made: list[T] = []
    for offset, item in enumerate(raw[at : at + STRUCTURE_AHEAD]):
        try:
            made.append(hook(item))
        except Exception:
            positions = getattr(raw, "positions", None)
            index = at + offset if positions is None else positions[at + offset]
            return made, misfit_error(cls, item, f"$.list[{index}]", where)
    return made, None
