from django.urls import path

from . import stage_views, views

app_name = "deals"

urlpatterns = [
    path("", views.opportunity_list, name="opportunity_list"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/<str:stage>/more/", views.pipeline_column, name="pipeline_column"),
    path("new/", views.opportunity_create, name="opportunity_create"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("<int:pk>/edit/", views.opportunity_update, name="opportunity_update"),
    path("<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("<int:pk>/activities/new/", views.activity_create, name="activity_create"),
    path("<int:pk>/product-tests/new/", views.producttest_create, name="producttest_create"),
    path("product-tests/<int:pk>/edit/", views.producttest_update, name="producttest_update"),
    path("product-tests/<int:pk>/approve/", views.producttest_approve, name="producttest_approve"),
    path("product-tests/<int:pk>/signoff/", views.producttest_signoff, name="producttest_signoff"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_update, name="contract_update"),
    path("forecast/", views.forecast, name="forecast"),
    path("forecast/export/", views.forecast_export, name="forecast_export"),
    path("stage-probabilities/", stage_views.stage_probabilities, name="stage_probabilities"),
]
