"""Minimal JWT helpers (HS256 sign/verify for simulator tokens, RS256 verify for client assertions)."""
import base64
import hashlib
import hmac
import json

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding


class JWTError(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s: str) -> bytes:
    s = s.encode("ascii") if isinstance(s, str) else s
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def encode_hs256(claims: dict, key: bytes, kid: str = "azsim") -> str:
    header = {"typ": "JWT", "alg": "HS256", "kid": kid}
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def split(token: str):
    """Return (header, claims, signing_input_bytes, signature_bytes) without verifying."""
    try:
        h, c, s = token.split(".")
        header = json.loads(b64url_decode(h))
        claims = json.loads(b64url_decode(c))
        return header, claims, (h + "." + c).encode("ascii"), b64url_decode(s)
    except Exception as exc:  # noqa: BLE001 - any parse problem is "malformed"
        raise JWTError("malformed token") from exc


def verify_hs256(token: str, key: bytes) -> dict:
    header, claims, signing_input, sig = split(token)
    if header.get("alg") != "HS256":
        raise JWTError("unexpected alg")
    expected = hmac.new(key, signing_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, sig):
        raise JWTError("bad signature")
    return claims


def verify_rs256(token: str, cert: x509.Certificate) -> dict:
    header, claims, signing_input, sig = split(token)
    if header.get("alg") not in ("RS256", "PS256"):
        raise JWTError("unexpected alg")
    pad = padding.PKCS1v15() if header["alg"] == "RS256" else padding.PSS(
        mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    try:
        cert.public_key().verify(sig, signing_input, pad, hashes.SHA256())
    except InvalidSignature as exc:
        raise JWTError("bad signature") from exc
    return claims


def cert_thumbprints(cert: x509.Certificate):
    """(x5t, x5t#S256) as they appear in a JWT header (base64url of SHA-1 / SHA-256 of DER)."""
    return b64url(cert.fingerprint(hashes.SHA1())), b64url(cert.fingerprint(hashes.SHA256()))
