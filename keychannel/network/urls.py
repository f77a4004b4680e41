from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("distributors/", views.distributor_list, name="distributor_list"),
    path("distributors/quadrant/", views.distributor_quadrant, name="distributor_quadrant"),
    path("distributors/<int:pk>/", views.distributor_detail, name="distributor_detail"),
    path("distributors/<int:pk>/edit/", views.distributor_update, name="distributor_update"),
    path("distributors/<int:pk>/coverage/new/", views.coverage_create, name="coverage_create"),
    path("coverage/", views.coverage_matrix, name="coverage_matrix"),
    path("coverage/<int:pk>/edit/", views.coverage_update, name="coverage_update"),
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/<int:pk>/edit/", views.playbook_update, name="playbook_update"),
    path("territories/", views.territory_list, name="territory_list"),
    path("product-lines/", views.productline_list, name="productline_list"),
]
