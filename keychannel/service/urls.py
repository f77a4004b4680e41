from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_create, name="case_create"),
    path("report/", views.report, name="report"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/messages/", views.case_message, name="case_message"),
    path("<int:pk>/status/", views.case_status, name="case_status"),
    path("<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("<int:pk>/takeover/", views.case_takeover, name="case_takeover"),
    path("messages/<int:pk>/attachment/", views.message_attachment, name="message_attachment"),
    path("clients/<int:client_id>/", views.client_service, name="client_service"),
    path("clients/<int:client_id>/panel/", views.client_panel, name="client_panel"),
    path("distributors/<int:distributor_id>/panel/", views.distributor_panel, name="distributor_panel"),
    path("segments/<int:year>/panel/", views.segment_panel, name="segment_panel"),
    path("clients/<int:client_id>/link/", views.intake_link_create, name="intake_link_create"),
    path("p/<str:token>/", views.intake_public, name="intake_public"),
    path("c/<str:token>/", views.case_public, name="case_public"),
]
