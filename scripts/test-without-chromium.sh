#!/usr/bin/env bash
# Run the test suite as on a machine without Chromium: a PATH from which every chromium
# executable is hidden. Browser and image tests must skip (one line saying how to install
# Chromium), everything else must pass. Extra arguments go to pytest (e.g. -m "not browser").
set -euo pipefail
cd "$(dirname "$0")/.."

hidden="$(mktemp -d)"
trap 'rm -rf "$hidden"' EXIT
# One folder of links to every command on the PATH except the Chromium family.
IFS=: read -ra folders <<<"$PATH"
for folder in "${folders[@]}"; do
    [ -d "$folder" ] || continue
    for command in "$folder"/*; do
        name="$(basename "$command")"
        case "$name" in chromium* | google-chrome* | chrome) continue ;; esac
        if [ -x "$command" ] && [ ! -e "$hidden/$name" ]; then
            ln -s "$command" "$hidden/$name"
        fi
    done
done

PATH="$hidden" OBSERVATOIRE_REQUIRE_BROWSER=0 OBSERVATOIRE_CHROMIUM=/nonexistent \
    .venv/bin/python -m pytest -p no:cacheprovider "$@"
