"""The ``dataflow-async`` command line.

::

    dataflow-async jobs list [options]   list jobs as a table, JSON, JSON Lines or CSV
    dataflow-async emulator [options]    serve the local Data Flow emulator
    dataflow-async demo [options]        run the real client against a throwaway emulator

``main`` returns the exit code (the console script calls ``sys.exit(main())``).
Expected failures print ``error:`` (and ``hint:``) lines on stderr, never a traceback,
and never a secret. The package holds the parser (``_parser``, ``_options``), one module
per command group (``_jobs``, ``_emulator``, ``_demo``), the output formats
(``_output``, ``_table``, ``_terminal``, ``_sanitize``) and the exit codes and error
messages (``_errors``).
"""

from ._errors import ExitCode, describe_error
from ._main import main
from ._parser import build_parser

__all__ = ["ExitCode", "build_parser", "describe_error", "main"]
