"""Translation catalogs: extract, report and fill them.

    python scripts/i18n.py extract              # makemessages for every language, the project's options
    python scripts/i18n.py status               # untranslated and fuzzy entries per language
    python scripts/i18n.py untranslated ro [N]  # the first N untranslated entries of one language, as JSON
    python scripts/i18n.py apply FILE.json ...  # fill the catalogs from translation files (see below)
    python scripts/i18n.py compile              # .po -> .mo (polib, so no gettext tools are needed to run)

A translation file is a JSON object keyed by msgid (``"context\\u0004msgid"`` for a pgettext entry):
    {"Deal": {"ro": "Oportunitate", "ru": "Сделка"},
     "%(n)s deal": {"plural": "%(n)s deals", "ro": ["…", "…", "…"], "ru": ["…", "…", "…"]}}
Languages may be given alone (a file with only "ro" values fills only Romanian). A plural entry gives one
form per the catalog's Plural-Forms. ``apply`` fills an entry that is empty or fuzzy and clears its fuzzy
flag; it never overwrites a finished translation unless --force is given. Keys the catalog does not have are
reported (a string that changed in the code since the file was written) and ignored.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "keychannel"
LOCALE = PACKAGE / "locale"
LANGUAGES = ("ro", "ru")
# Strings in tests and in demo data are not user interface; static/ holds vendored files.
IGNORE = ("static/*", "*/tests/*", "demo/*")
HEADERS = {
    "ro": {"Language": "ro", "Language-Team": "Romanian",
           "Plural-Forms": "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2);"},
    "ru": {"Language": "ru", "Language-Team": "Russian",
           "Plural-Forms": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
                           "(n%100<10 || n%100>=20) ? 1 : 2);"},
}


def catalog_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def makemessages_args() -> list[str]:
    args = [sys.executable, str(ROOT / "manage.py"), "makemessages", "--no-obsolete", "--no-location", "--no-wrap"]
    for lang in LANGUAGES:
        args += ["-l", lang]
    for pattern in IGNORE:
        args += ["--ignore", pattern]
    return args


def extract(package: Path = PACKAGE) -> None:
    """makemessages for every language into ``package``/locale (a copy of the package: see extract_copy)."""
    subprocess.run(makemessages_args(), cwd=package, check=True, capture_output=package != PACKAGE)
    if package != PACKAGE:
        return
    for lang in LANGUAGES:
        po = polib.pofile(str(catalog_path(lang)), wrapwidth=0)
        po.metadata.update(HEADERS[lang])
        po.metadata["Project-Id-Version"] = "keychannel"
        po.header = "keychannel user interface."
        po.metadata_is_fuzzy = []
        po.save()


def extract_copy(target: Path) -> Path:
    """Extract into a copy of the package's sources and catalogs under ``target``; the catalogs in the copy are
    what ``extract`` would write, the real ones stay untouched. Returns the copy's locale folder."""
    import shutil

    copy = target / "keychannel"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo", "*.pyc"))
    extract(copy)
    return copy / "locale"


def key_of(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid


def is_done(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def status() -> int:
    missing = 0
    for lang in LANGUAGES:
        po = polib.pofile(str(catalog_path(lang)))
        todo = [e for e in po if not e.obsolete and not is_done(e)]
        missing += len(todo)
        print(f"{lang}: {len(po)} entries, {len(todo)} untranslated or fuzzy")
    return 1 if missing else 0


def untranslated(lang: str, limit: int | None) -> None:
    po = polib.pofile(str(catalog_path(lang)))
    todo = {}
    for entry in po:
        if entry.obsolete or is_done(entry):
            continue
        todo[key_of(entry)] = {"plural": entry.msgid_plural} if entry.msgid_plural else {}
        if limit and len(todo) >= limit:
            break
    print(json.dumps(todo, ensure_ascii=False, indent=1))


def apply(files: list[str], force: bool) -> None:
    data: dict[str, dict] = {}
    for name in files:
        for key, value in json.loads(Path(name).read_text(encoding="utf-8")).items():
            data.setdefault(key, {}).update(value)
    for lang in LANGUAGES:
        po = polib.pofile(str(catalog_path(lang)), wrapwidth=0)
        entries = {key_of(e): e for e in po if not e.obsolete}
        filled = unknown = 0
        for key, value in data.items():
            if lang not in value:
                continue
            entry = entries.get(key)
            if entry is None:
                unknown += 1
                continue
            if is_done(entry) and not force:
                continue
            text = value[lang]
            if entry.msgid_plural:
                forms = text if isinstance(text, list) else [text]
                entry.msgstr_plural = {i: form for i, form in enumerate(forms)}
            else:
                entry.msgstr = text
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            filled += 1
        po.save()
        print(f"{lang}: filled {filled}, not in the catalog {unknown}")


def compile_catalogs() -> None:
    for lang in LANGUAGES:
        po = polib.pofile(str(catalog_path(lang)))
        po.save_as_mofile(str(catalog_path(lang).with_suffix(".mo")))


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "extract":
        extract()
    elif command == "compile":
        compile_catalogs()
    elif command == "status":
        return status()
    elif command == "untranslated":
        untranslated(rest[0], int(rest[1]) if len(rest) > 1 else None)
    elif command == "apply":
        force = "--force" in rest
        apply([r for r in rest if r != "--force"], force)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
