"""Bearer tokens: verified JWTs become a ``Principal``; development tokens are minted here.

Production deployments verify RS256 tokens from their identity provider against a JWKS file or a
PEM public key. Development uses HS256 with a shared secret, which ``polegraph token`` signs with.
The algorithm is never taken on trust from the token: each configured key accepts exactly one
algorithm, so ``alg: none`` or an RS256 public key used as an HMAC secret finds no key.

A client sends the same token with every request, so a verified token's principal is kept (by
the token's exact text) until the token expires (``exp`` plus the leeway ``jwt.decode`` allows):
a cached token is refused at the same moment as one verified afresh. The cache is bounded; it
is emptied when full.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from polegraph.api.errors import Unauthenticated
from polegraph.config import Settings
from polegraph.errors import ConfigError, PolegraphError
from polegraph.security.policy import Principal

#: Claims every token must carry (iss and aud too, when the settings name them).
REQUIRED_CLAIMS = ("sub", "exp", "iat", "home_force", "readable_forces", "clearance", "roles")
_MIN_SECRET_BYTES = 32
_CACHED_TOKENS = 4096
_HS256_SETUP = (
    "set POLEGRAPH_JWT_SECRET (32 bytes or more, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`) for both the API and this command"
)


def _secret(settings: Settings) -> bytes | None:
    secret = settings.jwt_secret.get_secret_value().encode()
    if not secret:
        return None
    if len(secret) < _MIN_SECRET_BYTES:
        raise ConfigError(
            f"POLEGRAPH_JWT_SECRET is {len(secret)} bytes; HS256 needs at least {_MIN_SECRET_BYTES}",
            hint=_HS256_SETUP,
        )
    return secret


class TokenVerifier:
    """Turns an ``Authorization`` header into a principal, or refuses it (``Unauthenticated``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._secret = _secret(settings)
        self._jwks: jwt.PyJWKSet | None = None
        self._rsa: Any = None
        self._verified: dict[str, tuple[Principal, float]] = {}
        try:
            if settings.jwt_jwks_file is not None:
                self._jwks = jwt.PyJWKSet.from_json(settings.jwt_jwks_file.read_text(encoding="utf-8"))
            if settings.jwt_public_key_file is not None:
                pem = settings.jwt_public_key_file.read_text(encoding="utf-8")
                self._rsa = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(pem)
        except (OSError, jwt.PyJWTError, ValueError) as exc:
            raise ConfigError(
                f"cannot read the token verification key: {exc}",
                hint="POLEGRAPH_JWT_JWKS_FILE names a JWKS JSON file, "
                "POLEGRAPH_JWT_PUBLIC_KEY_FILE a PEM public key",
            ) from exc

    @property
    def configured(self) -> bool:
        return bool(self._secret or self._jwks or self._rsa is not None)

    def principal(self, authorization: str | None) -> Principal:
        """The principal of a ``Bearer`` header; ``Unauthenticated`` says why it is refused."""
        if not authorization:
            raise Unauthenticated(
                "a bearer token is required",
                hint="send 'Authorization: Bearer <token>'; in development `polegraph token` mints one",
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
        cached = self._verified.get(token)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        claims = self.claims(token)
        principal = principal_of(claims)
        if len(self._verified) >= _CACHED_TOKENS:
            self._verified.clear()
        self._verified[token] = (principal, float(claims["exp"]) + self._settings.jwt_leeway_s)
        return principal

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``."""
        if not self.configured:
            raise Unauthenticated(
                "this server has no token verification key configured",
                hint="set POLEGRAPH_JWT_JWKS_FILE or POLEGRAPH_JWT_PUBLIC_KEY_FILE (or POLEGRAPH_JWT_SECRET)",
            )
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the bearer token is not a JWT") from None
        alg = header.get("alg")
        key = self._key(alg, header.get("kid"))
        settings = self._settings
        required = list(REQUIRED_CLAIMS)
        required += ["iss"] if settings.jwt_issuer else []
        required += ["aud"] if settings.jwt_audience else []
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                audience=settings.jwt_audience or None,
                issuer=settings.jwt_issuer or None,
                leeway=settings.jwt_leeway_s,
                # With no audience configured, a token that names one is still refused:
                # RFC 7519 says a token for an audience we are not must be rejected.
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired", hint="get a new token") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the token is not valid yet (iat or nbf in the future)") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the token was issued for another audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the token was issued by an issuer this server does not trust") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token is invalid: {exc}") from None
        return claims

    def _key(self, alg: object, kid: object) -> Any:
        if alg == "HS256" and self._secret:
            return self._secret
        if alg == "RS256" and self._jwks is not None:
            if isinstance(kid, str):
                try:
                    return self._jwks[kid]
                except KeyError:
                    raise Unauthenticated(f"the token names an unknown key id {kid!r}") from None
            if len(self._jwks.keys) == 1:
                return self._jwks.keys[0]
            raise Unauthenticated("the token names no key id (kid) and the key set holds several keys")
        if alg == "RS256" and self._rsa is not None:
            return self._rsa
        raise Unauthenticated(f"tokens signed with {alg!r} are not accepted here")


def _strings(claims: dict[str, Any], name: str) -> list[str]:
    value = claims[name]
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthenticated(f"the token's {name!r} claim must be a list of strings")
    return value


def principal_of(claims: dict[str, Any]) -> Principal:
    """The principal verified claims describe."""
    for name in ("sub", "home_force", "clearance"):
        if not isinstance(claims.get(name), str):
            raise Unauthenticated(f"the token's {name!r} claim must be a string")
    restricted = claims.get("restricted_hits", True)
    try:
        return Principal(
            user=claims["sub"],
            home_force=claims["home_force"],
            readable_forces=frozenset(_strings(claims, "readable_forces")),
            clearance=claims["clearance"],
            roles=frozenset(_strings(claims, "roles")),
            restricted_hits=restricted if isinstance(restricted, bool) else True,
        )
    except PolegraphError as exc:
        raise Unauthenticated(f"the token's claims are not a valid principal: {exc.message}") from None


def mint_token(
    settings: Settings,
    *,
    user: str,
    home_force: str,
    clearance: str,
    roles: Iterable[str],
    readable_forces: Iterable[str] = (),
    ttl_s: int | None = None,
    now: float | None = None,
    unit: str | None = None,
) -> str:
    """A development token signed with the configured HS256 secret (``unit``: the user's unit,
    which saved queries shared with a unit are shared with)."""
    secret = _secret(settings)
    if secret is None:
        raise ConfigError("no HS256 secret is configured, so no token can be minted", hint=_HS256_SETUP)
    principal = Principal(
        user=user, home_force=home_force, readable_forces=frozenset(readable_forces),
        clearance=clearance, roles=frozenset(roles),
    )  # fmt: skip
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": principal.user,
        "iat": issued,
        "exp": issued + (settings.jwt_default_ttl_s if ttl_s is None else ttl_s),
        "home_force": principal.home_force,
        "readable_forces": sorted(principal.readable_forces),
        "clearance": principal.clearance,
        "roles": sorted(principal.roles),
    }
    if unit:
        claims["unit"] = unit
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, secret, algorithm="HS256")
