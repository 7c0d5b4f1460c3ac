#!/bin/bash
# svg-check.sh SVG COLUMNS: render SVG in headless Chromium (Debian's chromium) and check the
# screenshot: not blank (it has coloured heatmap cells), and the grid shows COLUMNS columns
# (tests/png-columns.py counts them). Exit 0 when both hold; 77 when Chromium is missing.
set -uo pipefail
svg=$(realpath "$1") cols=$2
dir=$(dirname "$0")
chrome=$(command -v chromium || command -v chromium-browser) || { echo "no chromium"; exit 77; }
w=$(grep -o '<svg [^>]*' "$svg" | sed -n 's/.* width="\([0-9]*\)".*/\1/p')
h=$(grep -o '<svg [^>]*' "$svg" | sed -n 's/.* height="\([0-9]*\)".*/\1/p')
[ -n "$w" ] && [ -n "$h" ] || { echo "svg-check: no width/height in $svg"; exit 1; }
png=$(mktemp --suffix=.png) prof=$(mktemp -d)
# --no-sandbox: tests run as root; a fresh profile so nothing is shared between runs.
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$prof" --force-device-scale-factor=1 --window-size="$w,$h" \
	--screenshot="$png" "file://$svg" >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] && [ -s "$png" ] || { echo "svg-check: chromium failed (status $rc)"; rm -rf "$png" "$prof"; exit 1; }
python3 "$dir/png-columns.py" "$png" "$cols"
rc=$?
rm -rf "$png" "$prof"
exit $rc
