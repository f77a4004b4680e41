from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("tasks/<str:task_id>/retry/", views.task_retry, name="task_retry"),
    path("scheduled/<int:pk>/retry/", views.scheduled_retry, name="scheduled_retry"),
]
