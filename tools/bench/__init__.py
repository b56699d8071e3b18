"""``make bench``: round trips, warm overhead, cold start, hashing and the embedded backend.

``python -m tools.bench [--quick] [--json bench-results.json]`` prints one table and writes the
same figures as JSON. docs/performance.md says what each figure measures.
"""
