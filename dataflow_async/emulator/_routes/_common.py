"""What every route handler receives, and the list paging all list operations share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from .._validate import check_object
from .._wire import Response, bad_parameter, int_param, ok

if TYPE_CHECKING:
    from .._store import Store

__all__ = ["NO_BODY", "Call", "Handler", "page_of"]

CountMode: TypeAlias = Literal["page", "total"]
DEFAULT_LIMIT = 1000


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


#: The request had no body at all (as opposed to a JSON ``null``).
NO_BODY: Any = _NoBody()


@attrs.frozen
class Call:
    """One routed request: path parameters, query, decoded JSON body, the state, the time."""

    method: str
    params: tuple[str, ...]
    query: dict[str, str]
    body: Any
    store: Store
    now: float
    g2: bool
    count_mode: CountMode
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def object_body(self, *, required: bool = True) -> dict[str, Any]:
        """The body as a JSON object; an absent body is ``{}`` unless ``required``."""
        if self.body is NO_BODY or self.body is None:
            if required:
                raise bad_parameter("the request body is required (a JSON object)")
            return {}
        return check_object(self.body, "the request body")


Handler: TypeAlias = Callable[[Call], Response]


def page_of(
    call: Call,
    items: Sequence[Any],
    render: Callable[[Any], Any] | None = None,
    *,
    min_limit: int = 0,
) -> Response:
    """Slice ``items`` by the ``page``/``limit`` query and answer ``{list, count, page, limit}``.

    ``count`` is the number of items in this page, or all matching items when the app's
    ``count_mode`` is ``"total"``. ``render`` turns a stored item into its wire object.
    """
    page = int_param(call.query, "page", 0, 0)
    limit = int_param(call.query, "limit", DEFAULT_LIMIT, min_limit)
    start = page * limit
    chosen = items[start : start + limit]
    listed = list(chosen) if render is None else [render(item) for item in chosen]
    count = len(items) if call.count_mode == "total" else len(listed)
    return ok({"list": listed, "count": count, "page": page, "limit": limit})
