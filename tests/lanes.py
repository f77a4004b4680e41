"""Which lane of `make test` runs a test that cannot reach a database.

A test that cannot reach a database (pytest-django blocks every query of a test without `db`, `django_db` or a live
server) answers the same on SQLite and PostgreSQL: parsing, translations, static scans of the source, the rules
catalogue, pure functions. The root conftest marks it `no_database`, and `make test` runs it once, in the SQLite and
browser lane (the PostgreSQL lane, the longer one, deselects it); `make test-sqlite` and `make test-postgres` alone
still run it. A test that reads the configured engine
without a query (the matrix's SQLite sample) is marked `engine_dependent` and runs on both. tests/test_harness.py
checks the split.
"""

# `django_db_setup`: a module-scoped fixture that opens the database itself, as the matrix's and the demo's do.
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup"}


def reaches_a_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None \
        or bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
