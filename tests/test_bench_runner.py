"""The bench's own helpers that write to the data set it measures (bench/runner.py)."""
from django.conf import settings
from django.utils import timezone

from keychannel.core.models import ApiToken
from tests.bench_modules import load


def _runner():
    return load("runner")


def test_a_kept_data_set_serves_more_bench_runs_than_a_user_may_hold_tokens(world):
    """Scenario (wave 9): each bench run made a token for the admin and the head and never revoked it, so the sixth
    run on a kept data set stopped at the cap of active tokens a user may hold. A run now revokes its user's earlier
    bench tokens first, and leaves the user's other tokens alone."""
    runner = _runner()
    admin = world.user("admin")
    own = ApiToken.objects.create(user=admin, name="mine", key_hash="x" * 64, hint="kc_mine")
    for _run in range(settings.KEYCHANNEL_API_TOKENS_PER_USER + 2):
        tokens = runner.api_tokens([admin.username])
    active = ApiToken.objects.active(timezone.now()).filter(user=admin)
    assert sorted(active.values_list("name", flat=True)) == ["bench", "mine"]
    assert tokens[admin.username]
    assert active.filter(pk=own.pk).exists()
