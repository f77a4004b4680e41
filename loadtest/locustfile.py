"""A realistic mix for keychannel, against the demo network (``keychannel demo --no-serve``).

Four kinds of users, all with demo logins (password ``KEYCHANNEL_DEMO_PASSWORD``):

- ``DistributorSales`` (weight 6): a distributor salesperson on the API with a bearer token — their clients,
  buying centres (reads and stakeholder edits sent with the version read, so a lost race is a 409), the
  pipeline, opportunities, registrations where those endpoints exist, the duplicate check, ``/me``. A
  salesperson may not upload sales reports (403), so they never do.
- ``DistributorHead`` (weight 1): a distributor head (``dNN-head``) on the API — the only one who uploads
  sell-out reports: a file built from the head's own clients and product codes, for a recent month, sometimes
  sent twice (the second is a duplicate, 200), sometimes as a correction (``supersede``); a report for a month
  that exists answers 409. Also the report list and ``/me``.
- ``ChannelManager`` (weight 2): a manufacturer channel manager on the API — distributors, the network
  pipeline, the forecast, clients at risk.
- ``PageUser`` (weight 2): a signed-in browser (session + CSRF) on the pages: home, distributor list and
  detail, pipeline, opportunity list and detail, contracts, clients. The home is a shell: after it, the user
  loads each of its lazy panels (``hx-get``) as a browser does, named ``page / lazy part``.

Every simulated user signs in once, as a real one does, and keeps its token or session: ``loadtest/run.py`` signs
each demo login in before the load starts (``KEYCHANNEL_LOAD_CREDENTIALS``, a JSON file), so no PBKDF2 sign-in
is measured; run alone, this file signs each login in once and shares it among the users of that login.
``KEYCHANNEL_LOAD_NO_THINK=1``: no wait between tasks (the server's ceiling). ``KEYCHANNEL_LOAD_PLAIN=1``: every
request of the mix, its set-up's reads included, goes to the benchmarks' plain view ``/bench/plain/`` (the server
must run with ``KEYCHANNEL_BENCH_VIEWS=true``), same methods and bodies, under the same names, with made-up ids
where the mix needs some: the floor of the same mix. The API's operations come from run.py's file when it
gives them (``operations``), else from ``/api/v1/openapi.json``.

Operations are taken from ``/api/v1/openapi.json`` at start: a task whose endpoint is not there (an app that
has not landed yet) does nothing, so the mix grows with the API. Expected refusals (403/404/409/422 of a
write that lost a race or repeats itself) count as answered, not failed; a 5xx or a timeout is a failure.
Run it through ``loadtest/run.py`` (``make load``), which starts PostgreSQL, seeds, serves and reports.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import threading

from locust import HttpUser, between, constant, events, task

PASSWORD = os.environ.get("KEYCHANNEL_DEMO_PASSWORD", "keychannel-demo")
DISTRIBUTORS = int(os.environ.get("KEYCHANNEL_LOAD_DISTRIBUTORS", "24"))
NO_THINK = os.environ.get("KEYCHANNEL_LOAD_NO_THINK", "") == "1"
PLAIN = os.environ.get("KEYCHANNEL_LOAD_PLAIN", "") == "1"
PLAIN_PATH = "/bench/plain/"
API = "/api/v1"
OK_REFUSALS = {400, 403, 404, 409, 422}


def _think(low: float, high: float):
    return constant(0) if NO_THINK else between(low, high)


# login -> {"token": …} or {"sessionid": …, "csrftoken": …}: signed in once per login (run.py does it before the
# load; otherwise the first user of a login does it and the others reuse it).
_credentials: dict[str, dict] = {}
if os.environ.get("KEYCHANNEL_LOAD_CREDENTIALS"):
    with open(os.environ["KEYCHANNEL_LOAD_CREDENTIALS"]) as _fh:
        _credentials.update(json.load(_fh))
_sign_in_lock = threading.Lock()


def _signed_in(kind: str, username: str, sign_in) -> dict:
    key = f"{kind}:{username}"
    with _sign_in_lock:
        if key not in _credentials:
            _credentials[key] = sign_in(username)
        return _credentials[key]


def _logins(kind: str, pattern: str) -> list[str]:
    """The logins of one kind run.py signed in (all DISTRIBUTORS when run alone)."""
    names = sorted(k.split(":", 1)[1] for k in _credentials if k.startswith(f"{kind}:"))
    names = [n for n in names if re.fullmatch(pattern, n)]
    return names


def _to_plain(client):
    """From now on every request of this user goes to the plain view (same method, body and name)."""
    request = client.request

    def plain(method, url, *args, **kwargs):
        return request(method, PLAIN_PATH, *args, **kwargs)

    client.request = plain

_paths: set[str] = set()
_paths_lock = threading.Lock()
STATUS_COUNTS: dict[int, int] = {}


@events.request.add_listener
def _count_status(request_type, name, response_time, response_length, response=None, exception=None, **kw):
    code = getattr(response, "status_code", 0) if response is not None else 0
    STATUS_COUNTS[code] = STATUS_COUNTS.get(code, 0) + 1


@events.quitting.add_listener
def _print_statuses(environment, **kw):
    print("status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(STATUS_COUNTS.items())), flush=True)


def _operations(client) -> set[str]:
    with _paths_lock:
        if not _paths and _credentials.get("operations"):
            _paths.update(_credentials["operations"])  # read once by run.py
        if not _paths:
            response = client.get(f"{API}/openapi.json", name="openapi.json")
            if response.status_code == 200:
                for path, operations in response.json()["paths"].items():
                    for method in operations:
                        _paths.add(f"{method.upper()} {path}")
        return _paths


def _check(response, ok=(200, 201, 204)):
    """Answered as designed (success or an expected refusal) → success; 5xx, timeouts → failure."""
    if response.status_code in ok or response.status_code in OK_REFUSALS:
        response.success()
    else:
        response.failure(f"status {response.status_code}")


def _results(response) -> list[dict]:
    try:
        data = response.json()
    except ValueError:
        return []
    return data.get("items", data) if isinstance(data, dict) else data


class ApiUser(HttpUser):
    abstract = True
    wait_time = _think(0.5, 2.0)
    username = "admin"

    def on_start(self):
        self.ops = _operations(self.client)
        token = _signed_in("token", self.pick_username(), self.issue_token).get("token", "")
        self.client.headers["Authorization"] = f"Bearer {token}"
        if PLAIN:
            _to_plain(self.client)  # the set-up's reads too: the plain run never reaches keychannel's views
        self.clients = [c["id"] for c in _results(self.client.get(f"{API}/clients?limit=50", name="GET /clients"))
                        if isinstance(c, dict) and "id" in c] if self.has("GET", "/clients") else []
        self.opportunities = [
            o["id"] for o in _results(self.client.get(f"{API}/opportunities?limit=50", name="GET /opportunities"))
            if isinstance(o, dict) and "id" in o
        ] if self.has("GET", "/opportunities") else []
        self.distributors = [d["id"] for d in _results(self.client.get(f"{API}/distributors?limit=50",
                                                                        name="GET /distributors"))
                             if isinstance(d, dict) and "id" in d]
        self.product_lines = [p["id"] for p in _results(self.client.get(f"{API}/product-lines",
                                                                         name="GET /product-lines"))
                              if isinstance(p, dict) and "id" in p]
        if PLAIN:  # the plain view answers no rows: ids to fill the same paths, so the same tasks run
            self.clients = self.opportunities = self.distributors = self.product_lines = list(range(1, 51))

    def issue_token(self, username: str) -> dict:
        response = self.client.post(f"{API}/auth/token", json={"username": username, "password": PASSWORD,
                                                               "name": "load"}, name="POST /auth/token")
        return {"token": response.json().get("token", "") if response.status_code == 201 else ""}

    def pick_username(self) -> str:
        return self.username

    def pick(self, pattern: str, fallback: str) -> str:
        return random.choice(_logins("token", pattern) or [fallback])

    def has(self, method: str, path: str) -> bool:
        return f"{method} {API}{path}" in self.ops

    def get(self, path: str, name: str, ok=(200,)):
        with self.client.get(f"{API}{path}", name=name, catch_response=True) as response:
            _check(response, ok)
            return response


class DistributorSales(ApiUser):
    weight = 6

    def pick_username(self) -> str:
        return self.pick(r"d\d+-sales", f"d{random.randint(1, DISTRIBUTORS):02d}-sales")

    def read_stakeholders(self, client_id):
        response = self.get(f"/clients/{client_id}/stakeholders", "GET /clients/{id}/stakeholders")
        if PLAIN:  # the plain view answers no rows: ids to fill the same paths, so the same tasks run
            self.stakeholders = [(i, None) for i in range(1, 6)]
        else:
            self.stakeholders = [(s["id"], s.get("version")) for s in _results(response)
                                 if isinstance(s, dict) and "id" in s]

    @task(2)
    def me(self):
        self.get("/me", "GET /me")

    @task(1)
    def distributors(self):
        self.get("/distributors?limit=20", "GET /distributors")

    @task(1)
    def distributor_detail(self):
        if self.distributors:
            self.get(f"/distributors/{random.choice(self.distributors)}", "GET /distributors/{id}")

    @task(3)
    def clients_list(self):
        if self.has("GET", "/clients"):
            self.get(f"/clients?limit=25&offset={random.choice([0, 0, 25])}", "GET /clients")

    @task(1)
    def clients_search(self):
        if self.has("GET", "/clients"):
            self.get(f"/clients?search={random.choice(['SA', 'SRL', 'Grup', 'Tech', 'Ind'])}", "GET /clients?search")

    @task(2)
    def client_detail(self):
        if self.clients and self.has("GET", "/clients/{client_id}"):
            self.get(f"/clients/{random.choice(self.clients)}", "GET /clients/{id}")

    @task(2)
    def buying_centre(self):
        if self.clients and self.has("GET", "/clients/{client_id}/stakeholders"):
            client_id = random.choice(self.clients)
            self.read_stakeholders(client_id)
            if self.has("GET", "/clients/{client_id}/analysis"):
                self.get(f"/clients/{client_id}/analysis", "GET /clients/{id}/analysis")

    @task(1)
    def stakeholder_edit(self):
        stakeholders = getattr(self, "stakeholders", [])
        if stakeholders and self.has("PATCH", "/stakeholders/{stakeholder_id}"):
            stakeholder_id, version = random.choice(stakeholders)
            body = {"attitude": random.randint(-2, 2), "influence": random.randint(1, 5),
                    "last_contact_on": datetime.date.today().isoformat()}
            if version is not None:
                body["version"] = version  # someone else's edit since the read → 409, counted as answered
            with self.client.patch(f"{API}/stakeholders/{stakeholder_id}", json=body,
                                   name="PATCH /stakeholders/{id}", catch_response=True) as response:
                _check(response)
                if response.status_code == 200 and not PLAIN:
                    self.stakeholders = [(i, response.json().get("version") if i == stakeholder_id else v)
                                         for i, v in stakeholders]

    @task(3)
    def pipeline(self):
        if self.has("GET", "/opportunities"):
            self.get("/opportunities?open=true&limit=50", "GET /opportunities?open")

    @task(2)
    def opportunity_detail(self):
        if self.opportunities and self.has("GET", "/opportunities/{opportunity_id}"):
            opportunity_id = random.choice(self.opportunities)
            self.get(f"/opportunities/{opportunity_id}", "GET /opportunities/{id}")
            if self.has("GET", "/opportunities/{opportunity_id}/activities"):
                self.get(f"/opportunities/{opportunity_id}/activities", "GET /opportunities/{id}/activities")

    @task(1)
    def log_activity(self):
        if self.opportunities and self.has("POST", "/opportunities/{opportunity_id}/activities"):
            body = {"subject": "Call with the buyer (load test)", "occurred_on": datetime.date.today().isoformat(),
                    "kind": "call", "outcome": "Agreed on a product test"}
            with self.client.post(f"{API}/opportunities/{random.choice(self.opportunities)}/activities", json=body,
                                  name="POST /opportunities/{id}/activities", catch_response=True) as response:
                _check(response)

    @task(1)
    def duplicate_check(self):
        if self.has("POST", "/clients/duplicate-check"):
            body = {"legal_name": random.choice(["Metalica SRL", "Agro Nord SA", "Grup Industrial"]), "tax_id": ""}
            with self.client.post(f"{API}/clients/duplicate-check", json=body, name="POST /clients/duplicate-check",
                                  catch_response=True) as response:
                _check(response)

    @task(1)
    def register_deal(self):
        if self.has("POST", "/registrations") and self.product_lines:
            n = random.randint(1, 10**6)
            body = {"legal_name": f"Load Test Client {n} SRL", "tax_id": f"RO9{n:07d}", "title": f"Load deal {n}",
                    "product_line_ids": [random.choice(self.product_lines)], "estimated_value": 150000,
                    "expected_close_on": (datetime.date.today() + datetime.timedelta(days=90)).isoformat()}
            with self.client.post(f"{API}/registrations", json=body, name="POST /registrations",
                                  catch_response=True) as response:
                _check(response)

    @task(1)
    def registrations(self):
        if self.has("GET", "/registrations"):
            self.get("/registrations?limit=25", "GET /registrations")



class DistributorHead(ApiUser):
    """A distributor head: the only distributor user allowed to upload sell-out (a salesperson gets 403)."""

    weight = 1

    def pick_username(self) -> str:
        return self.pick(r"d\d+-head", f"d{random.randint(1, DISTRIBUTORS):02d}-head")

    def on_start(self):
        super().on_start()
        # The file names the head's own clients and product codes, so a report can apply (demo data).
        tax_ids = [c.get("tax_id") for c in _results(self.client.get(f"{API}/clients?limit=50", name="GET /clients"))
                   if isinstance(c, dict) and c.get("tax_id")] if self.has("GET", "/clients") else []
        codes = [m.get("product_code") for m in _results(self.client.get(
            f"{API}/product-mappings?limit=50", name="GET /product-mappings")) if isinstance(m, dict)
            and m.get("product_code")] if self.has("GET", "/product-mappings") else []
        self.tax_ids = tax_ids or [f"RO{10_000_000 + i}" for i in range(40)]
        self.codes = codes or [f"P{i}" for i in range(5)]
        self.last_upload = None

    @task(1)
    def me(self):
        self.get("/me", "GET /me")

    @task(2)
    def sales_reports(self):
        if self.has("GET", "/sales-reports"):
            self.get("/sales-reports?limit=25", "GET /sales-reports")

    @task(3)
    def upload_sales_report(self):
        if not self.has("POST", "/sales-reports"):
            return
        if self.last_upload is not None and random.random() < 0.2:
            files, data = self.last_upload  # the same file again: a duplicate, nothing added
        else:
            month = datetime.date.today().replace(day=1) - datetime.timedelta(days=random.randint(1, 300))
            month = month.replace(day=1)
            lines = ["Data factură;CUI client;Cod produs;Cantitate;Valoare fără TVA (RON)"]
            lines += [f"{month.replace(day=1 + i % 28):%d.%m.%Y};{random.choice(self.tax_ids)};"
                      f"{random.choice(self.codes)};{i + 1};{(i + 1) * random.uniform(100, 900):.2f}" for i in range(40)]
            files = {"file": ("vanzari.csv", ("\r\n".join(lines) + "\r\n").encode(), "text/csv")}
            data = {"period": month.strftime("%Y-%m"), "supersede": "true" if random.random() < 0.25 else "false"}
        self.last_upload = (files, data)
        with self.client.post(f"{API}/sales-reports", files=files, data=data, name="POST /sales-reports",
                              catch_response=True) as response:
            _check(response)


class ChannelManager(ApiUser):
    weight = 2
    username = "channel"

    @task(3)
    def distributors(self):
        self.get(f"/distributors?limit=50&sort={random.choice(['code', '-annual_revenue', 'legal_name'])}",
                 "GET /distributors")

    @task(2)
    def distributor_detail(self):
        if self.distributors:
            self.get(f"/distributors/{random.choice(self.distributors)}", "GET /distributors/{id}")

    @task(3)
    def pipeline(self):
        if self.has("GET", "/opportunities"):
            self.get("/opportunities?open=true&limit=100", "GET /opportunities?open")

    @task(1)
    def forecast(self):
        if self.has("GET", "/forecast"):
            self.get(f"/forecast?by={random.choice(['month', 'distributor', 'territory'])}", "GET /forecast")

    @task(1)
    def at_risk(self):
        if self.has("GET", "/clients/at-risk"):
            self.get("/clients/at-risk?limit=25", "GET /clients/at-risk")

    @task(1)
    def contracts(self):
        if self.has("GET", "/contracts"):
            self.get("/contracts?limit=25", "GET /contracts")

    @task(1)
    def me(self):
        self.get("/me", "GET /me")


class PageUser(HttpUser):
    """The browser: signed in through the login form (CSRF) once per login, then reads pages."""

    weight = 2
    wait_time = _think(1.0, 3.0)
    PAGES = [("/", "page /"), ("/network/distributors/", "page distributors"), ("/deals/pipeline/", "page pipeline"),
             ("/deals/", "page opportunities"), ("/deals/contracts/", "page contracts"),
             ("/clients/", "page clients")]

    def on_start(self):
        heads = _logins("session", r"d\d+-head") or [f"d{random.randint(1, DISTRIBUTORS):02d}-head"]
        username = random.choice(["channel", "program", random.choice(heads)])
        session = _signed_in("session", username, self.sign_in)
        for name, value in session.items():
            self.client.cookies.set(name, value)
        # The home is a shell whose panels a browser then loads, one request each (core/cockpit.py, lazy panels):
        # read their URLs before any switch to the plain view, so the plain mix makes as many requests.
        home = self.client.get("/", name="page /")
        self.home_parts = sorted(set(re.findall(r'hx-get="(/home/[^"]+)"', home.text))) if home.ok else []
        if PLAIN:
            _to_plain(self.client)
        # Only the pages that exist in this version (an app that has not landed yet has none).
        self.pages = [(url, name) for url, name in self.PAGES if self.client.get(url, name=name).status_code == 200]
        response = self.client.get("/network/distributors/", name="page distributors")
        self.details = sorted(set(re.findall(r'href="(/network/distributors/\d+/)"', response.text)))[:20]
        response = self.client.get("/deals/", name="page opportunities")
        self.deals = sorted(set(re.findall(r'href="(/deals/\d+/)"', response.text)))[:20]
        if PLAIN:  # the plain view answers no links: paths to fill the same tasks
            self.details = [f"/network/distributors/{i}/" for i in range(1, 21)]
            self.deals = [f"/deals/{i}/" for i in range(1, 21)]

    def sign_in(self, username: str) -> dict:
        """The login form, once per login: the session and CSRF cookies are kept for every user of that login."""
        self.client.get("/login/", name="page login")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post("/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                         headers={"Referer": f"{self.host}/login/"}, name="POST login")
        return {name: self.client.cookies.get(name, "") for name in ("sessionid", "csrftoken")}

    def page(self, url, name):
        with self.client.get(url, name=name, catch_response=True) as response:
            _check(response)
        if url == "/":
            for part in self.home_parts:
                with self.client.get(part, name="page / lazy part", headers={"HX-Request": "true"},
                                     catch_response=True) as response:
                    _check(response)

    @task(4)
    def list_page(self):
        if self.pages:
            self.page(*random.choice(self.pages))

    @task(2)
    def distributor_page(self):
        if self.details:
            self.page(random.choice(self.details), "page distributor detail")

    @task(2)
    def deal_page(self):
        if self.deals:
            self.page(random.choice(self.deals), "page opportunity detail")
