from datetime import datetime

from ninja import Field, Schema


class TaskOut(Schema):
    id: str
    name: str = Field(..., description="The task function, e.g. import_run")
    path: str
    status: str = Field(..., description="READY (queued), RUNNING, FAILED or SUCCESSFUL")
    enqueued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    error: str = Field("", description="The last line of the error of a failed task")


class TaskFilter(Schema):
    status: str | None = Field(None, pattern="^(READY|RUNNING|FAILED|SUCCESSFUL)$")


class ScheduledRunOut(Schema):
    id: int
    job: str
    period_start: datetime
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    output: str
    error: str


class ScheduledJobOut(Schema):
    job: str
    label: str
    every_seconds: int | None = Field(None, description="The period; null when the job is turned off")
    last_run: ScheduledRunOut | None


class RetriedOut(Schema):
    task_id: str
    status: str = "queued"
