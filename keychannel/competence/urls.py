from django.urls import path

from . import views

app_name = "competence"

urlpatterns = [
    path("mentorships/", views.mentorship_list, name="mentorship_list"),
    path("mentorships/new/", views.mentorship_create, name="mentorship_create"),
    path("mentorships/<int:pk>/", views.mentorship_detail, name="mentorship_detail"),
    path("mentorships/<int:pk>/end/", views.mentorship_end, name="mentorship_end"),
    path("mentors/workload/", views.mentor_workload, name="mentor_workload"),
    path("embedded-kams/", views.assignment_list, name="assignment_list"),
    path("embedded-kams/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("kam-tasks/", views.kamtask_list, name="kamtask_list"),
    path("kam-tasks/new/", views.kamtask_create, name="kamtask_create"),
    path("kam-tasks/import/", views.kamtask_import, name="kamtask_import"),
    path("kam-tasks/<int:pk>/", views.kamtask_detail, name="kamtask_detail"),
    path("kam-tasks/<int:pk>/edit/", views.kamtask_update, name="kamtask_update"),
    path("kam-tasks/<int:pk>/status/", views.kamtask_status, name="kamtask_status"),
    path("kam-tasks/<int:pk>/comments/", views.kamtask_comment, name="kamtask_comment"),
    path("kam-tasks/<int:pk>/cancel/", views.kamtask_cancel, name="kamtask_cancel"),
    path("consultations/", views.consultation_list, name="consultation_list"),
    path("consultations/new/", views.consultation_create, name="consultation_create"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/respond/", views.consultation_respond, name="consultation_respond"),
    path("consultations/<int:pk>/convert/", views.consultation_convert, name="consultation_convert"),
    path("coverage-gaps/", views.coverage_gaps, name="coverage_gaps"),
    path("coverage-gaps/<int:client_pk>/assign/", views.coverage_gap_assign, name="coverage_gap_assign"),
    path("structure/", views.structure, name="structure"),
]
