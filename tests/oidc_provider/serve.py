"""Run the test provider: migrate, create its users and the keychannel client, then serve on 127.0.0.1:PORT.

    python -m tests.oidc_provider.serve CONFIG.json      (prints "PORT <n>" once it listens)
CONFIG: {"users": [{"username", "password", "email", "first_name", "last_name", "groups": [...]}],
         "client_id", "client_secret", "redirect_uri", "post_logout_redirect_uri"}
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")


def main():
    import django

    django.setup()
    import socketserver

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import get_application_model

    config = json.load(open(sys.argv[1]))
    call_command("migrate", verbosity=0)
    for spec in config["users"]:
        user = User.objects.create_user(spec["username"], spec["email"], spec["password"],
                                        first_name=spec.get("first_name", ""), last_name=spec.get("last_name", ""))
        for name in spec.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    get_application_model().objects.create(
        name="keychannel", client_id=config["client_id"], client_secret=config["client_secret"],
        client_type="confidential", authorization_grant_type="authorization-code",
        redirect_uris=config["redirect_uri"], post_logout_redirect_uris=config.get("post_logout_redirect_uri", ""),
        skip_authorization=True, algorithm="RS256",
    )

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server_cls = type("ThreadingWSGIServer", (socketserver.ThreadingMixIn, WSGIServer), {"daemon_threads": True})
    httpd = server_cls(("127.0.0.1", 0), QuietHandler)
    httpd.set_app(get_wsgi_application())
    print(f"PORT {httpd.server_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
