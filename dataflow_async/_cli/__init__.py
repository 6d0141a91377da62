"""The ``dataflow-async`` command line.

::

    dataflow-async jobs list [options]   list jobs as a table, JSON, JSON Lines or CSV
    dataflow-async jobs get|create|delete, executions start|list|get|cancel,
    workflows list|get|execute|executions, triggers list|get|create|delete,
    stats result|interval|times          the other operations of the API
    dataflow-async emulator [options]    serve the local Data Flow emulator
    dataflow-async demo [options]        run the real client against a throwaway emulator

``main`` returns the exit code (the console script calls ``sys.exit(main())``).
Expected failures print ``error:`` (and ``hint:``) lines on stderr, never a traceback,
and never a secret. The package holds the parser (``_parser``, ``_options``), one module
per command group (``_jobs``, ``_executions``, ``_workflows``, ``_triggers``, ``_stats``,
``_emulator``, ``_demo``), the shared runners (``_common``, ``_waiting``), the output formats
(``_output``, ``_table``, ``_terminal``, ``_sanitize``) and the exit codes and error
messages (``_errors``).
"""

from ._errors import ExitCode, describe_error
from ._main import main
from ._parser import build_parser

__all__ = ["ExitCode", "build_parser", "describe_error", "main"]
