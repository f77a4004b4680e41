"""Sending a webhook without becoming a proxy into the private network (SSRF).

The host name is resolved once; every address must be public (not loopback, private, link-local, reserved,
multicast or unspecified) unless ``KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE`` is on. The connection then goes to the
address that was checked (no second lookup that DNS rebinding could answer differently), redirects are not
followed, and the request times out after ``KEYCHANNEL_WEBHOOK_TIMEOUT`` seconds.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def allow_private() -> bool:
    return bool(getattr(settings, "KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE", False))


def timeout() -> float:
    return float(getattr(settings, "KEYCHANNEL_WEBHOOK_TIMEOUT", 10))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _split(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Give an http:// or https:// address.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Put no user name or password in the address: the signature authenticates us.")})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError({"url": _("The port of this address is not valid.")}) from None
    return parts, port


def resolve(url: str) -> tuple[object, int, str]:
    """The URL's parts, port and the one address to connect to; ValidationError when refused or unknown."""
    parts, port = _split(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValidationError({"url": _("This host name cannot be resolved.")}) from None
    addresses = [info[4][0] for info in infos]
    if not allow_private() and not all(_is_public(a) for a in addresses):
        raise ValidationError({"url": _(
            "This address leads into a private or local network; webhooks go to public addresses only.")})
    return parts, port, addresses[0]


def check_url(url: str) -> None:
    resolve(url)


@dataclass
class Answer:
    status_code: int | None
    body: str
    error: str
    duration_ms: int


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate verified against the host name."""

    def __init__(self, address, host, port, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; never raises for network trouble (the answer says what happened)."""
    started = time.monotonic()

    def elapsed():
        return int((time.monotonic() - started) * 1000)

    try:
        parts, port, address = resolve(url)
    except ValidationError as exc:
        return Answer(None, "", " ".join(exc.messages), elapsed())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn = _PinnedHTTPSConnection(address, parts.hostname, port, timeout=timeout(),
                                      context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout())
    host_header = parts.hostname if port in (80, 443) else f"{parts.hostname}:{port}"
    try:
        conn.request("POST", path, body=body, headers={
            **headers, "Host": host_header, "Content-Type": "application/json", "User-Agent": "keychannel-webhooks/1",
        })
        response = conn.getresponse()
        excerpt = response.read(500).decode("utf-8", "replace")
        return Answer(response.status, excerpt, "", elapsed())
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Answer(None, "", (f"{type(exc).__name__}: {exc}")[:500], elapsed())
    finally:
        conn.close()
