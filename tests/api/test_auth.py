"""Bearer tokens: what is accepted, everything that is refused, and the token command."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from elasticsearch import Elasticsearch
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr
from starlette.testclient import TestClient
from typer.testing import CliRunner

from polegraph.api.auth import TokenVerifier, mint_token
from polegraph.api.errors import Unauthenticated
from polegraph.cli import app as cli
from polegraph.config import Settings, get_settings
from polegraph.errors import ConfigError
from tests.api.shell_support import (
    PURPOSE,
    SECRET,
    audit_records,
    ensure_audit_index,
    shell_client,
    shell_settings,
    token,
)

ME = "{ me { user homeForce readableForces clearance roles } }"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "b.analyst",
        "iat": now,
        "exp": now + 600,
        "home_force": "WYP",
        "readable_forces": ["NYP"],
        "clearance": "SECRET",
        "roles": ["analyst"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def hs256(tmp_path: Path) -> Settings:
    return Settings(jwt_secret=SecretStr(SECRET), audit_file=tmp_path / "audit.jsonl")


def test_a_minted_token_verifies_to_its_principal(hs256: Settings) -> None:
    verifier = TokenVerifier(hs256)
    minted = token(hs256, user="c.sup", force="GMP", roles=("supervisor", "auditor"), readable_forces=["WYP"])
    principal = verifier.principal(f"Bearer {minted}")
    assert principal.user == "c.sup"
    assert principal.home_force == "GMP"
    assert principal.readable_forces == {"GMP", "WYP"}
    assert principal.roles == {"supervisor", "auditor"}
    assert principal.clearance == "OFFICIAL-SENSITIVE"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "a bearer token is required"),
        ("Basic YTpi", "must be 'Bearer <token>'"),
        ("Bearer ", "must be 'Bearer <token>'"),
        ("Bearer not.a.jwt", "not a JWT"),
    ],
)
def test_headers_without_a_token_are_refused(hs256: Settings, header: str | None, reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        TokenVerifier(hs256).principal(header)


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _unsigned(claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def test_hostile_tokens_are_refused(hs256: Settings, rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(hs256)
    refused = {
        "the token has expired": jwt.encode(
            _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), SECRET, algorithm="HS256"
        ),
        "signature does not verify": jwt.encode(_claims(), "another-secret-" + "y" * 40, algorithm="HS256"),
        "'none' are not accepted": _unsigned(_claims()),
        "'RS256' are not accepted": jwt.encode(_claims(), rsa_key, algorithm="RS256"),
        "'HS512' are not accepted": jwt.encode(_claims(), SECRET * 2, algorithm="HS512"),
        "lacks the 'clearance' claim": jwt.encode(_claims(clearance=None), SECRET, algorithm="HS256"),
        "lacks the 'exp' claim": jwt.encode(_claims(exp=None), SECRET, algorithm="HS256"),
        "unknown role": jwt.encode(_claims(roles=["root"]), SECRET, algorithm="HS256"),
        "unknown clearance": jwt.encode(_claims(clearance="COSMIC"), SECRET, algorithm="HS256"),
        "'readable_forces' claim must be a list": jwt.encode(
            _claims(readable_forces={"a": 1}), SECRET, algorithm="HS256"
        ),
        "not valid yet": jwt.encode(_claims(iat=int(time.time()) + 3600), SECRET, algorithm="HS256"),
    }
    for reason, bad in refused.items():
        with pytest.raises(Unauthenticated, match=reason):
            verifier.principal(f"Bearer {bad}")


def test_clock_skew_within_the_leeway_is_tolerated(hs256: Settings) -> None:
    now = int(time.time())
    late = jwt.encode(_claims(iat=now - 700, exp=now - 10), SECRET, algorithm="HS256")
    assert TokenVerifier(hs256).principal(f"Bearer {late}").user == "b.analyst"


def test_a_verified_token_is_kept_until_it_expires_and_no_longer(tmp_path: Path) -> None:
    settings = Settings(jwt_secret=SecretStr(SECRET), audit_file=tmp_path / "audit.jsonl", jwt_leeway_s=0)
    verifier = TokenVerifier(settings)
    expires = time.time() + 1.5
    short = jwt.encode(_claims(exp=int(expires)), SECRET, algorithm="HS256")
    first = verifier.principal(f"Bearer {short}")
    assert verifier.principal(f"Bearer {short}") is first  # the second time from the cache
    time.sleep(max(0.0, int(expires) - time.time()) + 0.1)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.principal(f"Bearer {short}")
    # Another token, even one for the same user, is verified on its own.
    forged = jwt.encode(_claims(), "another-secret-0123456789abcdef-0123456789", algorithm="HS256")
    with pytest.raises(Unauthenticated, match="signature"):
        verifier.principal(f"Bearer {forged}")


def test_issuer_and_audience_are_checked_when_configured(hs256: Settings) -> None:
    strict = hs256.model_copy(
        update={"jwt_issuer": "https://idp.police.example", "jwt_audience": "polegraph"}
    )
    verifier = TokenVerifier(strict)
    assert verifier.principal(f"Bearer {token(strict)}").user == "a.investigator"
    wrong_audience = _claims(iss="https://idp.police.example", aud="payroll")
    with pytest.raises(Unauthenticated, match="another audience"):
        verifier.claims(jwt.encode(wrong_audience, SECRET, algorithm="HS256"))
    wrong_issuer = _claims(iss="https://evil.example", aud="polegraph")
    with pytest.raises(Unauthenticated, match="issuer"):
        verifier.claims(jwt.encode(wrong_issuer, SECRET, algorithm="HS256"))
    with pytest.raises(Unauthenticated, match="lacks the 'aud' claim"):
        verifier.claims(jwt.encode(_claims(iss="https://idp.police.example"), SECRET, algorithm="HS256"))
    # Without a configured audience, a token that names one is still refused (it is for someone else).
    with pytest.raises(Unauthenticated, match="another audience"):
        TokenVerifier(hs256).claims(jwt.encode(_claims(aud="payroll"), SECRET, algorithm="HS256"))


def test_rs256_against_a_pem_key_refuses_the_key_as_an_hmac_secret(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = tmp_path / "idp.pem"
    pem.write_bytes(_pem(rsa_key))
    settings = Settings(jwt_public_key_file=pem)
    verifier = TokenVerifier(settings)
    assert (
        verifier.principal(f"Bearer {jwt.encode(_claims(), rsa_key, algorithm='RS256')}").user == "b.analyst"
    )
    # The classic confusion: the public key, which anyone may have, used as an HS256 secret.
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_claims())}"
    mac = hmac.new(_pem(rsa_key), signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    with pytest.raises(Unauthenticated, match="'HS256' are not accepted"):
        verifier.claims(confused)
    with pytest.raises(Unauthenticated, match="'none' are not accepted"):
        verifier.claims(_unsigned(_claims()))


def test_rs256_against_a_jwks_file_picks_the_key_by_kid(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = []
    for kid, key in (("k1", rsa_key), ("k2", other)):
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": keys}))
    verifier = TokenVerifier(Settings(jwt_jwks_file=jwks))
    signed = jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": "k2"})
    assert verifier.principal(f"Bearer {signed}").home_force == "WYP"
    misfiled = jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(Unauthenticated, match="signature does not verify"):
        verifier.claims(misfiled)
    with pytest.raises(Unauthenticated, match="unknown key id"):
        verifier.claims(jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": "k9"}))
    with pytest.raises(Unauthenticated, match="no key id"):
        verifier.claims(jwt.encode(_claims(), other, algorithm="RS256"))


def test_bad_key_configuration_stops_the_verifier(tmp_path: Path) -> None:
    garbage = tmp_path / "key.pem"
    garbage.write_text("not a key")
    with pytest.raises(ConfigError, match="token verification key"):
        TokenVerifier(Settings(jwt_public_key_file=garbage))
    with pytest.raises(ConfigError, match="at least 32"):
        TokenVerifier(Settings(jwt_secret=SecretStr("short")))
    with pytest.raises(Unauthenticated, match="no token verification key"):
        TokenVerifier(Settings()).principal("Bearer a.b.c")


@pytest.fixture
def api(stack: Settings, es_client: Elasticsearch, tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = shell_settings(stack, tmp_path)
    ensure_audit_index(es_client, settings)
    with shell_client(settings) as client:
        yield client, settings


def test_over_http_every_refused_token_is_401_and_audited(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    tokens = [
        jwt.encode(
            _claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), SECRET, algorithm="HS256"
        ),
        jwt.encode(_claims(), "forged-" + "z" * 40, algorithm="HS256"),
        _unsigned(_claims()),
    ]
    for bad in tokens:
        response = client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {bad}", **PURPOSE}
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "data" not in response.json()
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    no_token = client.post("/graphql", json={"query": ME})
    assert no_token.status_code == 401
    records = audit_records(settings)
    assert [r["outcome"] for r in records] == ["unauthenticated"] * 4
    # A refused token names nobody: its unverified subject is not recorded as the user.
    assert all("user" not in r for r in records)
    assert all(r["query"] == ME for r in records)


def test_the_token_command_mints_with_the_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.delenv("POLEGRAPH_JWT_SECRET", raising=False)
    get_settings.cache_clear()
    try:
        refused = runner.invoke(cli, ["token", "--user", "a.investigator", "--force", "GMP"])
        assert refused.exit_code == 1
        assert "POLEGRAPH_JWT_SECRET" in refused.output
        monkeypatch.setenv("POLEGRAPH_JWT_SECRET", SECRET)
        get_settings.cache_clear()
        args = ["token", "--user", "d.iu", "--force", "NYP", "--clearance", "SECRET",
                "--roles", "intelligence_unit,analyst", "--forces", "GMP, WYP", "--ttl", "120",
                "--unit", "NYP CSE"]  # fmt: skip
        minted = runner.invoke(cli, args)
        assert minted.exit_code == 0, minted.output
        claims = TokenVerifier(get_settings()).claims(minted.output.strip())
        assert claims["sub"] == "d.iu"
        assert claims["readable_forces"] == ["GMP", "NYP", "WYP"]
        assert claims["roles"] == ["analyst", "intelligence_unit"]
        assert claims["exp"] - claims["iat"] == 120
        assert claims["unit"] == "NYP CSE"
        bad_role = runner.invoke(cli, ["token", "--user", "x", "--force", "GMP", "--roles", "root"])
        assert bad_role.exit_code == 1
        assert "unknown role" in bad_role.output
    finally:
        get_settings.cache_clear()


def test_mint_refuses_without_a_secret() -> None:
    with pytest.raises(ConfigError, match="no HS256 secret"):
        mint_token(Settings(), user="a", home_force="GMP", clearance="OFFICIAL", roles=["investigator"])
