"""Issue 20: cases by e-mail. A client's contact opens a case by writing to the client's signed service address and
replies by answering the case's e-mail; unknown, forged, oversize or refused mail changes nothing and is bounced
with its reason. Tested against the real SMTP server (aiosmtpd) started on loopback, sending with smtplib."""

import re
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage

import pytest
from django.core import mail

from keychannel.deals.tests.factories import ClientFactory
from keychannel.service import mailin, services
from keychannel.service.mailserver import CaseMailController
from keychannel.service.models import CaseMessage, ServiceCase
from tests.file_database import sqlite_in_a_file

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def service_address(settings):
    settings.KEYCHANNEL_MAILIN_ADDRESS = "cases@service.example"
    settings.KEYCHANNEL_SITE_URL = "https://keychannel.example"


@pytest.fixture
def committed(transactional_db, tmp_path):
    """The server answers in its own threads: they must see what the test writes (SQLite: a file, not memory)."""
    with sqlite_in_a_file(tmp_path, "mailin.sqlite3"):
        yield


@pytest.fixture
def smtp_server(committed, service_address):
    with socket.socket() as probe:  # a free loopback port (the controller checks it is up by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = CaseMailController("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def _message(to, subject="Compressor trips", body="Line 2 compressor trips after 10 minutes.", sender="ioana@client.example",
             attachments=(), headers=None):
    message = EmailMessage()
    message["From"] = f"Ioana Pop <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, content, maintype, subtype in attachments:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def _send(port, message, to):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.send_message(message, to_addrs=[to])


def _intake(world, client=None):
    client = client or ClientFactory(distributor=world.own, territory=world.territory)
    link, _url = services.intake_link_create(principal=world.principal("dist_head"), client=client)
    return client, link


def test_a_contact_opens_a_case_and_replies_by_email_over_smtp(world, smtp_server, settings):
    client, link = _intake(world)
    address = mailin.intake_address(link)
    assert address.startswith("cases+o") and address.endswith("@service.example")
    token = address.split("+", 1)[1].split("@")[0]  # a record number and a signature: nothing about the client
    assert re.fullmatch(r"o[0-9a-z]+\.[a-z2-7]{26}", token)

    _send(smtp_server, _message(address, attachments=[("photo.png", PNG, "image", "png")]), address)
    case = ServiceCase.objects.get(client=client)
    assert (case.source, case.title, case.contact_email, case.contact_name) == (
        "email", "Compressor trips", "ioana@client.example", "Ioana Pop")
    assert "trips after 10 minutes" in case.description and case.distributor == world.own
    assert CaseMessage.objects.get(case=case).attachment_content_type == "image/png"
    # The contact's confirmation answers to the case's own signed address: replying threads onto this case.
    confirmation = mail.outbox[-1]
    reply_to = mailin.case_address(case)
    assert confirmation.to == ["ioana@client.example"] and confirmation.reply_to == [reply_to]
    assert "https://keychannel.example/" in confirmation.body

    reply = _message(reply_to, subject=f"Re: {confirmation.subject}",
                     body="Firmware 4.2.1.\n\nOn Monday, keychannel wrote:\n> We received your case.")
    _send(smtp_server, reply, reply_to)
    message = CaseMessage.objects.filter(case=case).order_by("-id").first()
    assert message.from_client and message.body == "Firmware 4.2.1."  # the quoted mail is cut


@pytest.mark.parametrize("forge", ["unknown", "forged", "other_kind", "revoked"])
def test_unknown_forged_or_revoked_addresses_are_refused_at_rcpt(world, smtp_server, forge):
    client, link = _intake(world)
    good = mailin.intake_address(link)
    local, domain = good.split("@")
    # The signature changed: its last three characters replaced by three others (never by themselves).
    forged_tail = "aaa" if local[-3:] != "aaa" else "bbb"
    address = {
        "unknown": f"nobody@{domain}",
        "forged": f"{local[:-3]}{forged_tail}@{domain}",
        "other_kind": f"{local.replace('+o', '+r', 1)}@{domain}",  # an open token replayed as a reply token
        "revoked": good,
    }[forge]
    if forge == "revoked":
        services.intake_link_revoke(principal=world.principal("dist_head"), link=link)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(smtp_server, _message(address), address)
    code, reason = refused.value.recipients[address]
    assert code == 550 and b"Unknown, forged or revoked" in reason
    assert not ServiceCase.objects.exists()


def test_refused_content_bounces_with_its_reason_and_changes_nothing(world, smtp_server, settings):
    client, link = _intake(world)
    address = mailin.intake_address(link)
    fake_pdf = [("invoice.pdf", b"MZ\x90\x00 not a pdf", "application", "pdf")]
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(smtp_server, _message(address, attachments=fake_pdf), address)
    assert refused.value.smtp_code == 550 and b"PDF, PNG, JPEG" in refused.value.smtp_error
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(smtp_server, _message(address, headers={"Auto-Submitted": "auto-replied"}), address)
    assert b"Automatic replies" in refused.value.smtp_error
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(smtp_server, _message(address, body=""), address)  # no description: the form's own check
    assert refused.value.smtp_code == 550
    assert not ServiceCase.objects.exists() and not CaseMessage.objects.exists()


def test_oversize_mail_is_refused(world, smtp_server, settings):
    settings.KEYCHANNEL_MAX_UPLOAD_MB = 1
    client, link = _intake(world)
    address = mailin.intake_address(link)
    big = [("big.png", PNG + b"\0" * (2 * 1024 * 1024), "image", "png")]
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)):
        _send(smtp_server, _message(address, attachments=big), address)
    assert mailin.receive(address, _message(address, attachments=big).as_bytes()).code == 552
    assert not ServiceCase.objects.exists()


def test_a_reply_to_a_closed_case_is_refused(world, smtp_server):
    client, link = _intake(world)
    address = mailin.intake_address(link)
    _send(smtp_server, _message(address), address)
    case = ServiceCase.objects.get(client=client)
    ServiceCase.objects.filter(pk=case.pk).update(status="closed")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(smtp_server, _message(mailin.case_address(case), body="Still broken"), mailin.case_address(case))
    assert b"closed" in refused.value.smtp_error
    assert CaseMessage.objects.filter(case=case).count() == 0


def test_an_mta_pipe_delivers_from_standard_input(world, committed, service_address, tmp_path, settings):
    """``keychannel mail-in --stdin`` as Postfix's pipe runs it: a real process, sysexits statuses."""
    import os

    from django.db import connection

    client, link = _intake(world)
    address = mailin.intake_address(link)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"KEYCHANNEL_MAILIN_ADDRESS": "cases@service.example", "KEYCHANNEL_DATA_DIR": str(tmp_path / "data"),
           "KEYCHANNEL_DATABASE_URL": _database_url(connection.settings_dict), "KEYCHANNEL_SECRET_KEY": settings.SECRET_KEY,
                "KEYCHANNEL_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"})

    def pipe(to, message):
        return subprocess.run([sys.executable, "-m", "keychannel.cli", "mail-in", "--stdin", "--recipient", to],
                              input=message.as_bytes(), env=env, capture_output=True, timeout=120)

    done = pipe(address, _message(address))
    assert done.returncode == 0, done.stderr
    assert ServiceCase.objects.filter(client=client, source="email").count() == 1
    refused = pipe(f"cases+o1.{'a' * 26}@service.example", _message(address))
    assert refused.returncode == 67 and b"Unknown, forged or revoked" in refused.stderr
    assert ServiceCase.objects.count() == 1


def _database_url(settings_dict) -> str:
    from keychannel.jobs.tests.conftest import _database_url as url

    return url(settings_dict)
