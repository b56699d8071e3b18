"""A cold start with the cyclic garbage collector paused: each function's ``app.py`` imports this
module before anything else, and ``lambda_entry`` calls ``init_done()`` once the function is built.

Importing a function builds a large heap (modules, classes, botocore's service models) and almost
no garbage, yet CPython's collector, triggered by allocation counts, walks that heap again and
again as it grows: about 50 ms of a 360 ms init's CPU time (``make bench``, docs/performance.md).
So the collector is paused while the function imports; then everything the import built is frozen
(``gc.freeze``: moved to a permanent generation that later collections skip, which makes a warm
request's collections cheaper too) and collection resumes. This is the pattern Python's ``gc``
documentation gives for a process that builds its heap before it serves.

Only the first function imported in a process pauses the collector (Lambda imports one function
per process); a process that imports many (the tests, ``make run``) resumes after the first.
"""

import gc

_paused = gc.isenabled()
if _paused:
    gc.disable()


def init_done() -> None:
    """Freeze what the init built and resume collection (once; later calls do nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
