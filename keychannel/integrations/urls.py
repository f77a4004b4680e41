from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/disable/", views.webhook_disable, name="webhook_disable"),
    path("webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("webhooks/deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("webhooks/deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="delivery_redeliver"),
]
