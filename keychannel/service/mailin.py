"""Cases by e-mail (issue 20): a client's contact opens a case by writing to the client's service address and
replies to a case by answering its e-mails; ``keychannel mail-in`` receives the mail over SMTP/LMTP or from an MTA
pipe (docs/service.md, docs/operations.md).

Addresses are ``<local>+<token>@<domain>`` on ``KEYCHANNEL_MAILIN_ADDRESS``. The token is a record number and an
HMAC of it with the record's nonce (the installation's secret key): ``o…`` opens a case for the client of one public
case-form link, ``r…`` replies on one case. It tells nothing about the client, the distributor or the case, cannot be
made without the secret key, and rotating the nonce (revoking the link) kills it. Everything else goes through the
public form's own services (``case_open_public``, ``public_reply``), so the same checks apply to the text and the
attachments. A refused message changes nothing and gets an SMTP reply that says why.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import strip_tags

from keychannel.core.errors import ConflictError

from . import tokens
from .choices import CaseSource
from .models import IntakeLink, ServiceCase

_SALT = "keychannel.service.mailin"
_TOKEN = re.compile(r"^([or])([0-9a-z]{1,13})\.([a-z2-7]{26})$")
OPEN, REPLY = "o", "r"
TOO_MANY_RECIPIENTS = "452 4.5.3 One recipient per message, please: send the others again"
AUTOMATIC = ("auto-replied", "auto-generated", "auto-notified")


@dataclass(frozen=True)
class Outcome:
    """What happened to one message, as an SMTP reply and a sysexits code for the pipe."""

    code: int
    text: str
    exit_status: int  # 0 delivered; 67 (EX_NOUSER) unknown address; 65 (EX_DATAERR) refused content

    @property
    def accepted(self) -> bool:
        return self.code < 400

    @property
    def smtp(self) -> str:
        return f"{self.code} {self.text}"


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _mac(kind: str, pk: int, nonce: str) -> str:
    digest = salted_hmac(_SALT, f"{kind}:{pk}:{nonce}", algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:26]  # 130 bits; lower case: mail systems may fold it


def configured() -> bool:
    return "@" in (settings.KEYCHANNEL_MAILIN_ADDRESS or "")


def _address(token: str) -> str:
    local, _sep, domain = settings.KEYCHANNEL_MAILIN_ADDRESS.rpartition("@")
    return f"{local}+{token}@{domain}"


def intake_address(link: IntakeLink) -> str:
    """The client's service address: mail to it opens a case for the link's client ("" when mail-in is off)."""
    return _address(f"{OPEN}{_b36(link.pk)}.{_mac(OPEN, link.pk, link.nonce)}") if configured() else ""


def case_address(case: ServiceCase) -> str:
    """The case's reply address, the Reply-To of every e-mail the contact gets about it ("" when mail-in is off)."""
    return _address(f"{REPLY}{_b36(case.pk)}.{_mac(REPLY, case.pk, case.public_nonce)}") if configured() else ""


def resolve(address: str):
    """The IntakeLink or ServiceCase an address names, or None for an unknown, forged or revoked one."""
    if not configured():
        return None
    local, _sep, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    own_local, _sep, own_domain = settings.KEYCHANNEL_MAILIN_ADDRESS.lower().rpartition("@")
    base, plus, token = local.partition("+")
    if domain != own_domain or base != own_local or not plus:
        return None
    match = _TOKEN.match(token)
    if match is None:
        return None
    kind, pk, mac = match.group(1), int(match.group(2), 36), match.group(3)
    if kind == OPEN:
        record = IntakeLink.objects.select_related("client").filter(pk=pk, active=True).first()
        nonce = record.nonce if record else ""
    else:
        record = ServiceCase.objects.select_related("client").filter(pk=pk).first()
        nonce = record.public_nonce if record else ""
    if record is None or not constant_time_compare(mac, _mac(kind, pk, nonce)):
        return None
    return record


def max_bytes() -> int:
    """The largest message accepted: an attachment at the upload limit, base64-encoded, plus the text."""
    return settings.KEYCHANNEL_MAX_UPLOAD_MB * 1024 * 1024 * 4 // 3 + 256 * 1024


# --- reading the message ------------------------------------------------------------------------------------------

_QUOTE_HEADER = re.compile(r"^(on .+wrote:|-----\s*original message\s*-----|în .+a scris:|.+ пишет:)\s*$", re.I)


def _text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        content = strip_tags(content)
    return content


def _without_quote(text: str) -> str:
    """The new text of a reply: the quoted mail it answers (``>`` lines and their "On … wrote:") is cut."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept = []
    for line in lines:
        if line.startswith(">") or _QUOTE_HEADER.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _attachments(message) -> list[SimpleUploadedFile]:
    files = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True) or b""
        name = part.get_filename() or "attachment"
        files.append(SimpleUploadedFile(name[:100], content, content_type=part.get_content_type()))
    return files


def _sender(message, envelope_from: str) -> tuple[str, str]:
    found = getaddresses([str(message.get("From", ""))])
    name, address = found[0] if found else ("", "")
    address = address or envelope_from or ""
    return (name or address.partition("@")[0])[:120], address[:254]


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc)


# --- receiving ------------------------------------------------------------------------------------------------------


def recipient_check(address: str) -> Outcome | None:
    """At RCPT time: refuse an address that names nothing (None: the address is good)."""
    if resolve(address) is None:
        return Outcome(550, "5.1.1 Unknown, forged or revoked service address: nothing was delivered", 67)
    return None


def receive(recipient: str, raw: bytes, envelope_from: str = "") -> Outcome:
    """Deliver one message to one service address: open a case or add the client's reply. All or nothing.

    The reply is in English, in ASCII, as SMTP wants it (the sending MTA puts it in its bounce)."""
    with translation.override("en"):
        return _receive(recipient, raw, envelope_from)


def _receive(recipient: str, raw: bytes, envelope_from: str) -> Outcome:
    from .services import case_open_public, public_reply

    if len(raw) > max_bytes():
        return Outcome(552, f"5.3.4 The message is larger than {max_bytes() // (1024 * 1024)} MB: nothing was "
                            "delivered", 65)
    record = resolve(recipient)
    if record is None:
        return recipient_check(recipient)
    message = message_from_bytes(raw, policy=policy.default)
    if str(message.get("Auto-Submitted", "no")).strip().lower().startswith(AUTOMATIC):
        return Outcome(550, "5.7.1 Automatic replies are not accepted: write to the case yourself", 65)
    name, address = _sender(message, envelope_from)
    files = _attachments(message)
    text = _text(message)
    try:
        with transaction.atomic():
            if isinstance(record, IntakeLink):
                title = str(message.get("Subject", "")).strip() or text.strip().split("\n", 1)[0][:200]
                case = case_open_public(
                    token=tokens.intake_token(record), source=CaseSource.EMAIL,
                    attachment=files[0] if files else None, title=title[:200], description=text.strip(),
                    contact_name=name, contact_email=address)
                rest = files[1:]
            else:
                case = record
                body = _without_quote(text) or (", ".join(f.name for f in files) if files else "")
                public_reply(token=tokens.case_token(case), body=body, attachment=files[0] if files else None)
                rest = files[1:]
            for extra in rest:  # one message per further file, each through the same checks
                public_reply(token=tokens.case_token(case), body=extra.name, attachment=extra)
    except (ValidationError, ConflictError) as exc:
        return Outcome(550, ascii_only(f"5.7.1 Refused, nothing was delivered: {_refusal(exc)}")[:480], 65)
    return Outcome(250, f"2.0.0 Delivered to service case {case.reference}", 0)


def ascii_only(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


