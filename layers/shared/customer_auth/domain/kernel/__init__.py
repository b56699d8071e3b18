"""What every capability may use: domain errors, the clock, optimistic-write retries, the calling
application (caller, behaviors), identifier rules and the outbox port. Imports nothing else of the
domain."""
