"""The client's address, the one key that login lockout and API rate limits throttle on.

Without configuration it is the peer's address (REMOTE_ADDR): a client cannot choose it, so a forged
X-Forwarded-For changes nothing. Behind a reverse proxy, list the proxy's addresses in
KEYCHANNEL_TRUSTED_PROXIES: only when the peer is one of them is KEYCHANNEL_CLIENT_IP_HEADER read, and in it
the right-most address that is not itself a trusted proxy is the client (the proxies append to the header,
so everything left of that address is the client's own, forgeable, claim).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


def _networks(entries) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


@lru_cache(maxsize=8)
def _trusted(entries: tuple) -> tuple:
    return _networks(entries)


def _parse(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443" (RFC 7239 style)
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.5:52100"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """The address to throttle on: REMOTE_ADDR, or the trusted proxy's view of the client (see the module doc)."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    networks = _trusted(tuple(getattr(settings, "KEYCHANNEL_TRUSTED_PROXIES", ()) or ()))
    if not networks or not _is_trusted(_parse(peer), networks):
        return peer
    header = getattr(settings, "KEYCHANNEL_CLIENT_IP_HEADER", "X-Forwarded-For") or "X-Forwarded-For"
    raw = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    for candidate in reversed([part for part in raw.split(",") if part.strip()]):
        address = _parse(candidate)
        if address is None:
            return peer  # a mangled header: keep the proxy's address rather than guess
        if not _is_trusted(address, networks):
            return str(address)
    return peer
