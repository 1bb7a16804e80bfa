#!/usr/bin/env bash
# The system packages the dashboard and its tests use: Debian's Chromium (image exports,
# browser tests) and fonts. The one place that installs them, used by `make run`,
# `make test` and `.ci/run`. Installs only when something is missing and this machine can
# (root, apt-get); otherwise says in one line what is missing and carries on: everything
# but image exports and browser tests works without Chromium.
# --required: fail instead (CI).
set -uo pipefail

required=0
[ "${1:-}" = "--required" ] && required=1

missing() {
    ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi dejavu
}

if ! missing; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de Chromium et des polices (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fontconfig \
            >/dev/null 2>&1; then
        exit 0
    fi
fi
if [ "$required" = "1" ]; then
    echo "Chromium ou les polices manquent et n'ont pas pu être installés" \
        "(apt-get install chromium fonts-dejavu-core)." >&2
    exit 1
fi
echo "Chromium absent : l'export d'images et les tests navigateur sont désactivés" \
    "(pour les activer : apt-get install chromium fonts-dejavu-core)."
exit 0
