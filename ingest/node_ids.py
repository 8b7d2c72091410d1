"""The database id inside a GitHub GraphQL node id, for objects GraphQL gives no `databaseId`.

A deployment status has no `databaseId` field in GitHub's GraphQL schema, yet REST keys it by
its numeric id. Both id formats GitHub has used carry it: the legacy one is base64 of
`<len>:<Type><id>` (`MDE2OkRlcGxveW1lbnRTdGF0dXMx` = `016:DeploymentStatus1`), the current one is
`<PREFIX>_` + base64url of a MessagePack array whose last element is the id (`DES_kwDO...` =
[0, repository id, status id]). Anything else gives None, and the caller falls back to REST.
"""

from __future__ import annotations

import base64
import binascii
import re

_LEGACY = re.compile(r"^\d+:[A-Za-z]+?(\d+)$")


def database_id(node_id: str) -> int | None:
    """The numeric id in `node_id`, or None when it is in neither known format."""
    if not isinstance(node_id, str) or not node_id:
        return None
    prefix, sep, rest = node_id.partition("_")
    if sep and prefix.isalpha():
        return _last_msgpack_int(_b64decode(rest, urlsafe=True))
    decoded = _b64decode(node_id, urlsafe=False)
    match = _LEGACY.match(decoded.decode("ascii", "replace")) if decoded else None
    return int(match.group(1)) if match else None


def _b64decode(text: str, urlsafe: bool) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    try:
        return (base64.urlsafe_b64decode if urlsafe else base64.b64decode)(padded)
    except (binascii.Error, ValueError):
        return None


def _last_msgpack_int(data: bytes | None) -> int | None:
    """The last element of a MessagePack fixarray of non-negative integers."""
    if not data or not 0x90 <= data[0] <= 0x9F:
        return None
    count, position, value = data[0] & 0x0F, 1, None
    widths = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
    for _ in range(count):
        if position >= len(data):
            return None
        marker = data[position]
        if marker <= 0x7F:  # positive fixint
            value, position = marker, position + 1
        elif marker in widths:
            width = widths[marker]
            chunk = data[position + 1 : position + 1 + width]
            if len(chunk) != width:
                return None
            value, position = int.from_bytes(chunk, "big"), position + 1 + width
        else:
            return None
    return value if position == len(data) else None
