"""The shared runner of the HTTP benchmarks (bench_api.py, bench_search.py): not a benchmark itself.

A script measures a list of endpoints against a bare one, served by gunicorn on 127.0.0.1 from the kept bench
cluster, and reports ratios measured side by side in one run. The steps every such script shares live here:

- :func:`rerun_on_cluster`: without a PostgreSQL ``KEYCHANNEL_DATABASE_URL`` the script re-runs itself under
  ``scripts/pgtest.py run --keep <cluster>``;
- :func:`bench_environment`, :func:`django_setup`, :func:`commit`: the environment of the measured server (DEBUG
  off, a temporary data directory, the rate limit out of reach), Django, the commit being measured;
- :func:`prepare`: the demo network (or only ``migrate`` on a cluster that holds the data set) and
  ``dataset.ensure(scale)``;
- :class:`Server` (gunicorn, started and stopped), :class:`Client` (a bearer token or a session cookie);
- :func:`measure`: warm-up rounds, then rounds over every endpoint interleaved round-robin (one request per
  endpoint per round, so every endpoint sees the same machine), timings and statuses per endpoint;
- :func:`p95`, :func:`machine`, :func:`write_results`;
- :func:`run_sizes`: the same script at several data-set sizes (one kept cluster per size) and one table of each
  endpoint's ratio at every size, flat or not (issue 22 part 5: cost that does not grow with the data).

From a script in ``bench/``, ``sys.path[0]`` is ``bench/``, so ``import runner`` works as is.
"""

from __future__ import annotations

import datetime
import http.cookiejar
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PY = sys.executable
KEEP = ROOT / "var" / "bench" / "pgdata"
# A size's ratio is "flat" when it lies within this fraction of the ratio at the smallest size.
FLAT = 0.30


# ---- environment ------------------------------------------------------------------------------------------


def rerun_on_cluster(script: str, argv: Sequence[str] | None, keep: Path = KEEP) -> int | None:
    """Without a PostgreSQL ``KEYCHANNEL_DATABASE_URL``, run ``script`` again under ``pgtest.py run --keep keep``
    and answer its exit code; ``None`` when the script already runs on PostgreSQL."""
    if os.environ.get("KEYCHANNEL_DATABASE_URL", "").startswith("postgres"):
        return None
    print(f"bench: no PostgreSQL in KEYCHANNEL_DATABASE_URL, using the kept cluster {keep}", flush=True)
    return subprocess.call([PY, str(ROOT / "scripts" / "pgtest.py"), "run", "--keep", str(keep), "--", PY, script,
                            *(argv if argv is not None else sys.argv[1:])])


def bench_environment() -> Path:
    """The measured server's environment (set in ``os.environ``, gunicorn inherits it); answers the temporary
    data directory, removed by the caller."""
    data_dir = Path(tempfile.mkdtemp(prefix="keychannel-bench-"))
    os.environ.update({"KEYCHANNEL_DATA_DIR": str(data_dir), "KEYCHANNEL_DEBUG": "false",
                       "KEYCHANNEL_LOG_LEVEL": "WARNING",
                       "KEYCHANNEL_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                       # one token makes every request: the limiter runs, at a height the bench never reaches
                       "KEYCHANNEL_API_RATE_LIMIT": "10000000/m",
                       # /bench/plain/, the plain Django view bench_api measures /me against (off by default)
                       "KEYCHANNEL_BENCH_VIEWS": "true"})
    return data_dir


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def commit() -> str:
    """The commit gunicorn will serve (read at the start: other commits may land during the run)."""
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "keychannel", "bench"],
                           cwd=ROOT, capture_output=True, text=True).stdout.split()
    changed = sorted({p for p in dirty if "/" in p})
    return (out.stdout.strip() or "?") + (f" + uncommitted {', '.join(changed)}" if changed else "")


def machine() -> str:
    return (f"{platform.node()} · {os.cpu_count()} CPUs · {platform.machine()} · "
            f"Python {platform.python_version()}")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def now_utc() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def has_dataset() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
        if not cur.fetchone()[0]:
            return False
        cur.execute("SELECT count(*) FROM bench_dataset")
        return cur.fetchone()[0] > 0


class PrepareError(RuntimeError):
    """The demo seed, the migration or the data set failed (the message says which)."""


def prepare(scale: float) -> tuple[dict, float]:
    """``keychannel demo --no-serve`` on an empty database (only ``migrate`` on one that holds the data set),
    then ``dataset.ensure(scale)``: answers ``(dataset info, seconds of the seed or migration)``."""
    import dataset
    from django.db import connections

    seeded = has_dataset()
    connections.close_all()
    step = ["migrate", "--no-input", "-v", "0"] if seeded else ["demo", "--no-serve"]
    print(f"bench: {step[0]} …", flush=True)
    started = time.monotonic()
    done = subprocess.run([PY, str(ROOT / "manage.py"), *step], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise PrepareError(f"{step[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    seed_s = time.monotonic() - started
    try:
        info = dataset.ensure(scale, progress=lambda m: print(m, flush=True))
    except dataset.DatasetError as exc:
        raise PrepareError(str(exc)) from exc
    return info, seed_s


def api_tokens(usernames: Sequence[str]) -> dict[str, str]:
    """A fresh bearer token per user (``core.services.api_token_create``). The user's earlier bench tokens are
    revoked first: a kept data set outlives many runs, and a user holds at most KEYCHANNEL_API_TOKENS_PER_USER."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from keychannel.core import services
    from keychannel.core.models import ApiToken
    from keychannel.core.scoping import Principal

    User = get_user_model()
    tokens = {}
    for username in usernames:
        principal = Principal.for_user(User.objects.get(username=username))
        for earlier in ApiToken.objects.active(timezone.now()).filter(user=principal.user, name="bench"):
            services.api_token_revoke(principal=principal, token=earlier)
        _t, tokens[username] = services.api_token_create(principal=principal, name="bench")
    return tokens


def middle(qs):
    """The record in the middle of ``qs`` by pk (``None`` when empty): a typical row, the same on every run."""
    n = qs.count()
    return qs.order_by("pk")[n // 2] if n else None


# ---- HTTP -------------------------------------------------------------------------------------------------


class Client:
    """A bearer token or a session (cookie jar), one urllib opener."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method: str, path: str, body: dict | None = None, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, float, bytes]:
        headers = dict(headers or {})
        data = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as response:
                content, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            content, status = exc.read(), exc.code
        except OSError:
            content, status = b"", 599
        return status, (time.perf_counter() - start) * 1000, content

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def login(self, username: str, password: str) -> None:
        status, _ms, page = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise SystemExit(f"bench: no login form ({status})")
        status, _ms, _page = self.request(
            "POST", "/login/", form={"username": username, "password": password,
                                     "csrfmiddlewaretoken": match.group(1).decode(), "next": "/"},
            headers={"Referer": self.base + "/login/"})
        if status not in (301, 302) or not self.cookie("sessionid"):
            raise SystemExit(f"bench: sign-in of {username} failed ({status})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Server:
    """gunicorn on 127.0.0.1 (a free port) serving ``root``'s code with ``python``; a context manager that waits
    until ``probe`` (a bearer token's ``/api/v1/me``) answers 200 and stops the whole process group after."""

    def __init__(self, workers: int, token: str, *, root: Path = ROOT, python: str = PY, env: dict | None = None):
        self.workers, self.token, self.root, self.python, self.env = workers, token, Path(root), python, env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [self.python, "-m", "gunicorn", "keychannel.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "300", "--log-level", "warning"],
            cwd=self.root, start_new_session=True, env={**os.environ, **(self.env or {})},
        )
        probe = Client(self.base, self.token)
        deadline = time.monotonic() + 90
        while probe.request("GET", "/api/v1/me")[0] != 200:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__(None, None, None)
                raise SystemExit(f"bench: gunicorn ({self.root}) did not start")
            time.sleep(0.3)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def worker_rss_mb(self) -> tuple[list[float], float]:
        """RSS of every worker and of the master, in MB."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return [round(rss_mb(int(p)), 1) for p in out.split()], round(rss_mb(self.process.pid), 1)


# ---- measuring --------------------------------------------------------------------------------------------


def measure(clients: dict[str, Client], chosen: Sequence[tuple], *, requests: int, warmup: int,
            on_response: Callable[[tuple, int, bytes], None] | None = None, progress_every: int = 10) -> dict:
    """``warmup`` rounds, then ``requests`` rounds over ``chosen`` (``(label, who, method, path, body)``; ``who``
    names a client), interleaved round-robin. Answers ``{"timings": {label: [ms]}, "statuses": {label: set},
    "sizes": {label: bytes}, "load_after_warmup": [...]}``; ``on_response(row, status, content)`` sees every
    measured response."""
    for _ in range(warmup):
        for _label, who, method, path, body in chosen:
            clients[who].request(method, path, body=body)
    load_start = load_average()
    timings = {row[0]: [] for row in chosen}
    statuses = {row[0]: set() for row in chosen}
    sizes = {row[0]: 0 for row in chosen}
    started = time.monotonic()
    for i in range(requests):
        for row in chosen:
            label, who, method, path, body = row
            status, ms, content = clients[who].request(method, path, body=body)
            timings[label].append(ms)
            statuses[label].add(status)
            sizes[label] = len(content)
            if on_response is not None:
                on_response(row, status, content)
        if (i + 1) % max(1, requests // progress_every) == 0:
            print(f"bench: round {i + 1}/{requests} ({time.monotonic() - started:.0f}s)", flush=True)
    return {"timings": timings, "statuses": statuses, "sizes": sizes, "load_after_warmup": load_start}


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)]


def server_errors(results: dict) -> list[str]:
    """Labels with a 5xx (or a failed connection, 599) among their statuses."""
    return [label for label, r in results.items() if any(s >= 500 for s in r["statuses"])]


def write_results(out: Path | str, name: str, summary: dict, text: str) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / f"{name}.md").write_text(text)


# ---- several sizes ------------------------------------------------------------------------------------------


def strip_options(argv: Sequence[str], names: Sequence[str]) -> list[str]:
    """``argv`` without the options ``names`` and their values (``--name value`` or ``--name=value``)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in names:
            skip = True
        elif not any(arg.startswith(f"{name}=") for name in names):
            kept.append(arg)
    return kept


def size_key(label: str) -> str:
    """An endpoint's label without the words picked from the data (``?search=termo`` → ``?search=…``): the same
    row at every size."""
    return re.sub(r"((?:search|q)=)[^&\s)]*", r"\1…", label)


def parse_sizes(text: str) -> list[float]:
    sizes = sorted({float(part) for part in text.split(",") if part.strip()})
    if len(sizes) < 2 or any(s <= 0 for s in sizes):
        raise SystemExit("bench: --sizes takes two or more positive scales, e.g. 0.1,0.33,1")
    return sizes


def cluster_for(size: float, keep_pattern: str) -> Path:
    """The kept cluster of one size: ``keep_pattern`` with ``{scale}`` replaced (``var/bench/pgdata-{scale}``)."""
    path = Path(keep_pattern.format(scale=f"{size:g}"))
    return path if path.is_absolute() else ROOT / path


def run_sizes(script: str, name: str, sizes: Sequence[float], argv: Sequence[str], *, keep_pattern: str,
              out: Path, ratio_key: str, ratio_label: str) -> int:
    """Run ``script`` once per size (``--scale size``) on that size's kept cluster, each run writing to
    ``out/sizes-<size>/``, then write and print one table: every endpoint's ``ratio_key`` at each size and whether
    it is flat (every size within ±30 % of the smallest size's ratio). Exit code: the worst of the runs."""
    runs, worst = {}, 0
    for size in sizes:
        keep = cluster_for(size, keep_pattern)
        target = out / f"sizes-{size:g}"
        print(f"bench: == scale {size:g} on {keep}", flush=True)
        code = subprocess.call([PY, str(ROOT / "scripts" / "pgtest.py"), "run", "--keep", str(keep), "--", PY,
                                script, *argv, "--scale", f"{size:g}", "--out", str(target)])
        worst = max(worst, code)
        result = target / f"{name}.json"
        if code in (0, 1) and result.exists():
            runs[size] = json.loads(result.read_text())
        else:
            print(f"bench: the run at scale {size:g} failed (exit {code})", file=sys.stderr)
    if len(runs) < 2:
        return worst or 2
    summary = size_table(runs, ratio_key)
    summary.update({"script": Path(script).name, "ratio": ratio_key, "date": now_utc(), "machine": machine(),
                    "commit": commit()})
    text = render_sizes(summary, ratio_label)
    write_results(out, f"{name}_sizes", summary, text)
    print(text)
    return worst


def size_table(runs: dict[float, dict], ratio_key: str) -> dict:
    """``{"sizes": [...], "rows": {size: rows}, "endpoints": {label: {"ratios": {size: r}, "spread": s, "flat":
    bool}}}``; spread = the largest relative distance of a size's ratio from the smallest size's."""
    sizes = sorted(runs)
    by_key = {s: {size_key(label): r for label, r in runs[s]["endpoints"].items()} for s in sizes}
    labels = [key for key in by_key[sizes[0]] if all(key in by_key[s] for s in sizes)]
    endpoints = {}
    for label in labels:
        ratios = {s: by_key[s][label][ratio_key] for s in sizes}
        base = ratios[sizes[0]]
        spread = max(abs(r - base) / base for r in ratios.values()) if base else 0.0
        endpoints[label] = {"ratios": {f"{s:g}": r for s, r in ratios.items()}, "spread": round(spread, 2),
                            "flat": spread <= FLAT}
    return {"sizes": [f"{s:g}" for s in sizes],
            "rows": {f"{s:g}": runs[s].get("rows", {}) for s in sizes},
            "load_average": {f"{s:g}": runs[s].get("load_average_after") for s in sizes},
            "endpoints": endpoints}


def render_sizes(s: dict, ratio_label: str) -> str:
    sizes = s["sizes"]
    counts = "; ".join(f"scale {size}: " + ", ".join(f"{v:,} {k}" for k, v in list(s["rows"][size].items())[:3])
                       for size in sizes)
    lines = [
        f"{s['script']} at {len(sizes)} sizes, {s['date']}, commit `{s['commit']}`. Machine: {s['machine']}.",
        "",
        f"Data sets: {counts}. Load average after each run: "
        + ", ".join(f"{size}: {s['load_average'][size]}" for size in sizes) + ".",
        "",
        f"Each cell: {ratio_label} at that size (each size its own run, its own bare endpoint). Flat: every size "
        f"within ±{FLAT:.0%} of the smallest size's figure; spread = the largest such distance.",
        "",
        "| endpoint | " + " | ".join(f"scale {size}" for size in sizes) + " | spread | flat |",
        "|---|" + "---:|" * len(sizes) + "---:|---|",
    ]
    for label, e in s["endpoints"].items():
        lines.append(f"| {label} | " + " | ".join(str(e["ratios"][size]) for size in sizes)
                     + f" | {e['spread']:.0%} | {'yes' if e['flat'] else 'NO'} |")
    flat = sum(e["flat"] for e in s["endpoints"].values())
    lines += ["", f"Flat: {flat} of {len(s['endpoints'])} endpoints.", ""]
    return "\n".join(lines)


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
