#!/usr/bin/env bash
# Behaviour snapshot for refactors and optimisations: writes scan JSON, the dry-run audit, send's
# ledger, outbox and audit, reconcile's ledger and report JSON for a generated export into OUTDIR.
# Run it before and after a change and `diff -r` the two folders: they must be identical.
#   scripts/golden.sh OUTDIR [N=100000] [BIN=target/debug/cartnudge]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "$1")
n=${2:-100000}
bin=$(realpath "${3:-target/debug/cartnudge}")
cargo build --quiet --example gen_carts
gen=target/debug/examples/gen_carts
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/cartnudge.toml" <<'TOML'
[store]
name = "Golden"
timezone = "Europe/Moscow"
default_region = "RU"
[source]
kind = "csv"
path = "carts.csv"
[orders]
kind = "csv"
path = "orders.csv"
[rules]
max_segments = 2
holdout_percent = 10
TOML
cat bench/min_cart_value.toml >> "$work/cartnudge.toml"
cat >> "$work/cartnudge.toml" <<'TOML'
[message.cost_per_segment]
RUB = "4.50"
[gateway]
kind = "file"
path = "outbox.jsonl"
TOML
"$gen" "$n" > "$work/carts.csv"
"$gen" "$n" orders > "$work/orders.csv"
now=2026-11-22T07:30:00Z
later=2026-11-25T07:30:00Z
run() { (cd "$work" && "$bin" --config cartnudge.toml "$@"); }
dump() { sqlite3 "$work/cartnudge.db" .dump | grep -v -E "INSERT INTO (runs|schema_version)" > "$1"; }
run --now $now scan --format json > "$out/scan.jsonl"
run --now $now scan --all --format json > "$out/scan-all.jsonl"
run --now $now scan --format csv > "$out/scan.csv"
run --now $now send --dry-run --limit 50 --format json > "$out/dry-run.jsonl" 2> "$out/dry-run.stderr" || true
cat "$work"/audit/*.csv > "$out/dry-run-audit.csv"; rm -rf "$work/audit"
run --now $now send --limit 50 > "$out/send.stdout" 2> "$out/send.stderr"; echo "exit $?" >> "$out/send.stdout"
cat "$work"/audit/*.csv | cut -d, -f2- > "$out/send-audit.csv"
cp "$work/outbox.jsonl" "$out/outbox.jsonl"
dump "$out/ledger-after-send.sql"
run --now $later reconcile > "$out/reconcile.stdout" 2>&1 || true
dump "$out/ledger-after-reconcile.sql"
run --now $later report --roi --format json > "$out/report.json"
run --now $later report --roi > "$out/report.txt"
echo "golden: $(ls "$out" | wc -l) files in $out"
