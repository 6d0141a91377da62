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

    Attributes:
        items: The items of this page, in the server's order.
        count: The `count` the server sent.
        page: The page number, 0-based.
        limit: The page size asked for.
    """

    items: tuple[T, ...]
    count: int
    page: int
    limit: int

    def __len__(self) -> int:
        return len(self.items)
