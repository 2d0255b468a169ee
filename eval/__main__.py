"""``python -m eval``: see :mod:`eval.run`."""

from .run import main

raise SystemExit(main())
