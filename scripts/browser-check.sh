#!/usr/bin/env bash
# Opens the HTML report in a real browser (headless Chromium, Debian's `chromium` package) and fails
# when the page logs a console error or a chart has no size. Builds a small shop first with the real
# binary: two currencies, a holdout, send runs every 6 hours for a week, orders, reconcile, then
# `report --roi --format html`. Leaves for a person to look at:
#   target/report.png   a screenshot (1200×1600)
#   target/report.pdf   the page printed to PDF
#   target/browser-check/report.html and check.html (the page with the measuring script added)
#
#   scripts/browser-check.sh            # skips, with a message, when chromium is not installed
#   scripts/browser-check.sh --require  # CI: a missing chromium is a failure
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/target/browser-check"
BIN="${CARTNUDGE_BIN:-}"
log() { echo "browser-check: $*" >&2; }

# CHROMIUM=/path/to/chrome overrides the search.
if [ -z "${CHROMIUM:-}" ]; then
    for c in chromium chromium-browser google-chrome; do
        CHROMIUM=$(command -v "$c" || true)
        [ -n "$CHROMIUM" ] && break
    done
fi
if [ ! -x "$CHROMIUM" ]; then
    if [ "${1:-}" = "--require" ] || [ -n "${CI:-}" ]; then
        log "FAIL: chromium not found; install it: sudo apt-get install -y chromium"
        exit 1
    fi
    log "skipped: chromium is not installed (sudo apt-get install -y chromium to run this check)"
    exit 0
fi
if [ -z "$BIN" ]; then
    (cd "$ROOT" && cargo build --quiet)
    BIN="$ROOT/target/debug/cartnudge"
fi

rm -rf "$OUT" && mkdir -p "$OUT/shop"
cd "$OUT/shop"
cat >cartnudge.toml <<'EOF'
[store]
name = "Browser Check <Shop> & Co"
timezone = "Europe/Moscow"
default_region = "RU"

[source]
kind = "csv"
path = "carts.csv"

[orders]
kind = "csv"
path = "orders.csv"

[rules]
holdout_percent = 20
holdout_salt = "browser"
[rules.min_cart_value]
RUB = "3000"
USD = "60"

[message]
link = "https://shop.example/c/{cart_id}"
[message.cost_per_segment]
RUB = "4.50"

[gateway]
kind = "file"
path = "outbox.jsonl"
limit = 40

[report]
currency = "EUR"
[report.rates]
RUB = "0.0105"
USD = "0.92"
EOF
# 400 carts over six days (every fifth in USD), about 30% of them ordered 2 to 40 hours later.
# Plain POSIX awk (Debian's default is mawk): times are minutes after 2026-11-01T00:00Z.
LC_ALL=C awk 'function at(m) { return sprintf("2026-11-%02dT%02d:%02d:00Z", 1 + int(m / 1440), int(m % 1440 / 60), m % 60) }
BEGIN {
    srand(7)
    print "cart_id,name,phone,total,currency,updated_at,consent,timezone" > "carts.csv"
    print "order_id,cart_id,total,currency,created_at" > "orders.csv"
    for (i = 0; i < 400; i++) {
        m = 360 + int(rand() * 6 * 1440)
        usd = (i % 5 == 0)
        total = usd ? 60 + int(rand() * 340) : 3000 + int(rand() * 27000)
        phone = usd ? sprintf("+1415555%04d", i) : sprintf("+7912%07d", i)
        printf "k%04d,Anna,%s,%d,%s,%s,%d,%s\n", i, phone, total, usd ? "USD" : "RUB", at(m),
            (i % 7 != 0), usd ? "America/New_York" : "Europe/Moscow" > "carts.csv"
        if (rand() < 0.3)
            printf "o%d,k%04d,%d.00,%s,%s\n", i, i, total, usd ? "USD" : "RUB",
                at(m + 120 + int(rand() * 38 * 60)) > "orders.csv"
    }
}'
for day in 01 02 03 04 05 06 07; do
    for hour in 00 06 12 18; do
        "$BIN" --quiet --now "2026-11-${day}T${hour}:00:00Z" send >/dev/null || true
    done
done
"$BIN" --quiet --now 2026-11-09T12:00:00Z reconcile --no-delivery
"$BIN" --quiet --now 2026-11-09T12:00:00Z report --roi --since 2026-11-01 --until 2026-11-07 \
    --format html --output "$OUT/report.html"

grep -q '<title>Browser Check &lt;Shop&gt; &amp; Co: SMS reminders, 1–7 Nov 2026</title>' "$OUT/report.html" ||
    { log "FAIL: the page title lacks the shop name or the period"; exit 1; }

# The test copy: one script records errors from the start, one measures the charts at the end and
# writes the verdict into the DOM, which --dump-dom prints.
cat >"$OUT/first.js" <<'JS'
window.__errors = [];
addEventListener("error", function (e) { __errors.push(String(e.message)); });
(function () {
  var f = console.error;
  console.error = function () { __errors.push([].join.call(arguments, " ")); f.apply(console, arguments); };
})();
JS
cat >"$OUT/last.js" <<'JS'
(function () {
  var bad = [], size = function (el) { var r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  var charts = document.querySelectorAll("svg.chart"), bars = document.querySelectorAll("svg.chart rect.bar");
  var nonzero = 0, titles = document.querySelectorAll("svg.chart text.axis-title");
  if (charts.length < 2) bad.push("expected at least 2 charts, found " + charts.length);
  charts.forEach(function (c, i) { if (!size(c)) bad.push("chart " + i + " has no size"); });
  bars.forEach(function (b, i) {
    if (parseFloat(b.getAttribute("data-value")) > 0) { nonzero++; if (!size(b)) bad.push("bar " + i + " has no size"); }
  });
  if (nonzero === 0) bad.push("no bar has a value");
  if (titles.length < 2 * charts.length) bad.push("axis titles missing");
  titles.forEach(function (t, i) { if (!size(t)) bad.push("axis title " + i + " has no size"); });
  var verdict = bad.length || window.__errors.length ? "FAIL" : "OK";
  var pre = document.createElement("pre");
  pre.id = "browser-check";
  pre.textContent = verdict + " " + JSON.stringify({charts: charts.length, bars: bars.length, nonzero: nonzero,
    problems: bad, errors: window.__errors});
  document.body.appendChild(pre);
})();
JS
awk -v first="$OUT/first.js" -v last="$OUT/last.js" '
    /^<head>$/ { print; print "<script>"; while ((getline l < first) > 0) print l; print "</script>"; next }
    /^<\/body>$/ { print "<script>"; while ((getline l < last) > 0) print l; print "</script>" }
    { print }' "$OUT/report.html" >"$OUT/check.html"

chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --no-first-run --user-data-dir="$(mktemp -d)" \
        --enable-logging=stderr --v=0 "$@"
}
chrome --dump-dom "file://$OUT/check.html" >"$OUT/dom.html" 2>"$OUT/chromium-check.log"
chrome --screenshot="$ROOT/target/report.png" --window-size=1200,1600 --hide-scrollbars \
    "file://$OUT/report.html" 2>"$OUT/chromium-screenshot.log"
chrome --print-to-pdf="$ROOT/target/report.pdf" --no-pdf-header-footer \
    "file://$OUT/report.html" 2>"$OUT/chromium-pdf.log"

status=0
verdict=$(grep -o '<pre id="browser-check">[^<]*' "$OUT/dom.html" | sed 's/.*">//' || true)
if [[ "$verdict" != OK* ]]; then
    log "FAIL: ${verdict:-the measuring script did not run (see $OUT/chromium-check.log)}"
    status=1
fi
if grep -hE 'CONSOLE|Uncaught' "$OUT"/chromium-*.log; then
    log "FAIL: the page logged console messages (above)"
    status=1
fi
[ -s "$ROOT/target/report.png" ] || { log "FAIL: no screenshot"; status=1; }
head -c 4 "$ROOT/target/report.pdf" 2>/dev/null | grep -q '%PDF' || { log "FAIL: no PDF"; status=1; }
[ $status -eq 0 ] && log "OK ${verdict#OK }; screenshot target/report.png, PDF target/report.pdf"
exit $status
