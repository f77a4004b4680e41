"""Background tasks of the core app: e-mail goes out from a worker, so a slow or unreachable mail server never
holds a page (docs/operations.md, "Background work")."""

from django.core.mail import send_mail
from django_tasks import task


@task
def mail_send(subject: str, body: str, recipients: list[str], from_email: str | None = None) -> int:
    """Send one plain-text message. A failure fails the task (the jobs page shows it and can retry it)."""
    return send_mail(subject, body, from_email, recipients, fail_silently=False)
