from datetime import date

from tests.access import DISTRIBUTOR, MANUFACTURER, Route, anon_api, anon_page, expect

DIST_PROFILE = {"own": 200, "other": 404}
PROGRAM_OFFICE = ["admin", "program_manager"]
OTHER_MANUFACTURER = [r for r in MANUFACTURER if r not in PROGRAM_OFFICE]


def _dist(w, side):
    return {"pk": w.distributor(side).pk}


def _dist_api(w, side):
    return {"distributor_id": w.distributor(side).pk}


def _coverage(w, side):
    from keychannel.network.models import Coverage

    return w.once(f"coverage-{side}", lambda: Coverage.objects.create(
        distributor=w.distributor(side), territory=w.territory, product_line=w.product_line, valid_from=date(2024, 1, 1)
    ))


def _playbook(w, side):
    from keychannel.network.models import Playbook

    return {"pk": Playbook.objects.get(quadrant="partner", sole_channel=False).pk}


def manufacturer_page(**kw):
    """Manufacturer-only pages: every manufacturer role 200, distributor users 403."""
    return expect(200, **{r: 403 for r in DISTRIBUTOR}, **anon_page(), **kw)


def program_office_write(ok, *, dist_own=403, anon=None):
    """Writes on network data every manufacturer role sees: program office ok, other manufacturer roles 403,
    distributor users 403 on their own record and 404 on another's."""
    return expect(
        403,
        **{r: ok for r in PROGRAM_OFFICE},
        **{r: {"own": dist_own, "other": 404} for r in DISTRIBUTOR},
        **(anon or anon_page()),
    )


ROUTES = [
    Route(name="network:distributor_list", expect=expect(200, **anon_page())),
    Route(name="network:distributor_quadrant", expect=manufacturer_page()),
    Route(name="network:distributor_detail", params=_dist,
          expect=expect(200, **{r: DIST_PROFILE for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:distributor_update", params=_dist,
          # Program office edits any distributor; a channel manager only those they manage (own).
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 403},
                        **{r: DIST_PROFILE | {"own": 403} for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:coverage_matrix", expect=manufacturer_page()),
    Route(name="network:coverage_create", params=_dist, expect=program_office_write(200)),
    Route(name="network:coverage_update", params=lambda w, s: {"pk": _coverage(w, s).pk},
          expect=program_office_write(200)),
    Route(name="network:playbook_list", expect=manufacturer_page()),
    Route(name="network:playbook_update", params=_playbook,
          expect=expect(403, admin=200, program_manager=200, **{r: 404 for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:territory_list", expect=expect(200, **anon_page())),
    Route(name="network:productline_list", expect=expect(200, **anon_page())),
    Route(api="GET /api/v1/distributors", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/distributors/{distributor_id}", params=_dist_api,
          expect=expect(200, **{r: DIST_PROFILE for r in DISTRIBUTOR}, **anon_api())),
    Route(api="PATCH /api/v1/distributors/{distributor_id}", params=_dist_api, body=lambda w, s: {"stance": "active"},
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 403},
                        **{r: {"own": 403, "other": 404} for r in DISTRIBUTOR}, **anon_api())),
    Route(api="GET /api/v1/territories", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/product-lines", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/coverage", expect=expect(200, **anon_api())),
    # Without its query parameters the rule check answers 422 to manufacturer roles; distributors never get it.
    Route(api="GET /api/v1/coverage/eligible",
          expect=expect(422, **{r: 403 for r in DISTRIBUTOR}, **anon_api())),
    Route(api="POST /api/v1/coverage",
          body=lambda w, s: {"distributor_id": w.own.pk, "territory_id": w.territory.pk,
                             "product_line_id": w.product_line.pk, "valid_from": "2025-01-01"},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="PATCH /api/v1/coverage/{coverage_id}", params=lambda w, s: {"coverage_id": _coverage(w, s).pk},
          body=lambda w, s: {"note": "renewed"}, expect=program_office_write(200, anon=anon_api())),
]
