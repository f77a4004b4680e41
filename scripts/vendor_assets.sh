#!/usr/bin/env bash
# Re-create keychannel/static/vendor/ from the npm registry with pinned versions.
#
#   scripts/vendor_assets.sh            # fetch, verify, copy, write VERSIONS.md
#
# Needs: npm (only to download tarballs with `npm pack`), tar, python3.
# Nothing is installed into the repository: tarballs are fetched into a temp
# dir, checked against the pinned sha512 integrity, and only the needed dist
# files are copied. Trailing sourceMappingURL comments are stripped from every
# copied .js/.css file so Django's ManifestStaticFilesStorage / whitenoise do
# not look for .map files that are not vendored.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO_ROOT/keychannel/static/vendor"

# name|version|licence|sha512 integrity (as reported by `npm view <pkg>@<ver> dist.integrity`)
PACKAGES=(
  "bootstrap|5.3.9|MIT|sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w=="
  "bootstrap-icons|1.13.2|MIT|sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybcPbD96hdD1A=="
  "htmx.org|2.0.11|0BSD|sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
  "echarts|5.6.0|Apache-2.0|sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=="
  "sortablejs|1.15.7|MIT|sha512-Kk8wLQPlS+yi1ZEf48a4+fzHa4yxjC30M/Sr2AnQu+f/MPwvvX9XjZ6OWejiz8crBsLwSq8GHqaxaET7u6ux0A=="
)

# Files to copy per package: "<path inside tarball>|<path under vendor/>"
files_for() {
  case "$1" in
    bootstrap) printf '%s\n' \
      "package/dist/css/bootstrap.min.css|bootstrap/bootstrap.min.css" \
      "package/dist/js/bootstrap.bundle.min.js|bootstrap/bootstrap.bundle.min.js" \
      "package/LICENSE|bootstrap/LICENSE" ;;
    bootstrap-icons) printf '%s\n' \
      "package/font/bootstrap-icons.min.css|bootstrap-icons/bootstrap-icons.min.css" \
      "package/font/fonts/bootstrap-icons.woff|bootstrap-icons/fonts/bootstrap-icons.woff" \
      "package/font/fonts/bootstrap-icons.woff2|bootstrap-icons/fonts/bootstrap-icons.woff2" \
      "package/LICENSE|bootstrap-icons/LICENSE" ;;
    htmx.org) printf '%s\n' \
      "package/dist/htmx.min.js|htmx/htmx.min.js" \
      "package/LICENSE|htmx/LICENSE" ;;
    echarts) printf '%s\n' \
      "package/dist/echarts.min.js|echarts/echarts.min.js" \
      "package/LICENSE|echarts/LICENSE" \
      "package/NOTICE|echarts/NOTICE" ;;
    sortablejs) printf '%s\n' \
      "package/Sortable.min.js|sortablejs/Sortable.min.js" \
      "package/LICENSE|sortablejs/LICENSE" ;;
    *) echo "unknown package $1" >&2; return 1 ;;
  esac
}

for tool in npm tar python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "vendor_assets: '$tool' is required" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/keychannel-vendor.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/vendor"
mkdir -p "$STAGE" "$WORK/tarballs"

# Deletes whole-line sourceMappingURL comments (//# ... and /*# ... */), which
# are the only form Django's ManifestStaticFilesStorage rewrites, then fails if
# any reference is left anywhere in the file.
strip_source_maps() {
  python3 - "$1" <<'PY'
import re, sys
path = sys.argv[1]
with open(path, "rb") as fh:
    data = fh.read()
pattern = re.compile(rb"^[ \t]*(?://[#@][ \t]*sourceMappingURL=[^\r\n]*|/\*[#@][ \t]*sourceMappingURL=[^\r\n]*?\*/)[ \t]*(?:\r?\n|$)", re.M)
data = pattern.sub(b"", data)
if b"sourceMappingURL" in data:
    sys.exit(f"vendor_assets: {path} still mentions sourceMappingURL after stripping")
with open(path, "wb") as fh:
    fh.write(data)
PY
}

integrity_of() {
  python3 - "$1" <<'PY'
import base64, hashlib, sys
with open(sys.argv[1], "rb") as fh:
    print("sha512-" + base64.b64encode(hashlib.sha512(fh.read()).digest()).decode())
PY
}

declare -A TARBALL
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r name version licence integrity <<<"$entry"
  echo "==> $name@$version"
  tarball="$(cd "$WORK/tarballs" && npm pack "$name@$version" --silent --pack-destination "$WORK/tarballs" | tail -n 1)"
  path="$WORK/tarballs/$tarball"
  [[ -f "$path" ]] || { echo "vendor_assets: npm pack did not produce $path" >&2; exit 1; }
  actual="$(integrity_of "$path")"
  if [[ "$actual" != "$integrity" ]]; then
    echo "vendor_assets: integrity mismatch for $tarball" >&2
    echo "  expected $integrity" >&2
    echo "  actual   $actual" >&2
    exit 1
  fi
  TARBALL[$name]="$tarball"
  unpack="$WORK/unpack/$name"
  mkdir -p "$unpack"
  tar -xzf "$path" -C "$unpack"
  while IFS='|' read -r src dst; do
    [[ -f "$unpack/$src" ]] || { echo "vendor_assets: $tarball has no $src" >&2; exit 1; }
    mkdir -p "$(dirname "$STAGE/$dst")"
    cp "$unpack/$src" "$STAGE/$dst"
    chmod 0644 "$STAGE/$dst"
    case "$dst" in
      *.js|*.css) strip_source_maps "$STAGE/$dst" ;;
    esac
    echo "    $dst"
  done < <(files_for "$name")
done

# bootstrap-icons.min.css refers to its fonts relatively; make sure they resolve.
css="$STAGE/bootstrap-icons/bootstrap-icons.min.css"
for font in fonts/bootstrap-icons.woff2 fonts/bootstrap-icons.woff; do
  grep -q "url(\"$font?" "$css" || { echo "vendor_assets: $css no longer references $font" >&2; exit 1; }
done

# ---- VERSIONS.md -----------------------------------------------------------
{
  echo "# Vendored front-end assets"
  echo
  echo "Generated by \`scripts/vendor_assets.sh\` — do not edit by hand; change the"
  echo "pinned versions in that script and re-run it. Every package is downloaded"
  echo "from the npm registry with \`npm pack <name>@<version>\`, checked against the"
  echo "pinned sha512 integrity, and only the files below are copied. Nothing is"
  echo "loaded from a CDN."
  echo
  echo "| Package | Version | npm tarball | Files copied (under \`static/vendor/\`) | Licence |"
  echo "|---|---|---|---|---|"
  for entry in "${PACKAGES[@]}"; do
    IFS='|' read -r name version licence integrity <<<"$entry"
    list=""
    while IFS='|' read -r src dst; do
      list+="${list:+<br>}\`$dst\`"
    done < <(files_for "$name")
    echo "| $name | $version | \`${TARBALL[$name]}\` | $list | $licence |"
  done
  echo
  echo "## Notes"
  echo
  echo "- **Source maps:** the trailing \`sourceMappingURL\` comment has been stripped"
  echo "  from every copied \`.js\` and \`.css\` file (and no \`.map\` files are vendored),"
  echo "  so Django's \`ManifestStaticFilesStorage\` / whitenoise \`collectstatic\` does"
  echo "  not fail on missing maps. The script fails if any reference remains."
  echo "- **Fonts:** \`bootstrap-icons.min.css\` loads \`fonts/bootstrap-icons.woff2\`"
  echo "  and \`fonts/bootstrap-icons.woff\` relative to itself; keep the folder layout."
  echo "- **Licences:** each package's \`LICENSE\` (and echarts' \`NOTICE\`, required by"
  echo "  Apache-2.0) is copied next to its files."
  echo
  echo "## Tarball integrity (npm \`dist.integrity\`)"
  echo
  echo "| Tarball | Integrity |"
  echo "|---|---|"
  for entry in "${PACKAGES[@]}"; do
    IFS='|' read -r name version licence integrity <<<"$entry"
    echo "| \`${TARBALL[$name]}\` | \`$integrity\` |"
  done
  echo
  echo "## SHA-256 of the copied files (after stripping)"
  echo
  echo '```'
  (cd "$STAGE" && find . -type f ! -name VERSIONS.md | LC_ALL=C sort | sed 's#^\./##' | xargs sha256sum)
  echo '```'
} >"$STAGE/VERSIONS.md"

# ---- install ----------------------------------------------------------------
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
cp -R "$STAGE" "$DEST"
echo "==> wrote $DEST"
(cd "$DEST" && find . -type f | LC_ALL=C sort | sed 's#^\./#    #')
