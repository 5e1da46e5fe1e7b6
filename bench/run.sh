#!/usr/bin/env bash
# Throughput and peak memory of scan, dry run and a live send over generated exports.
#   bench/run.sh [N ...]        (default: 100000 1000000)
# Prints one line per command and size: wall seconds, carts per second, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin cartnudge --example gen_carts --example csv_floor
bin=target/release/cartnudge
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/cartnudge.toml" <<'TOML'
[store]
name = "Bench"
timezone = "Europe/Moscow"
default_region = "RU"
[source]
kind = "csv"
path = "carts.csv"
[rules.min_cart_value]
RUB = "3000"
[gateway]
kind = "file"
path = "outbox.jsonl"
TOML
{ cat "$work/cartnudge.toml"; printf '[orders]\nkind = "csv"\npath = "orders.csv"\n'; } > "$work/with-orders.toml"
sed 's/kind = "csv"/kind = "json"/; s/path = "carts.csv"/path = "carts.json"/' "$work/cartnudge.toml" > "$work/json.toml"
sed 's/kind = "csv"/kind = "jsonl"/; s/path = "carts.csv"/path = "carts.jsonl"/' "$work/cartnudge.toml" > "$work/jsonl.toml"
now=2026-11-22T07:30:00Z   # inside the hour every Russian zone allows
sizes=("${@:-100000 1000000}")
for n in ${sizes[@]}; do
  target/release/examples/gen_carts "$n" > "$work/carts.csv"
  size=$(du -h "$work/carts.csv" | cut -f1)
  target/release/examples/gen_carts "$n" orders > "$work/orders.csv"
  target/release/examples/gen_carts "$n" json > "$work/carts.json"
  /usr/bin/time -f "%e %M" -o "$work/time" target/release/examples/csv_floor "$work/carts.csv" > /dev/null
  read -r floor kb < "$work/time"
  printf '%-9s %-6s %-34s %7ss %10s             peak RSS %6.1f MiB\n' "$n" "$size" "csv floor (csv crate, ByteRecord)" "$floor" "" "$(awk -v k="$kb" 'BEGIN{print k/1024}')"
  sed '1d;$d;s/},$/}/' "$work/carts.json" > "$work/carts.jsonl"
  for cmd in "scan --format csv" "send --dry-run -q" "send -q --limit 20" "send -q --limit 20 +orders" "send -q --limit 20 +json" "send -q --limit 20 +jsonl"; do
    cfg="$work/cartnudge.toml"
    if [[ $cmd == *"+orders" ]]; then
      cmd=${cmd% +orders}
      cfg="$work/with-orders.toml"
    elif [[ $cmd == *"+json" ]]; then
      cmd=${cmd% +json}
      cfg="$work/json.toml"
    elif [[ $cmd == *"+jsonl" ]]; then
      cmd=${cmd% +jsonl}
      cfg="$work/jsonl.toml"
    fi
    rm -rf "$work/audit" "$work/cartnudge.db"* "$work/outbox.jsonl"
    /usr/bin/time -f "%e %M" -o "$work/time" $bin --config "$cfg" --now $now $cmd > /dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    read -r secs kb < "$work/time"
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    [[ $cfg == *with-orders* ]] && cmd="$cmd + $n orders"
    [[ $cfg == */json.toml ]] && cmd="$cmd (JSON array)"
    [[ $cfg == */jsonl.toml ]] && cmd="$cmd (JSON Lines)"
    ratio=$(awk -v s="$secs" -v f="$floor" 'BEGIN { printf "%.1f", (f > 0 ? s / f : 0) }')
    printf '%-9s %-6s %-34s %7ss %10s carts/s  %5sx floor  peak RSS %6.1f MiB\n' "$n" "$size" "$cmd" "$secs" "$rate" "$ratio" "$(awk -v k="$kb" 'BEGIN{print k/1024}')"
  done
done
