#!/usr/bin/env bash
# Throughput and peak memory of every command over generated exports (issue 11).
#   bench/run.sh [N ...]      sizes to run (default: 1000000 10000000)
#   bench/run.sh --smoke      N = 2000: every command once, as CI does; times mean nothing here
# For each size N it prints one line per command: wall seconds, rows per second, the ratio to a
# floor on the same input, and peak RSS (/usr/bin/time -f "%e %M"); floors, scans and dry runs run
# three times and the fastest counts. A scan's or dry run's three runs alternate with three of its
# floor, and its ratio is to the fastest of those: both from the same seconds of a shared
# machine. A `send -q` (one run: it changes the ledger) is set against the floor's own row.
#   - CSV, JSON Lines and JSON array exports of N carts (examples/gen_carts.rs): `scan --format
#     csv`, `send --dry-run -q`, `send -q --limit 20` (file gateway, fresh ledger), against the csv
#     crate reading the CSV (examples/csv_floor.rs); CSV also with [orders] (N orders), and the
#     dry run with 1C-Bitrix and RFC 3339 timestamps instead of naive `YYYY-MM-DD HH:MM:SS`;
#     the dry run of an export with 1% of carts in the window (a 10M export of mostly old carts);
#     a send with `holdout_percent = 50` (the most a run holds: half the eligible carts recorded);
#   - a SQLite `carts` table of N rows against the `sqlite3` shell running the same query;
#   - a cron run (3-cart export, `send -q --limit 20`) with an empty ledger and with one of N
#     past nudges, each run twice: the first run after the ledger changed pays SQLite's
#     quick_check, the next finds the stamp the first left and skips it; and once with N orders;
#     and the CSV dry run of N carts against an N/10-nudge ledger;
#   - `reconcile` of N orders against N/10 nudges, `report --roi` over N nudges.
# Then the release binary's size, as built and stripped. Exits non-zero if any command fails; it
# judges no timing.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # a decimal point in $EPOCHREALTIME and awk

sizes=()
smoke=0
for arg in "$@"; do
  case $arg in
    --smoke) smoke=1 ;;
    ''|*[!0-9]*) echo "usage: bench/run.sh [--smoke] [N ...]" >&2; exit 2 ;;
    *) sizes+=("$arg") ;;
  esac
done
# Commands that change nothing run three times and the fastest counts (`best`); once in a smoke run.
repeat=3
((smoke)) && repeat=1
if ((${#sizes[@]} == 0)); then
  if ((smoke)); then sizes=(2000); else sizes=(1000000 10000000); fi
fi
command -v sqlite3 >/dev/null || { echo "bench/run.sh: sqlite3 is missing (apt-get install sqlite3)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench/run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
command -v strip >/dev/null || { echo "bench/run.sh: strip is missing (apt-get install binutils)" >&2; exit 2; }

cargo build --release --quiet --bin cartnudge --example gen_carts --example csv_floor
bin=$PWD/target/release/cartnudge
gen=$PWD/target/release/examples/gen_carts
csv_floor=$PWD/target/release/examples/csv_floor
thresholds=$PWD/bench/min_cart_value.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now=2026-11-22T07:30:00Z # gen_carts' "now": inside the hour every Russian zone allows
later=2026-11-25T07:30:00Z
failed=0

# config KIND PATH [QUERY]: a config reading the carts from PATH, every currency gen_carts writes
# with a minimum, a file gateway and a ledger in the working folder.
config() {
  cat <<TOML
[store]
name = "Bench"
timezone = "Europe/Moscow"
default_region = "RU"
[source]
kind = "$1"
path = "$2"
timezone = "Europe/Moscow"
${3:+query = \"$3\"}
TOML
  cat "$thresholds"
  cat <<TOML
[gateway]
kind = "file"
path = "outbox.jsonl"
[ledger]
path = "cartnudge.db"
TOML
}
orders='[orders]
kind = "csv"
path = "orders.csv"
timezone = "Europe/Moscow"'
query="SELECT cart_id, customer_id, name, email, phone, total, currency, items_count, updated_at, consent, country, timezone, status FROM carts"
config csv carts.csv > "$work/csv.toml"
config csv carts-bitrix.csv > "$work/csv-bitrix.toml"
config csv carts-rfc3339.csv > "$work/csv-rfc3339.toml"
config csv carts-old.csv > "$work/csv-old.toml"
config csv carts-quoted.csv > "$work/csv-quoted.toml"
{ config csv carts.csv; printf '[rules]\nholdout_percent = 50\n'; } > "$work/csv-holdout.toml"
{ config csv carts.csv; echo "$orders"; } > "$work/orders.toml"
config jsonl carts.jsonl > "$work/jsonl.toml"
config json carts.json > "$work/json.toml"
config sqlite carts.sqlite "$query" > "$work/sqlite.toml"
config csv cron.csv > "$work/cron.toml"
{ config csv cron.csv; echo "$orders"; } > "$work/cron-orders.toml"
# A cron run's export: three carts of the last hours, new to any ledger.
cat > "$work/cron.csv" <<'CSV'
cart_id,customer_id,name,phone,total,currency,updated_at,consent,timezone
cron1,k1,Anna,+7 916 555-01-01,4500.00,RUB,2026-11-22 08:10:00,1,Europe/Moscow
cron2,k2,Boris,89165550102,12990.50,RUB,2026-11-22 07:05:00,1,
cron3,k3,Olga,+7 916 555-01-03,3100.00,RUB,2026-11-22 06:40:00,0,
CSV

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# row N SIZE LABEL ROWS [FLOOR_SECS]: one line of the table for the last timed command; ROWS "-"
# prints no rate.
row() {
  local rate="-" ratio=""
  [[ $4 == - ]] || rate=$(awk -v n="$4" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  [[ -n ${5:-} ]] && ratio=$(awk -v s="$secs" -v f="$5" 'BEGIN { if (f > 0) printf "%.1fx", s / f; else print "-" }')
  printf '%-9s %-6s %-52s %8ss %9s rows/s %6s %7s MiB\n' "$1" "$2" "$3" "$secs" "$rate" "$ratio" "$(mib "$kb")"
}

# timed CMD...: runs CMD in $work with stdout to /dev/null; sets $secs (wall, from bash's clock:
# /usr/bin/time's %e has only centiseconds) and $kb (peak RSS). A failure is
# printed with its stderr and counted, and the table goes on.
timed() {
  local rc=0 t0=$EPOCHREALTIME
  (cd "$work" && /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2> "$work/err") || rc=$?
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  if ((rc != 0)); then
    echo "FAILED (exit $rc): $*" >&2
    grep -v '^Command exited with non-zero status' "$work/err" | tail -n 20 >&2 || true
    failed=1
    secs=0 kb=0
    return 1
  fi
  read -r _ kb < <(tail -n 1 "$work/time")
}

# best CMD...: `timed` $repeat times, for commands that change nothing (floors, scan, dry runs):
# keeps the fastest wall time and the largest peak RSS, so one stall of a shared machine does not
# decide a ratio.
best() {
  local i s=0 k=0
  for ((i = 0; i < repeat; i++)); do
    timed "$@" || return 1
    if ((i == 0)) || awk -v a="$secs" -v b="$s" 'BEGIN { exit !(a < b) }'; then s=$secs; fi
    ((kb > k)) && k=$kb
  done
  secs=$s kb=$k
}

# paired FLOOR... -- CMD...: `best` of both, their runs alternating; sets $secs and $kb for CMD
# and $pair_floor, the floor's fastest run in the same seconds.
paired() {
  local floor_cmd=() i s=0 k=0 f=0
  while [[ $1 != -- ]]; do floor_cmd+=("$1"); shift; done
  shift
  for ((i = 0; i < repeat; i++)); do
    timed "${floor_cmd[@]}" || return 1
    if ((i == 0)) || awk -v a="$secs" -v b="$f" 'BEGIN { exit !(a < b) }'; then f=$secs; fi
    timed "$@" || return 1
    if ((i == 0)) || awk -v a="$secs" -v b="$s" 'BEGIN { exit !(a < b) }'; then s=$secs; fi
    ((kb > k)) && k=$kb
  done
  secs=$s kb=$k pair_floor=$f
}

fresh() { rm -rf "$work/audit" "$work"/cartnudge.db* "$work/outbox.jsonl"; }

# ledger N: a fresh ledger made by cartnudge itself (`send --limit 0` over the cron export), then N
# past nudges added by gen_carts.
ledger() {
  fresh
  (cd "$work" && "$bin" --config cron.toml --now $now -q send --limit 0)
  "$gen" "$1" ledger "$work/cartnudge.db"
}

# sent: how many texts the last send wrote to the outbox, for the label.
sent() { if [[ -f $work/outbox.jsonl ]]; then wc -l < "$work/outbox.jsonl"; else echo 0; fi; }

for n in "${sizes[@]}"; do
  echo "== $n carts ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '%-9s %-6s %-52s %9s %16s %6s %11s\n' N input command wall rate "floor" "peak RSS"
  "$gen" "$n" > "$work/carts.csv"
  "$gen" "$n" jsonl > "$work/carts.jsonl"
  "$gen" "$n" json > "$work/carts.json"
  "$gen" "$n" sqlite "$work/carts.sqlite"
  "$gen" "$n" orders > "$work/orders.csv"
  "$gen" "$n" --dates bitrix > "$work/carts-bitrix.csv"
  "$gen" "$n" --dates rfc3339 > "$work/carts-rfc3339.csv"
  "$gen" "$n" --recent 1 > "$work/carts-old.csv"
  "$gen" "$n" --quote > "$work/carts-quoted.csv"
  csv_size=$(du -h "$work/carts.csv" | cut -f1)

  floor=0
  best "$csv_floor" carts.csv && floor=$secs && row "$n" "$csv_size" "csv floor (csv crate, ByteRecord)" "$n" "$floor"
  for source in csv jsonl json; do
    size=$(du -h "$work/carts.$source" | cut -f1)
    for cmd in "scan --format csv" "send --dry-run -q" "send -q --limit 20"; do
      fresh
      # shellcheck disable=SC2086 # $cmd is words
      against=$floor
      if [[ $cmd == send\ -q* ]]; then
        timed "$bin" --config $source.toml --now $now $cmd || continue
      else
        paired "$csv_floor" carts.csv -- "$bin" --config $source.toml --now $now $cmd || continue
        against=$pair_floor
      fi
      label="$source: $cmd"
      [[ $cmd == "send -q"* ]] && label="$label ($(sent) sent)"
      row "$n" "$size" "$label" "$n" "$against"
    done
  done
  fresh
  timed "$bin" --config orders.toml --now $now send -q --limit 20 &&
    row "$n" "$csv_size" "csv + $n orders: send -q --limit 20 ($(sent) sent)" "$n" "$floor"
  # The same carts with 1C-Bitrix (DD.MM.YYYY) and RFC 3339 timestamps, each against its own floor.
  for dates in bitrix rfc3339; do
    size=$(du -h "$work/carts-$dates.csv" | cut -f1)
    fresh
    paired "$csv_floor" "carts-$dates.csv" -- "$bin" --config "csv-$dates.toml" --now $now send --dry-run -q &&
      row "$n" "$size" "csv, $dates dates: send --dry-run -q" "$n" "$pair_floor"
  done
  # The same carts quoted as PHP's fputcsv writes them (WooCommerce, Magento): every time, and
  # every field with a space, is in quotes. Against its own floor.
  size=$(du -h "$work/carts-quoted.csv" | cut -f1)
  fresh
  paired "$csv_floor" carts-quoted.csv -- "$bin" --config csv-quoted.toml --now $now send --dry-run -q &&
    row "$n" "$size" "csv, fputcsv quoting: send --dry-run -q" "$n" "$pair_floor"
  # Mostly old carts, as a shop that never deletes quotes exports them: 1% in the 48 h window, so
  # 10M rows put as many carts in the window as 1M rows at the usual 10%.
  fresh
  paired "$csv_floor" carts-old.csv -- "$bin" --config csv-old.toml --now $now send --dry-run -q &&
    row "$n" "$csv_size" "csv, 1% in the window: send --dry-run -q" "$n" "$pair_floor"
  # Half the eligible carts in the holdout group, recorded in the ledger by the send: what a run
  # holds grows with them until 1,024 holdout carts (and 8,192 phones), then waits on disk.
  fresh
  timed "$bin" --config csv-holdout.toml --now $now send -q --limit 20 &&
    row "$n" "$csv_size" "csv, holdout 50%: send -q --limit 20 ($(sent) sent)" "$n" "$floor"

  size=$(du -h "$work/carts.sqlite" | cut -f1)
  sqlite_floor=0
  best sqlite3 -readonly carts.sqlite "$query" && sqlite_floor=$secs &&
    row "$n" "$size" "sqlite floor (sqlite3 shell, same query)" "$n" "$sqlite_floor"
  for cmd in "scan --format csv" "send --dry-run -q" "send -q --limit 20"; do
    fresh
    # shellcheck disable=SC2086
    against=$sqlite_floor
    if [[ $cmd == send\ -q* ]]; then
      timed "$bin" --config sqlite.toml --now $now $cmd || continue
    else
      paired sqlite3 -readonly carts.sqlite "$query" -- "$bin" --config sqlite.toml --now $now $cmd || continue
      against=$pair_floor
    fi
    label="sqlite: $cmd"
    [[ $cmd == "send -q"* ]] && label="$label ($(sent) sent)"
    row "$n" "$size" "$label" "$n" "$against"
  done

  # Cron: the same 3-cart export against an empty ledger, then against one of N past nudges.
  fresh
  for run in first second; do
    rm -f "$work/outbox.jsonl"
    timed "$bin" --config cron.toml --now $now send -q --limit 20 &&
      row "$n" "3 cart" "cron send, empty ledger, $run run ($(sent) sent)" -
  done
  # The same run reading N orders for ordered_since: every send reads the whole orders export.
  rm -f "$work/outbox.jsonl"
  timed "$bin" --config cron-orders.toml --now $now send -q --limit 20 &&
    row "$n" "3 cart" "cron send, empty ledger, + $n orders ($(sent) sent)" -
  ledger "$n"
  size=$(du -h "$work/cartnudge.db" | cut -f1)
  for run in first second; do
    rm -f "$work/outbox.jsonl"
    timed "$bin" --config cron.toml --now $now send -q --limit 20 &&
      row "$n" "$size" "cron send, $n-nudge ledger, $run run ($(sent) sent)" -
  done

  # reconcile: N orders against N/10 nudges; report: N nudges. First the N-cart export's dry run
  # against the N/10-nudge ledger (a tenth of its carts have a row): each cart that reaches the
  # history rules is looked up (indexed queries on the judging thread), which an empty ledger
  # never pays. (Against the N-nudge ledger every cart has a row and stops at already_nudged.)
  ledger $((n / 10))
  # A finished run stamps the ledger, as a cron run finds it: no quick_check in the timing.
  (cd "$work" && "$bin" --config cron.toml --now $now -q send --limit 0)
  paired "$csv_floor" carts.csv -- "$bin" --config csv.toml --now $now send --dry-run -q &&
    row "$n" "$csv_size" "csv: send --dry-run -q, $((n / 10))-nudge ledger" "$n" "$pair_floor"
  timed "$bin" --config orders.toml --now $later -q reconcile &&
    row "$n" "$(du -h "$work/orders.csv" | cut -f1)" "reconcile: $n orders, $((n / 10)) nudges" "$n"
  ledger "$n"
  size=$(du -h "$work/cartnudge.db" | cut -f1)
  timed "$bin" --config csv.toml --now $later report --roi && row "$n" "$size" "report --roi: $n nudges" "$n"
done

strip -o "$work/cartnudge.stripped" "$bin"
echo "binary: $(stat -c %s "$bin") bytes as built (target/release/cartnudge), $(stat -c %s "$work/cartnudge.stripped") stripped"
if ((failed)); then
  echo "bench/run.sh: some commands failed (above)" >&2
  exit 1
fi
