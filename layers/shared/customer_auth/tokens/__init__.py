"""Minting and verifying tokens: signed JWTs, opaque tokens and the signing key set."""
