from django.urls import path

from . import views

app_name = "channel"

urlpatterns = [
    path("registrations/", views.registration_list, name="registration_list"),
    path("registrations/new/", views.registration_create, name="registration_create"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/precedents/", views.precedent_list, name="precedent_list"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict_detail"),
    path("conflicts/<int:pk>/comment/", views.conflict_comment, name="conflict_comment"),
    path("conflicts/<int:pk>/review/", views.conflict_review, name="conflict_review"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("figures/", views.figures, name="figures"),
    path("policy/", views.channel_policy, name="policy"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/respond/", views.lead_respond, name="lead_respond"),
    path("leads/<int:pk>/assign/", views.lead_assign, name="lead_assign"),
]
