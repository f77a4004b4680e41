"""The SMTP/LMTP side of cases by e-mail (``keychannel mail-in``): aiosmtpd answers the MTA that receives the
service domain's mail, refuses an unknown address at RCPT and a refused message at DATA with the reason, so the
sender's MTA bounces it with that reason. Each message is delivered by ``mailin.receive`` in a database thread."""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from . import mailin

logger = logging.getLogger(__name__)


def _in_thread(fn):
    def run(*args):
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


class CaseMailHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if envelope.rcpt_tos:
            return mailin.TOO_MANY_RECIPIENTS
        refused = await _in_thread(mailin.recipient_check)(address)
        if refused is not None:
            logger.info("mail-in: refused recipient at RCPT")
            return refused.smtp
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content or b""
        outcome = await _in_thread(mailin.receive)(envelope.rcpt_tos[0], raw, envelope.mail_from or "")
        logger.info("mail-in: %s", outcome.smtp)
        return outcome.smtp


class CaseMailController(Controller):
    """A threaded aiosmtpd server: SMTP, or LMTP when ``lmtp`` (for Postfix's ``lmtp:`` transport)."""

    def __init__(self, hostname: str, port: int, *, lmtp: bool = False):
        self.lmtp = lmtp
        super().__init__(CaseMailHandler(), hostname=hostname, port=port, ready_timeout=10,
                         data_size_limit=mailin.max_bytes())

    def factory(self):
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, data_size_limit=mailin.max_bytes(), enable_SMTPUTF8=True, hostname=self.hostname)
