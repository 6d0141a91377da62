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
from collections.abc import AsyncGenerator, Hashable, Sequence
from typing import Any, TypeVar

import attrs

from ._converter import item_hook, misfit_error
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

    __slots__ = ("_at", "_cls", "_error", "_hook", "_raw", "_where")

    def __init__(
        self,
        batches: AsyncGenerator[Sequence[Any], None],
        stats: WalkStats,
        item_cls: type[T],
        where: str,
    ) -> None:
        super().__init__(batches, stats)
        self._cls = item_cls
        self._hook = item_hook(item_cls)
        self._where = where
        self._raw: Sequence[Any] = ()
        self._at = 0
        self._error: UnexpectedResponseError | None = None

    async def __anext__(self) -> T:
        for item in self._items:
            return item
        while True:
            if self._error is not None:
                error, self._error = self._error, None
                await self.aclose()
                raise error
            raw, at = self._raw, self._at
            if at >= len(raw):
                raw = self._raw = await self._batches.__anext__()
                at = 0
            self._at = at + STRUCTURE_AHEAD
            group = raw[at : at + STRUCTURE_AHEAD]
            hook = self._hook
            try:
                made = [hook(item) for item in group]
            except Exception:
                made = self._until_misfit(group, at)
            self._items = iter(made)
            for item in self._items:
                return item

    def _until_misfit(self, group: Sequence[Any], at: int) -> list[T]:
        """The items of ``group`` before the first that does not fit; records the error
        for that one, raised once they have been handed out."""
        made: list[T] = []
        for offset, item in enumerate(group):
            try:
                made.append(self._hook(item))
            except Exception:
                positions = getattr(self._raw, "positions", None)
                index = at + offset if positions is None else positions[at + offset]
                self._error = misfit_error(self._cls, item, f"$.list[{index}]", self._where)
                # The walk counted the whole batch as yielded: only those before it are.
                self.stats.jobs -= len(self._raw) - (at + offset)
                break
        return made

    async def aclose(self) -> None:
        """Stop the walk; no request is left in flight."""
        self._raw = ()
        self._at = 0
        await super().aclose()
