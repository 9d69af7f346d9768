"""A `kubernetes.io/tls` Secret written to disk as JSON: rancher/dynamiclistener's file storage
(`storage/file`: `json.NewEncoder(...).Encode(secret)` of a core/v1 Secret), which k3s and RKE2
keep as `server/tls/dynamic-cert.json`, the supervisor listener's serving certificate.

Its `data` holds `tls.crt` (the leaf, then the server CA it was signed by: factory.MarshalChain)
and `tls.key`, each base64 as Go encodes a `[]byte`. The review reads them as one PEM bundle.
"""

from __future__ import annotations

import base64
import binascii
import json

DYNAMIC_CERT_FILE = "dynamic-cert.json"
# a Secret's data keys (k8s.io/api/core/v1: TLSCertKey, TLSPrivateKeyKey)
_CERT_KEY = "tls.crt"
_KEY_KEY = "tls.key"


def tls_secret_pem(data: bytes) -> bytes | None:
    """`tls.crt` then `tls.key` of a TLS Secret's JSON, decoded; None when `data` is not one.

    Never raises: junk, a JSON of another shape or undecodable base64 all give None (the scan
    then lists the file as other JSON)."""
    if b'"tls.crt"' not in data:  # the cheap test first: most JSON here is cfssl's
        return None
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    fields = document.get("data")
    if not isinstance(fields, dict) or not isinstance(fields.get(_CERT_KEY), str):
        return None
    parts = []
    for name in (_CERT_KEY, _KEY_KEY):
        value = fields.get(name)
        if not isinstance(value, str):
            continue
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        parts.append(decoded.rstrip(b"\n") + b"\n")
    return b"".join(parts)
