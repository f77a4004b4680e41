"""The delivery task (django-tasks): one HTTP attempt of one webhook delivery; a failure enqueues the next one."""

from django_tasks import task


@task()
def deliver_webhook(delivery_id: int, attempts_done: int, redelivery: bool = False) -> str:
    from .services import attempt_delivery

    return attempt_delivery(delivery_id=delivery_id, attempts_done=attempts_done, redelivery=redelivery)
