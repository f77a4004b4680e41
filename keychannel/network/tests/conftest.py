import pytest


@pytest.fixture(autouse=True)
def _network_defaults(request):
    """Default playbooks and questionnaire v1 come from data migrations, which a transactional test elsewhere in
    the run may have flushed: make sure they are there."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from keychannel.network.defaults import ensure_defaults

    ensure_defaults()
