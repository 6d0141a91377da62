"""How a model field maps to its JSON key: the conventions the converter reads.

A field's wire name is its name in camelCase (``created_date`` -> ``createdDate``) unless
its metadata says otherwise. These helpers build that metadata, so the models say what
is special about a field and nothing else.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["ALIASES", "FORMAT", "REST", "WIRE", "wire"]

WIRE = "wire"
"""Metadata key: the field's JSON key, when it is not the camelCase of its name."""
ALIASES = "aliases"
"""Metadata key: other JSON keys accepted for the field on input (older revisions)."""
REST = "rest"
"""Metadata key: the field collects every JSON key no other field reads (a mapping)."""
FORMAT = "format"
"""Metadata key: a special encoding of the value; ``"epoch_ms"`` for a date sent as
milliseconds since the Unix epoch."""


def wire(
    name: str | None = None,
    *,
    aliases: tuple[str, ...] = (),
    rest: bool = False,
    format: str | None = None,
    **kwargs: Any,
) -> Any:
    """An ``attrs.field`` whose metadata tells the converter how it is sent."""
    metadata: dict[str, Any] = {}
    if name is not None:
        metadata[WIRE] = name
    if aliases:
        metadata[ALIASES] = aliases
    if rest:
        metadata[REST] = True
    if format is not None:
        metadata[FORMAT] = format
    return attrs.field(metadata=metadata, **kwargs)
