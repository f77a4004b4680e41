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
    Route(name="core:profile", expect=expect(200, **anon_page())),
    Route(name="core:notification_list", expect=expect(200, **anon_page())),
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
    Route(name="core:securityevent_list", expect=expect(403, admin=200, **anon_page())),
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
]
