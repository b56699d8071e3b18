"""``python -m tools.load [--users 50] [--duration 30] [--json load-results.json]``: ``make load``.

locust monkey-patches the standard library with gevent when it is imported, so it is imported
first, and only in this process (never inside pytest's).
"""

import locust  # noqa: F401  (first: its gevent monkey-patching must precede every other import)

from .runner import main

raise SystemExit(main())
