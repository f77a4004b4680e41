from django.urls import path

from . import fix_views, import_views, views

app_name = "sales"

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/upload/", views.report_upload, name="report_upload"),
    path("reports/sample.csv", views.report_sample, name="report_sample"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/errors.csv", views.report_errors, name="report_errors"),
    path("reports/<int:pk>/revalidate/", views.report_revalidate, name="report_revalidate"),
    path("reports/<int:pk>/resolve-client/", views.report_resolve_client, name="report_resolve_client"),
    path("reports/<int:pk>/map-product/", views.report_map_product, name="report_map_product"),
    path("reports/<int:pk>/fix/", fix_views.report_fix, name="report_fix"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/retry/", import_views.import_retry, name="import_retry"),
    path("lines/", views.line_list, name="line_list"),
    path("lines/export.csv", views.line_export, name="line_export"),
    path("mappings/", views.mapping_list, name="mapping_list"),
    path("mappings/products/<int:pk>/delete/", views.product_mapping_delete, name="product_mapping_delete"),
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/charts/", views.segment_charts, name="segment_charts"),
    path("segments/recompute/", views.segment_recompute, name="segment_recompute"),
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/invitations/<int:pk>/answer/", views.survey_answer_record, name="survey_answer_record"),
    path("s/<str:token>/", views.survey_public, name="survey_public"),
]
