"""``python -m dataflow_async``: the same as the ``dataflow-async`` command."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
