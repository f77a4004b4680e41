"""E-mail and segment recomputes leave the request: a mail server that never answers does not hold the page."""

import socket
import threading

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from keychannel.core.services import notification_send

pytestmark = pytest.mark.django_db


class SilentSmtpServer:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (a stalled mail relay)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _address = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def close(self):
        self.stopping.set()
        self.thread.join()
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_smtp(settings):
    server = SilentSmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"
    yield server
    server.close()


def _mail_tasks():
    return DBTaskResult.objects.filter(task_path="keychannel.core.tasks.mail_send")


def test_a_stalled_mail_server_holds_no_page_the_mail_waits_in_the_queue(world, client, silent_smtp, settings,
                                                                          django_capture_on_commit_callbacks):
    user = world.user("dist_head")
    user.email = "head@example.com"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=user, event="kam_task.changed", title=lambda: "Deal won", body="Congratulations",
                          url="/deals/1/")
    response = client.post(reverse("password_reset"), {"email": "head@example.com"})
    assert response.status_code == 302
    assert silent_smtp.accepted == []  # nobody talked to the mail server while serving
    queued = list(_mail_tasks())
    assert [t.status for t in queued] == ["READY", "READY"]
    assert {t.args_kwargs["args"][2][0] for t in queued} == {"head@example.com"}
    # A worker sending it to the stalled server fails (after EMAIL_TIMEOUT): the task, not a page.
    with pytest.raises(OSError):
        queued[0].task.call(*queued[0].args_kwargs["args"])
    assert len(silent_smtp.accepted) == 1
    # With a working mail backend the queued message goes out as it was written.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    queued[1].task.call(*queued[1].args_kwargs["args"])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["head@example.com"]


def test_segment_recompute_runs_in_the_background_from_the_page_and_on_request_from_the_api(world, login, api_as,
                                                                                          settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"
    page = login(world.user("program_manager"))
    assert page.post(reverse("sales:segment_recompute")).status_code == 302
    api = api_as(world.user("dist_head"))
    queued = api.post("/api/v1/segments/recompute", {"background": True}, content_type="application/json")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    assert api_as(world.user("dist_sales")).post("/api/v1/segments/recompute", {"background": True},
                                                 content_type="application/json").status_code == 403
    tasks = list(DBTaskResult.objects.filter(task_path="keychannel.sales.tasks.segments_recompute_run"))
    assert len(tasks) == 2 and queued.json()["task_id"] in {str(t.id) for t in tasks}
    assert all(t.task.call(*t.args_kwargs["args"]) == 0 for t in tasks)  # nothing to change in an empty network
