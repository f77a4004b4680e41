from django.urls import path

from . import reference_views, views

app_name = "network"

urlpatterns = [
    path("distributors/", views.distributor_list, name="distributor_list"),
    path("distributors/new/", reference_views.distributor_create, name="distributor_create"),
    path("distributors/quadrant/", views.distributor_quadrant, name="distributor_quadrant"),
    path("distributors/<int:pk>/", views.distributor_detail, name="distributor_detail"),
    path("distributors/<int:pk>/edit/", views.distributor_update, name="distributor_update"),
    path("distributors/<int:pk>/coverage/new/", views.coverage_create, name="coverage_create"),
    path("distributors/<int:pk>/people/new/", views.person_create, name="person_create"),
    path("distributors/<int:pk>/relationships/new/", views.relationship_create, name="relationship_create"),
    path("distributors/<int:pk>/readiness/new/", views.readiness_create, name="readiness_create"),
    path("distributors/<int:pk>/reviews/new/", views.review_create, name="review_create"),
    path("coverage/", views.coverage_matrix, name="coverage_matrix"),
    path("coverage/<int:pk>/edit/", views.coverage_update, name="coverage_update"),
    path("people/<int:pk>/edit/", views.person_update, name="person_update"),
    path("relationships/health/", views.relationship_health, name="relationship_health"),
    path("relationships/<int:pk>/edit/", views.relationship_update, name="relationship_update"),
    path("relationships/<int:pk>/interactions/new/", views.interaction_create, name="interaction_create"),
    path("readiness/questionnaires/", reference_views.questionnaire_list, name="questionnaire_list"),
    path("readiness/questionnaires/new/", reference_views.questionnaire_create, name="questionnaire_create"),
    path("readiness/questionnaires/<int:pk>/edit/", reference_views.questionnaire_update, name="questionnaire_update"),
    path("readiness/questionnaires/<int:pk>/activate/", reference_views.questionnaire_activate,
         name="questionnaire_activate"),
    path("readiness/<int:pk>/", views.readiness_detail, name="readiness_detail"),
    path("readiness/<int:pk>/actions/new/", views.action_item_create, name="action_item_create"),
    path("readiness/actions/<int:pk>/edit/", views.action_item_update, name="action_item_update"),
    path("reviews/<int:pk>/edit/", views.review_update, name="review_update"),
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/<int:pk>/edit/", views.playbook_update, name="playbook_update"),
    path("territories/", views.territory_list, name="territory_list"),
    path("territories/new/", reference_views.territory_create, name="territory_create"),
    path("territories/<int:pk>/edit/", reference_views.territory_update, name="territory_update"),
    path("product-lines/", views.productline_list, name="productline_list"),
    path("product-lines/new/", reference_views.productline_create, name="productline_create"),
    path("product-lines/<int:pk>/edit/", reference_views.productline_update, name="productline_update"),
]
