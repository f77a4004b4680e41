from tests.access import Route, anon_api, anon_page, expect


def _own_token(world, side):
    from keychannel.core.models import ApiToken, hash_token

    # Each user's own token on "own"; a token of another user on "other".
    owner = world.users["dist_head"] if side == "other" else None
    key = f"token-{side}"

    def make():
        return ApiToken.objects.create(user=owner or world.users["admin"], name=key, key_hash=hash_token(key), hint="kc_")

    return world.once(key, make)


ROUTES = [
    Route(name="login", expect=expect(200, anonymous=200, **{r: 302 for r in
          ["admin", "program_manager", "executive", "channel_manager", "mentor", "embedded_kam", "dist_head", "dist_sales"]})),
    Route(name="logout", method="POST", expect=expect(302)),
    Route(name="core:home", expect=expect(200, **anon_page())),
    # The home page's lazy parts (core.views.home_panel, home_figures): a panel is 404 to a role that does not see it.
    Route(name="core:home_figures", expect=expect(200, **anon_page())),
    Route(name="core:home_panel", params=lambda w, side: {"key": "program.events"}, expect=expect(200, **anon_page())),
    Route(name="core:home_panel", params=lambda w, side: {"key": "channel.decisions"},
          expect=expect(404, admin=200, program_manager=200, channel_manager=200, **anon_page())),
    Route(name="core:profile", expect=expect(200, **anon_page())),
    Route(api="GET /api/v1/cockpit", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/cockpit/{key}", params=lambda w, side: {"key": "channel.decisions"},
          expect=expect(404, admin=200, program_manager=200, channel_manager=200, **anon_api())),
    Route(name="core:notification_list", expect=expect(200, **anon_page())),
    # Notification preferences: everyone sets their own (the service writes the caller's rows only).
    Route(name="core:notification_preferences", expect=expect(200, **anon_page())),
    Route(name="core:notification_preferences", method="POST", body=lambda w, side: {"case.escalated": "digest"},
          expect=expect(302, **anon_page())),
    # Language: the switcher answers everyone (the login page has it too); preferences are the member's own.
    Route(name="core:set_language", method="POST", body=lambda w, side: {"language": "ro", "next": "/"},
          expect=expect(302)),
    Route(name="core:preferences", method="POST", body=lambda w, side: {"pref-language": "ro", "pref-time_zone": ""},
          expect=expect(302, **anon_page())),
    Route(
        name="core:history",
        params=lambda w, side: {"app_label": "network", "model_name": "distributor", "pk": w.distributor(side).pk},
        expect=expect({"own": 200, "other": 200}, dist_head={"own": 200, "other": 404},
                      dist_sales={"own": 200, "other": 404}, **anon_page()),
    ),
    # Security events sit beside the audit log: administrator and program manager; distributors never.
    Route(name="core:securityevent_list", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(name="core:audit_log", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(api="GET /api/v1/audit", expect=expect(403, admin=200, program_manager=200, **anon_api())),
    # Sign-in settings per organisation (issue 16): the administrator only.
    Route(name="core:organization_login_settings", expect=expect(403, admin=200, **anon_page())),
    Route(api="GET /api/v1/organizations", expect=expect(403, admin=200, **anon_api())),
    Route(api="PATCH /api/v1/organizations/{organization_id}/login-settings",
          params=lambda w, side: {"organization_id": w.distributor(side).organization_id},
          body=lambda w, side: {"password_login": True}, expect=expect(403, admin=200, **anon_api())),
    Route(api="PATCH /api/v1/me/preferences", body=lambda w, side: {"language": "ro"}, expect=expect(200, **anon_api())),
    Route(
        name="core:api_token_revoke",
        method="POST",
        # "own" is the admin's token: only the admin may revoke it; "other" belongs to the distributor head.
        params=lambda w, side: {"pk": _own_token(w, side).pk},
        expect=expect({"own": 404, "other": 404}, admin={"own": 302, "other": 404},
                      dist_head={"own": 404, "other": 302}, **anon_page()),
    ),
    # Password change: every logged-in user, for their own account. Reset: public (a locked-out user is anonymous).
    Route(name="password_change", expect=expect(200, **anon_page())),
    Route(name="password_change_done", expect=expect(200, **anon_page())),
    Route(name="password_reset", expect=expect(200)),
    Route(name="password_reset_done", expect=expect(200)),
    Route(name="password_reset_confirm", params=lambda w, side: {"uidb64": "MQ", "token": "not-a-token"},
          expect=expect(200), note="a bad link answers the 'link not valid' page"),
    Route(name="password_reset_complete", expect=expect(200)),
    Route(name="core:login_lockout_clear", method="POST", body=lambda w, side: {"username": "nobody"},
          expect=expect(403, admin=302, **anon_page())),
    Route(api="POST /api/v1/users/{user_id}/unlock",
          params=lambda w, side: {"user_id": (w.users if side == "own" else w.other_users)["dist_sales"].pk},
          expect=expect(403, admin=204, **anon_api())),
    Route(api="POST /api/v1/auth/token", body=lambda w, side: {"username": "nobody", "password": "wrong"},
          expect=expect(401)),
    Route(api="DELETE /api/v1/auth/token", expect=expect(204, **anon_api())),
    # Ends the caller's own sessions and tokens only (the matrix rolls each case back).
    Route(name="core:logout_everywhere", method="POST", expect=expect(302, **anon_page())),
    Route(api="POST /api/v1/auth/logout-everywhere", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/me", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/notifications", expect=expect(200, **anon_api())),
    # Global search: every signed-in role; what each finds is scoped per source (tests/test_search.py).
    Route(name="core:search", expect=expect(200, **anon_page())),
    # A form's chooser suggestions (core/choosers.py): every signed-in role; each kind's rows are scoped by
    # visible_to (keychannel/core/tests/test_choosers.py).
    Route(name="core:choose", params=lambda w, side: {"kind_key": "clients"}, expect=expect(200, **anon_page())),
    Route(name="core:choose", params=lambda w, side: {"kind_key": "deals"}, expect=expect(200, **anon_page())),
    # The matrix sends no query string: every role passes the gate and gets 422 for the missing ``q``.
    Route(api="GET /api/v1/search", expect=expect(422, **anon_api())),
    Route(api="POST /api/v1/notifications/read", body=lambda w, side: {}, expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/me/notification-preferences", expect=expect(200, **anon_api())),
    Route(api="PUT /api/v1/me/notification-preferences", body=lambda w, side: {"preferences": {"deal.handed_over": "in_app"}},
          expect=expect(200, **anon_api())),
]


# --- people's accounts (issue 16): the administrator manages everybody, a head its own salespeople -----------------
PEOPLE_MANAGERS = {"admin": 200, "dist_head": 200}


def _sales(w, side):
    """"own": a salesperson of the world's own distributor; "other": one of the other distributor."""
    return (w.users if side == "own" else w.other_users)["dist_sales"]


def _user_page(w, side):
    return {"user_id": _sales(w, side).pk}


def _user_api(w, side):
    return {"user_id": _sales(w, side).pk}


def _user_write(ok, *, anon, head_ok=None):
    """Admin: ``ok`` on both; a head: ``ok`` on its own salesperson, 404 on another company's; everyone else 403."""
    return expect(403, admin=ok, dist_head={"own": head_ok or ok, "other": 404}, **anon)


ROUTES += [
    Route(name="core:user_list", expect=expect(403, **PEOPLE_MANAGERS, **anon_page())),
    Route(name="core:user_invite", expect=expect(403, **PEOPLE_MANAGERS, **anon_page())),
    Route(name="core:user_deactivate", method="POST", params=_user_page, expect=_user_write(302, anon=anon_page())),
    Route(name="core:user_reactivate", method="POST", params=_user_page, expect=_user_write(302, anon=anon_page())),
    Route(name="core:invitation_resend", method="POST", params=_user_page, expect=_user_write(302, anon=anon_page()),
          note="the salesperson has a password already: the page says so and sends nothing"),
    # The public "set your password" page of an invitation link; a bad link answers the "not valid" page.
    Route(name="core:invitation_accept", params=lambda w, side: {"uidb64": "MQ", "token": "not-a-token"},
          expect=expect(200)),
    Route(api="GET /api/v1/users", expect=expect(403, **PEOPLE_MANAGERS, **anon_api())),
    Route(api="POST /api/v1/users/invitations",
          body=lambda w, side: {"organization_id": w.own.organization_id, "role": "dist_sales",
                                "email": "matrix.invite@example.com", "last_name": "Matrix"},
          expect=expect(403, admin=201, dist_head=201, **anon_api())),
    Route(api="POST /api/v1/users/{user_id}/deactivate", params=_user_api, expect=_user_write(200, anon=anon_api())),
    Route(api="POST /api/v1/users/{user_id}/reactivate", params=_user_api, expect=_user_write(200, anon=anon_api())),
    Route(api="POST /api/v1/users/{user_id}/invitation", params=_user_api, expect=_user_write(422, anon=anon_api()),
          note="the salesperson has a password already: 422, nothing sent"),
]
