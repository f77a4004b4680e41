"""The static files listed once per test process instead of once per test client.

Every ``django.test.Client`` builds its own handler, so its first request loads the middleware again, and
WhiteNoise's middleware (``WHITENOISE_USE_FINDERS`` outside production) then walks every static directory and stats
every file: about a third of an access-matrix case's CPU, and the same for every other test that makes a request
(docs/testing.md, "Measuring"). The files do not change while the suite runs, so the first listing is kept and
handed to every later middleware of the same configuration: the same URLs map to the same files with the same
headers, and requests for static files are still served by WhiteNoise as before.
``KEYCHANNEL_WHITENOISE_ONCE=0`` lists them for every client again (an A/B measurement).
``tests/test_harness.py`` checks that a later client serves the same files as a fresh listing.
"""

from __future__ import annotations

_listed: dict[tuple, dict] = {}


def _key(middleware) -> tuple:
    return (middleware.static_prefix, middleware.max_age, middleware.allow_all_origins, middleware.charset,
            middleware.add_headers_function, middleware.index_file, middleware.autorefresh)


def install() -> None:
    import os

    from whitenoise.middleware import WhiteNoiseMiddleware

    if os.environ.get("KEYCHANNEL_WHITENOISE_ONCE") == "0":  # for an A/B measurement
        return

    if getattr(WhiteNoiseMiddleware.add_files_from_finders, "listed_once", False):
        return
    original = WhiteNoiseMiddleware.add_files_from_finders

    def add_files_from_finders(self):
        key = _key(self)
        if key not in _listed:
            before = dict(self.files)
            original(self)
            _listed[key] = {url: file for url, file in self.files.items() if before.get(url) is not file}
        self.files.update(_listed[key])

    add_files_from_finders.listed_once = True
    add_files_from_finders.original = original
    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
