"""Signed access tokens (RFC 9068 ``at+jwt``): minting and verification.

Two kinds share the key set and are told apart by ``token_use``: ``app`` tokens name an
application and its behaviors; ``shopper`` tokens name a signed-in customer and a session.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import jwt

from .keys import KeySet
from .opaque import new_id

ALGORITHMS = ["ES256"]
"""The only algorithm accepted: pinned, so ``none`` and HS256-with-our-public-key fail."""

TOKEN_TYPE = "at+jwt"
KIBO_USER_CLAIMS = "https://www.kibocommerce.com/user_claims"
CLOCK_SKEW_SECONDS = 30

TokenUse = Literal["app", "shopper"]


class InvalidJwt(Exception):
    """The token is not one we issued, or not for this use, or not valid now."""


@dataclass(frozen=True, slots=True)
class JwtCodec:
    keys: KeySet
    issuer: str
    audience: str

    def mint(
        self,
        use: TokenUse,
        subject: str,
        issued_at: datetime,
        expires_at: datetime,
        claims: Mapping[str, Any],
    ) -> str:
        key = self.keys.signing_key
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "jti": new_id(),
            "iat": int(issued_at.timestamp()),
            "nbf": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "token_use": use,
        }
        return jwt.encode(
            payload, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": TOKEN_TYPE}
        )

    def verify(self, token: str, use: TokenUse, now: datetime) -> dict[str, Any]:
        """The claims of a valid token of kind ``use``; ``InvalidJwt`` for anything else."""
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            key = self.keys.by_kid.get(kid) if isinstance(kid, str) else None
            if key is None or header.get("typ") != TOKEN_TYPE or header.get("alg") not in ALGORITHMS:
                raise InvalidJwt("unknown key or token type")
            claims: dict[str, Any] = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                # Times are checked below against the service's clock, the one that minted them.
                options={
                    "require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise InvalidJwt(str(error)) from error
        if claims.get("token_use") != use:
            raise InvalidJwt("wrong token use")
        exp, nbf = claims["exp"], claims["nbf"]
        if not isinstance(exp, int) or not isinstance(nbf, int):
            raise InvalidJwt("exp and nbf must be integers")
        if not nbf - CLOCK_SKEW_SECONDS <= now.timestamp() < exp:
            raise InvalidJwt("token not valid now")
        return claims
