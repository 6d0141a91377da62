"""One page of any list operation."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

__all__ = ["Page"]

T = TypeVar("T")


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page of a list operation: ``{"list": [...], "count", "page", "limit"}``.

    ``count`` is what the server sent: the number of items in this page per the
    documentation, or the total number of matching items per some servers.
    """

    items: tuple[T, ...]
    count: int
    page: int
    limit: int

    def __len__(self) -> int:
        return len(self.items)
