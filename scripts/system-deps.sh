#!/usr/bin/env bash
# The system packages the dashboard and its tests use: Debian's Chromium (image exports,
# browser tests), fonts, PostgreSQL (the DuckLake tests start their own server), Pango for
# WeasyPrint (the PDF fiche) and poppler-utils (the fiche's tests read it with pdfinfo). The
# one place that installs them, used by `make run`, `make test` and `.ci/run`. Installs only
# when something is missing and this machine can (root, apt-get); otherwise says in one line
# what is missing and carries on: everything but image exports and browser tests works
# without Chromium.
# --required: fail instead (CI).
set -uo pipefail

required=0
[ "${1:-}" = "--required" ] && required=1

missing() {
    ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi dejavu ||
        ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
        ! command -v pdfinfo >/dev/null 2>&1 ||
        ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0
}

if ! missing; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de Chromium, des polices et de PostgreSQL (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fontconfig \
            postgresql libpango-1.0-0 libpangoft2-1.0-0 poppler-utils \
            >/dev/null 2>&1; then
        exit 0
    fi
fi
if [ "$required" = "1" ]; then
    echo "Chromium, les polices, PostgreSQL, Pango ou poppler-utils manquent et n'ont pas pu" \
        "être installés (apt-get install chromium fonts-dejavu-core postgresql" \
        "libpangoft2-1.0-0 poppler-utils)." >&2
    exit 1
fi
echo "Chromium ou PostgreSQL absent : l'export d'images, les tests navigateur ou les tests" \
    "DuckLake sont désactivés (apt-get install chromium fonts-dejavu-core postgresql)."
exit 0
