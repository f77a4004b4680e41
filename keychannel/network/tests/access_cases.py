from tests.access import DISTRIBUTOR, Route, anon_api, anon_page, expect

DIST_PROFILE = {"own": 200, "other": 404}


def _dist(w, side):
    return {"pk": w.distributor(side).pk}


def _dist_api(w, side):
    return {"distributor_id": w.distributor(side).pk}


ROUTES = [
    Route(name="network:distributor_list", expect=expect(200, **anon_page())),
    Route(name="network:distributor_detail", params=_dist,
          expect=expect(200, **{r: DIST_PROFILE for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:distributor_update", params=_dist,
          # Program office edits any distributor; a channel manager only those they manage (own).
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 403},
                        **{r: DIST_PROFILE | {"own": 403} for r in DISTRIBUTOR}, **anon_page())),
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
]
