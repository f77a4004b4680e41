import importlib

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from keychannel.api import api
from keychannel.core import auth_views as kc_auth
from keychannel.core.auth_views import LoginView
from keychannel.integrations import sso

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", sso.LogoutView.as_view(), name="logout"),
    path("oidc/authenticate/", login_not_required(sso.AuthenticateView.as_view()), name="oidc_authentication_init"),
    path("oidc/callback/", login_not_required(sso.CallbackView.as_view()), name="oidc_authentication_callback"),
    path("password/change/", kc_auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", kc_auth.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", kc_auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", kc_auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", kc_auth.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", kc_auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("keychannel.core.urls")),
]

# Each domain app mounts its pages under its own prefix once it has a urls module.
for app, prefix in [
    ("network", "network/"),
    ("clients", "clients/"),
    ("deals", "deals/"),
    ("channel", "channel/"),
    ("program", "program/"),
    ("competence", "competence/"),
    ("sales", "sales/"),
    ("service", "service/"),
    ("integrations", "integrations/"),
    ("jobs", "jobs/"),
]:
    try:
        importlib.import_module(f"keychannel.{app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"keychannel.{app}.urls":
            raise
        continue
    urlpatterns.append(path(prefix, include(f"keychannel.{app}.urls")))

# The benchmarks' plain view (keychannel/core/bench_views.py): only when KEYCHANNEL_BENCH_VIEWS is on.
if settings.KEYCHANNEL_BENCH_VIEWS:
    from keychannel.core import bench_views

    urlpatterns.append(path("bench/plain/", bench_views.plain, name="bench_plain"))

handler404 = "keychannel.core.auth_views.not_found"
handler403 = "keychannel.core.auth_views.forbidden"
