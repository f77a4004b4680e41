from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("profile/preferences/", views.preferences, name="preferences"),
    path("language/", views.set_language, name="set_language"),
    path("profile/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("history/<slug:app_label>/<slug:model_name>/<int:pk>/", views.history, name="history"),
    path("security-events/", views.security_event_list, name="securityevent_list"),
    path("security-events/unlock/", views.login_lockout_clear, name="login_lockout_clear"),
]
