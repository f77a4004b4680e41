#!/usr/bin/env python
"""Duplicate check at scale: build N clients, then time ``client_find_duplicates`` next to a bare SELECT by tax id.

    .venv/bin/python bench/bench_duplicates.py                 # 200 000 clients in a throw-away SQLite db
    .venv/bin/python bench/bench_duplicates.py --n 50000
    KEYCHANNEL_DATABASE_URL=postgres://… .venv/bin/python bench/bench_duplicates.py --use-configured-db

The names are synthetic but varied like real ones (invented brand words, trade words, every spelling of the
legal forms); the probes are existing names re-typed with the usual differences (case, diacritics
ș/ş ț/ţ, another legal form, a typo, a missing word) and unknown names. Prints timings as a ratio to the
bare indexed SELECT measured in the same run, and the recall of the perturbed probes. ``--use-configured-db``
writes N rows into the configured database and deletes them afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYLLABLES = ["ro", "ma", "te", "vi", "ca", "do", "la", "ni", "sa", "tu", "mi", "ra", "ko", "pe", "li", "za", "ve",
             "no", "ar", "el", "or", "an", "in", "ex", "al", "be", "fi", "gu", "ha", "ju", "ci", "de", "mo", "pa",
             "si", "ta", "vo", "bu", "ge", "ze"]
TRADES = ["Construct", "Logistic", "Impex", "Trading", "Prod", "Serv", "Agro", "Metal", "Plast", "Farm", "Tehnic",
          "Industrial", "Energie", "Transport", "Grup", "Distribuție", "Mobila", "Textile", "Auto", "Consult"]
FORMS = ["SRL", "S.R.L.", "SA", "S.A.", "srl", "S.C. {} SRL", "SC {} S.A.", "SCS", "SNC", "GmbH", "LLC", "OOO {}"]
FOLD = str.maketrans({"ș": "ş", "ț": "ţ", "Ș": "Ş", "Ț": "Ţ"})


def brand(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def company_name(rng):
    words = [brand(rng)] + rng.sample(TRADES, k=rng.randint(1, 2))
    if rng.random() < 0.3:
        words.insert(1, brand(rng))
    form = rng.choice(FORMS)
    core = " ".join(words)
    return form.format(core) if "{}" in form else f"{core} {form}"


def perturb(rng, name):
    from keychannel.clients.matching import normalize_company_name

    words = normalize_company_name(name).split()
    kind = rng.choice(["case", "form", "typo", "drop", "diacritics"])
    if kind == "typo" and len(words[-1]) > 4:
        w = words[-1]
        i = rng.randint(1, len(w) - 2)
        words[-1] = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    elif kind == "drop" and len(words) > 2:
        words.pop(rng.randint(1, len(words) - 1))
    text = " ".join(words)
    if kind == "case":
        return name.upper()
    if kind == "diacritics":
        return name.translate(FOLD)
    return f"S.C. {text.title()} S.R.L." if kind != "form" else f"{text.upper()} SA"


def measure(fn, *args):
    """(milliseconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - start) * 1000, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--use-configured-db", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    tmp = None
    if not args.use_configured_db:
        tmp = tempfile.TemporaryDirectory(prefix="kc-bench-dup-")
        os.environ["KEYCHANNEL_DATA_DIR"] = tmp.name
        os.environ["KEYCHANNEL_DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keychannel.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from keychannel.clients.matching import name_keys, normalize_company_name
    from keychannel.clients.models import CorporateClient
    from keychannel.clients.selectors import client_find_duplicates
    from keychannel.core.choices import Role
    from keychannel.core.scoping import Principal

    if tmp is not None:
        call_command("migrate", "clients", verbosity=0)
    rng = random.Random(args.seed)
    marker = "BENCH"
    rows, names, seen_tax = [], [], set()
    start = time.perf_counter()
    for i in range(args.n):
        name = company_name(rng)
        normalized = normalize_company_name(name)
        key1, key2 = name_keys(normalized)
        tax = str(10_000_000 + i * 7 + rng.randint(0, 6))
        seen_tax.add(tax)
        rows.append(CorporateClient(legal_name=name, normalized_name=normalized, name_key=key1, name_key2=key2,
                                    tax_id=tax, code=f"{marker}{i}"))
        names.append((name, tax))
    CorporateClient._base_manager.bulk_create(rows, batch_size=5000)
    build = time.perf_counter() - start
    print(f"database: {connection.vendor}; {args.n:,} clients built in {build:.1f} s")

    class _User:
        pk = 0
        is_authenticated = True

    principal = Principal(user=_User(), role=str(Role.ADMIN))
    scoped = Principal(user=_User(), role=str(Role.CHANNEL_MANAGER))
    scoped.__dict__["distributor_ids"] = frozenset({1, 2, 3})  # a reach that sees none of them: isolation path
    probes = []
    for _ in range(args.probes):
        name, tax = rng.choice(names)
        probes.append(("perturbed", perturb(rng, name), "", normalize_company_name(name)))
    for _ in range(args.probes // 4):
        name, tax = rng.choice(names)
        probes.append(("tax id", "Other Name SRL", f"RO{tax}", None))
    for _ in range(args.probes // 4):
        probes.append(("unknown", company_name(rng), "", None))

    # Warm caches once, then measure each probe, interleaving the bare SELECT so both see the same machine.
    client_find_duplicates(principal=principal, legal_name=probes[0][1], tax_id=probes[0][2])
    timings = {"check": [], "check (no reach)": [], "bare select": []}
    found = {"perturbed": [0, 0], "tax id": [0, 0]}
    for kind, name, tax, original in probes:
        bare_tax = rng.choice(names)[1]
        elapsed, _rows = measure(lambda v: list(CorporateClient._base_manager.filter(tax_id=v).values_list("pk")[:1]),
                                 bare_tax)
        timings["bare select"].append(elapsed)
        elapsed, result = measure(lambda n, t: client_find_duplicates(principal=principal, legal_name=n, tax_id=t),
                                  name, tax)
        timings["check"].append(elapsed)
        elapsed, _other = measure(lambda n, t: client_find_duplicates(principal=scoped, legal_name=n, tax_id=t),
                                  name, tax)
        timings["check (no reach)"].append(elapsed)
        if kind in found:
            found[kind][1] += 1
            if kind == "tax id":
                found[kind][0] += result.exact
            else:
                found[kind][0] += any(c.client.normalized_name == original for c in result.candidates)

    base = statistics.median(timings["bare select"])
    print(f"{'':22}{'median ms':>10}{'p95 ms':>10}{'ratio to bare SELECT':>22}")
    for label, values in timings.items():
        values = sorted(values)
        med, p95 = statistics.median(values), values[int(len(values) * 0.95) - 1]
        print(f"{label:22}{med:10.2f}{p95:10.2f}{med / base:22.1f}")
    for kind, (hit, total) in found.items():
        print(f"recall {kind:12} {hit}/{total} ({100 * hit / max(total, 1):.0f}%)")
    if args.use_configured_db:
        CorporateClient._base_manager.filter(code__startswith=marker).delete()
    if tmp is not None:
        connection.close()
        tmp.cleanup()


if __name__ == "__main__":
    main()
