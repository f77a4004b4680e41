from django.urls import path

from . import audit_views, choosers, people_views, search_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("home/panels/<str:key>/", views.home_panel, name="home_panel"),
    path("home/figures/", views.home_figures, name="home_figures"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("profile/preferences/", views.preferences, name="preferences"),
    path("language/", views.set_language, name="set_language"),
    path("profile/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("search/", search_views.search_page, name="search"),
    path("choose/<str:kind_key>/", choosers.choose_view, name="choose"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("history/<slug:app_label>/<slug:model_name>/<int:pk>/", views.history, name="history"),
    path("security-events/", views.security_event_list, name="securityevent_list"),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("people/", people_views.user_list, name="user_list"),
    path("people/invite/", people_views.user_invite, name="user_invite"),
    path("people/<int:user_id>/deactivate/", people_views.user_deactivate, name="user_deactivate"),
    path("people/<int:user_id>/reactivate/", people_views.user_reactivate, name="user_reactivate"),
    path("people/<int:user_id>/invitation/", people_views.invitation_resend, name="invitation_resend"),
    path("invitation/<uidb64>/<token>/", people_views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("security-events/unlock/", views.login_lockout_clear, name="login_lockout_clear"),
    path("people/sign-in-settings/", people_views.organization_login_settings, name="organization_login_settings"),
]
