"""``make bench``: round trips and request units, warm ratio, cold start, hashing, the slowest
accepted imports, sign-in over HTTP and the embedded backend.

``python -m tools.bench [--quick] [--json bench-results.json]`` prints one table and writes the
same figures as JSON. docs/performance.md says what each figure measures.
"""
