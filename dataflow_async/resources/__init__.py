"""The API's operations, one class per resource, reached through a client's properties
(``client.jobs``, ``client.executions``, ``client.workflows``, ``client.triggers``,
``client.stats``)."""

from ._executions import Executions
from ._jobs import Jobs
from ._stats import Stats
from ._triggers import Triggers
from ._workflows import Workflows

__all__ = ["Executions", "Jobs", "Stats", "Triggers", "Workflows"]
