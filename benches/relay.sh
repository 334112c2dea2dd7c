#!/usr/bin/env bash
# Benchmarks share-relay against the goals of its issue, on 127.0.0.1:
#
#   a) `share send --relay` and `share receive` of a 95 MB file against the same through the
#      local tfLink stand-in (goal: at most 1.2x each);
#   b) the relay's peak resident memory (VmHWM) over a 1 GiB share: create, upload, claim,
#      download, driven by curl against the API (goal: at most 64 MiB);
#   c) claims per second with 64 concurrent clients on SQLite, claim + fetch of a 1 KiB share
#      (crates/share-testkit/src/bin/relay-load.rs; goal: at least 1,000/s), with p50/p99
#      latency; and, for scale, what nginx serving a static 1 KiB file manages under
#      `wrk -t2 -c64` on the same machine.
#
#   benches/relay.sh [--only claims] [ROUNDS]
#
# ROUNDS defaults to 3 (each round runs every a) pair 3 times); `--only claims` runs c) alone.
# c) also reports the CPU time the relay and the load generator each used, since both run
# on the same cores.
#
# Needs hyperfine, wrk, nginx (Debian: hyperfine wrk nginx-light), curl and python3. Builds
# release binaries into $CARGO_TARGET_DIR (default target/). Every server it starts is its
# own process, on a loopback port, with its data in a temporary directory on the same
# filesystem as $TMPDIR (a real disk here, so the relay's fsyncs are paid), and is stopped by
# PID on exit. Runs as an ordinary user; as root, nginx's workers drop to `nobody`.
set -euo pipefail

only=
if [ "${1:-}" = --only ]; then
    [ "${2:-}" = claims ] || { echo "usage: benches/relay.sh [--only claims] [ROUNDS]" >&2; exit 2; }
    only=claims
    shift 2
fi
rounds=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
chmod 755 "$work" # nginx's workers (nobody, when started as root) read files under it
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet --release --manifest-path "$root/Cargo.toml" \
    -p share -p share-relay -p share-testkit
share="$target/release/share"
relay_bin="$target/release/share-relay"
standin_bin="$target/release/tflink-standin"
load_bin="$target/release/relay-load"
cd "$work"
# Receipts and resume directories of the client stay in the temporary directory.
export XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"

# start_relay NAME [SERVE ARGS]: a relay on a free loopback port with data in NAME/, its
# stderr (one log line per request, the default INFO level) in NAME.log; sets relay_url and
# relay_pid. Its API key, if any, must be created before (key create NAME).
start_relay() {
    local name=$1
    mkdir -p "$name"
    "$relay_bin" serve --listen 127.0.0.1:0 --data "$name" "${@:2}" 2> "$name.log" &
    relay_pid=$!
    pids+=("$relay_pid")
    relay_url=
    for _ in $(seq 100); do
        relay_url=$(sed -n 's/^share-relay: listening on \([^ ]*\).*/\1/p' "$name.log")
        [ -n "$relay_url" ] && return
        kill -0 "$relay_pid" 2> /dev/null || break
        sleep 0.1
    done
    echo "the relay $name did not start:" >&2
    cat "$name.log" >&2
    exit 1
}
# start_standin FILE [ARGS]: a tfLink stand-in; writes its API base to FILE.
start_standin() {
    "$standin_bin" "${@:2}" > "$1" &
    pids+=($!)
    for _ in $(seq 50); do [ -s "$1" ] && break; sleep 0.1; done
    [ -s "$1" ] || { echo "the stand-in did not start" >&2; exit 1; }
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mib() { awk '{printf "%.1f MiB", $1 / 1024}'; }

results="$work/results.md" # rows of the table: measure, ours, peer, ratio, goal
: > "$results"
row() { printf '| %s | %s | %s | %s | %s |\n' "$@" >> "$results"; }

if [ -z "$only" ]; then
# ---------------------------------------------------------------- a) 95 MB round trip
# Receive runs: ROUNDS x 3 on one relay share, so it allows that many downloads (each
# receive claims once and confirms completion). Send runs upload under their own API key,
# and every send run is preceded (untimed) by revoking that key's earlier shares, which
# deletes their content: the relay does not fill the disk, as the stand-in (--keep-last 2)
# does not fill its memory.
receive_runs=$((rounds * 3))
"$relay_bin" key create send --data trip > send.key 2> /dev/null
"$relay_bin" key create receive --data trip > receive.key 2> /dev/null
start_relay trip --max-downloads 1000000 --rate-limit 1000000/1s
trip_url=$relay_url
start_standin api
start_standin upload-api --keep-last 2
api=$(head -n 1 api)
upload_api=$(head -n 1 upload-api)
head -c 95000000 /dev/urandom > mid.bin

# pair NAME OURS PEER PREPARE: ROUNDS hyperfine runs of 3 each, medians and ratio.
pair() {
    local name=$1 ours=$2 peer=$3 prepare=$4
    for round in $(seq "$rounds"); do
        hyperfine --style none --runs 3 --prepare "$prepare" \
            --export-json "$work/$name.$round.json" "$ours" "$peer" > /dev/null
    done
    python3 - "$name" "$work" "$rounds" >> "$results" <<'PY'
import json, statistics, sys
name, work, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = [[], []]
for r in range(1, rounds + 1):
    for i, result in enumerate(json.load(open(f"{work}/{name}.{r}.json"))["results"]):
        times[i].extend(result["times"])
ours, peer = statistics.median(times[0]), statistics.median(times[1])
print(f"| {name} (relay vs tfLink stand-in), median of {len(times[0])} | {ours * 1000:.0f} ms"
      f" | {peer * 1000:.0f} ms | {ours / peer:.2f}x | <= 1.2x |")
PY
}

if "$share" send --help 2> /dev/null | grep -q -- '--relay'; then
    # The links to receive: one relay share allowing every receive run, one stand-in file.
    SHARE_RELAY_KEY=$(cat receive.key) "$share" send -q --json \
        --relay "$trip_url" --downloads "$receive_runs" --passphrase-out relay.pass mid.bin \
        > relay-share.json
    relay_link=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["link"])' relay-share.json)
    standin_link=$("$share" send -q --server "$api" --passphrase-out standin.pass mid.bin)

    pair "send 95 MB" \
        "SHARE_RELAY_KEY=$(cat send.key) $share send -q --relay $trip_url mid.bin" \
        "$share send -q --server $upload_api mid.bin" \
        "$relay_bin shares revoke --key send --data $work/trip 2> /dev/null || true"
    pair "receive 95 MB" \
        "SHARE_PASSPHRASE=$(cat relay.pass) $share receive -q -o out.mid $relay_link" \
        "SHARE_PASSPHRASE=$(cat standin.pass) $share receive -q -o out.mid $standin_link" \
        "rm -f out.mid"
    cmp -s mid.bin out.mid || { echo "the 95 MB round trip differs" >&2; exit 1; }
else
    echo "note: this share has no 'send --relay' yet; the 95 MB round trip is skipped" >&2
    row "send 95 MB (relay vs tfLink stand-in)" "n/a: share send --relay missing" "" "" "<= 1.2x"
    row "receive 95 MB (relay vs tfLink stand-in)" "n/a: share send --relay missing" "" "" "<= 1.2x"
fi
kill "${pids[@]}" 2> /dev/null || true
for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
pids=()
rm -rf trip mid.bin out.mid

# ---------------------------------------------------------------- b) 1 GiB peak memory
# A fresh relay, so nothing earlier counts; VmHWM after the upload and after the download.
gib=1073741824
{ printf 'age-encryption.org/v1\n'; head -c $((gib - 22)) /dev/urandom; } > big.age
start_relay big --allow-anonymous
idle_kib=$(awk '/^VmHWM/ {print $2}' /proc/$relay_pid/status)
created=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"size\": $gib}" "$relay_url/api/v1/shares")
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
curl -fsS -H 'Expect:' -H "Authorization: Bearer $(field "$created" manage_token)" \
    -T big.age "$(field "$created" upload_url)"
upload_kib=$(awk '/^VmHWM/ {print $2}' /proc/$relay_pid/status)
link=$(field "$created" link)
claim=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"token\": \"${link##*/}\"}" "$relay_url/api/v1/claims")
got=$(curl -fsS -o /dev/null -w '%{size_download}' "$(field "$claim" content_url)")
[ "$got" = "$gib" ] || { echo "the 1 GiB download got $got bytes" >&2; exit 1; }
peak_kib=$(awk '/^VmHWM/ {print $2}' /proc/$relay_pid/status)
row "relay peak RSS (VmHWM), 1 GiB share: upload + claim + download" \
    "$(mib <<< "$peak_kib") (after upload $(mib <<< "$upload_kib"))" \
    "idle: $(mib <<< "$idle_kib")" "" "<= 64 MiB"
kill "$relay_pid"; wait "$relay_pid" 2> /dev/null || true
rm -rf big big.age
fi # a) and b)

# ---------------------------------------------------------------- c) claims per second
# A fresh relay on SQLite; 200 shares of 1 KiB, each allowing far more claims than a run
# can make; the limiter opened wide, since every client is 127.0.0.1.
"$relay_bin" key create load --data load > load.key 2> /dev/null
start_relay load --max-downloads 1000000 --rate-limit 1000000/1s
# CPU seconds (user + system) of a process so far, from /proc/PID/stat.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
relay_cpu_before=$(cpu_of "$relay_pid")
TIMEFORMAT='%U %S'
{ time "$load_bin" --relay "$relay_url" --key "$(cat load.key)" --clients 64 --seconds 10 \
    --shares 200 --downloads 1000000 > load.json 2> load.err; } 2> load.time
cat load.err >&2
relay_cpu=$(awk -v a="$relay_cpu_before" -v b="$(cpu_of "$relay_pid")" 'BEGIN {printf "%.1f", b - a}')
load_cpu=$(awk '{printf "%.1f", $1 + $2}' load.time)
kill "$relay_pid"; wait "$relay_pid" 2> /dev/null || true

# nginx: a minimal unprivileged configuration serving one static 1 KiB file.
mkdir -p nginx/www
chmod 755 nginx nginx/www
head -c 1024 /dev/urandom > nginx/www/1k.bin
chmod 644 nginx/www/1k.bin
port=$(free_port)
cat > nginx/nginx.conf <<EOF
daemon off;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp;
    server {
        listen 127.0.0.1:$port;
        root $work/nginx/www;
    }
}
EOF
nginx -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -p "$work/nginx" 2> nginx/stderr &
pids+=($!)
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/1k.bin" 2> /dev/null && break; sleep 0.1; done
wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port/1k.bin" > wrk.txt

python3 - load.json wrk.txt "$relay_cpu" "$load_cpu" >> "$results" <<'PY'
import json, re, sys
load = json.load(open(sys.argv[1]))
relay_cpu, load_cpu = float(sys.argv[3]), float(sys.argv[4])
wrk = open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s*([\d.]+)", wrk).group(1))
def latency(pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\b", wrk, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", wrk)
wrk_errors = int(errors.group(1)) if errors else 0
ours = load["claims_per_sec"]
print(f"| claims/s, 64 clients, SQLite (claim + 1 KiB fetch = 2 requests) vs nginx static 1 KiB"
      f" (1 request), wrk -t2 -c64 | {ours:,.0f}/s ({load['claims']} in {load['seconds']} s,"
      f" {load['errors']} errors) | {rps:,.0f} req/s ({wrk_errors} errors) | {ours / rps:.3f}x"
      f" | >= 1,000/s |")
print(f"| latency p50 / p99 (claim + fetch vs one GET) | {load['p50_ms']:.1f} / {load['p99_ms']:.1f} ms"
      f" | {latency(50):.2f} / {latency(99):.2f} ms | | |")
print(f"| CPU seconds during the claims run (set-up included; 2 cores) | relay {relay_cpu:.1f} s"
      f" | relay-load {load_cpu:.1f} s | | |")
PY

echo
echo "| measure | ours | peer | ratio | goal |"
echo "|---|---|---|---|---|"
cat "$results"
