"""The ``dataflow_async`` logger, and ``DATAFLOW_ASYNC_LOG`` for users without logging set up."""

from __future__ import annotations

import logging
import os

__all__ = ["LOG_ENV_VAR", "logger", "setup_logging_from_env"]

LOG_ENV_VAR = "DATAFLOW_ASYNC_LOG"
logger = logging.getLogger("dataflow_async")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def setup_logging_from_env(value: str | None = None) -> bool:
    """With ``DATAFLOW_ASYNC_LOG=info`` or ``debug``, log to stderr at that level.

    Returns whether a handler was installed. Does nothing when the variable is unset,
    and never installs a second handler.
    """
    level = _LEVELS.get((os.environ.get(LOG_ENV_VAR, "") if value is None else value).lower())
    if level is None:
        return False
    logger.setLevel(level)
    if not any(getattr(h, "_dataflow_async", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._dataflow_async = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return True
