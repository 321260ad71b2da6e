#!/usr/bin/env bash
# Renders the simulate HTML report in headless Chromium and saves a
# screenshot, to check the page draws (charts included) with no network.
# Installs Debian's chromium when it is missing (root, apt).
#   bash tests/bench/report_render.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/report.png}"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
cargo build --release --quiet
target/release/guardctl simulate examples/policies examples/agents --traces examples/traces/payments.jsonl \
  --baseline examples/policies/tenant.yaml --report target/report.html >/dev/null
profile="$(mktemp -d)"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1100,2200 --screenshot="$out" \
  "file://$PWD/target/report.html" 2>/dev/null
rm -rf "$profile"
test -s "$out"
echo "rendered target/report.html to $out ($(stat -c %s "$out") bytes)"
