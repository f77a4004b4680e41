from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("distributors/", views.distributor_list, name="distributor_list"),
    path("distributors/<int:pk>/", views.distributor_detail, name="distributor_detail"),
    path("distributors/<int:pk>/edit/", views.distributor_update, name="distributor_update"),
    path("territories/", views.territory_list, name="territory_list"),
    path("product-lines/", views.productline_list, name="productline_list"),
]
