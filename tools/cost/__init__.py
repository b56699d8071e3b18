"""``make cost``: what the service costs a month for a number of monthly active shoppers, priced
from the bench's per-request figures and AWS's list prices, with Cognito's price beside it.

``python -m tools.cost --mau 100000`` prints the estimate; ``--help`` lists the per-shopper counts.
docs/performance.md says what it counts and what it leaves out.
"""
