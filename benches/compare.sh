#!/usr/bin/env bash
# Benchmarks `share` against the pipeline a careful user would otherwise type (the reference
# age CLI and curl), on the same files, against the local tfLink stand-in on 127.0.0.1.
#
#   benches/compare.sh [ROUNDS]        (default 5)
#
# Needs hyperfine, GNU time (/usr/bin/time), age, curl and python3 (Debian packages:
# hyperfine time age curl python3). Each pair is run alternately, ROUNDS times 3 runs each,
# and reported as medians and the ratio share/peer. The reference age reads passphrases
# only from a terminal, so it runs under benches/with-passphrase.py, a pseudo-terminal that types the
# passphrase (its start-up, about 20 ms, counts against the peer).
set -euo pipefail

rounds=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
standins=()
cleanup() {
    for pid in "${standins[@]}"; do kill "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release --manifest-path "$root/Cargo.toml" \
    -p share --bin share --example age-encrypt-baseline
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p share-testkit --bin tflink-standin
share="$target/release/share"
tty="$root/benches/with-passphrase.py"

# start_standin FILE [ARGS]: starts a stand-in, writes its API base to FILE.
start_standin() {
    "$target/release/tflink-standin" "${@:2}" > "$1" &
    standins+=($!)
    for _ in $(seq 50); do [ -s "$1" ] && break; sleep 0.1; done
}
# The receive cases download files uploaded once, from a host that keeps them. The send
# cases upload the same files over and over to a host that keeps only the newest two and
# reuses their buffers, so the server neither grows with every run nor spends the shared
# cores faulting in fresh memory (slow on a VM, and charged to whichever tool is measured).
start_standin "$work/api"
start_standin "$work/upload-api" --keep-last 2
api=$(head -n 1 "$work/api")
upload_api=$(head -n 1 "$work/upload-api")
export SHARE_SERVER="$api"
export PASSPHRASE="benchmark-passphrase-for-the-reference-cli"
cd "$work"

head -c 1024 /dev/urandom > small.bin
head -c 95000000 /dev/urandom > mid.bin
head -c 262144000 /dev/urandom > big.bin

# Links for the receive cases: a share made by share, and an age -p file uploaded by curl.
# Both tools upload the 95 MB file as one file, under the host's 100 MB limit.
share_link() {
    "$share" send -q --json --passphrase-out "$1.pass" "$1" > "$1.json"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["parts"] == 1, r; print(r["link"])' "$1.json"
}
peer_link() {
    "$tty" bash -c "age -p -o $1.age $1" > /dev/null
    curl -fsS -F "file=@$1.age" "$api/api/upload" | python3 -c 'import json,sys; print(json.load(sys.stdin)["downloadLink"])'
}
small_share=$(share_link small.bin); small_peer=$(peer_link small.bin)
mid_share=$(share_link mid.bin); mid_peer=$(peer_link mid.bin)

# Recipient shares: no KDF at all on either side.
age-keygen -o key.txt 2> /dev/null
key=$(age-keygen -y key.txt)
mid_share_r=$("$share" send -q --json -r "$key" mid.bin | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["parts"] == 1, r; print(r["link"])')
age -r "$key" -o mid.r.age mid.bin
mid_peer_r=$(curl -fsS -F "file=@mid.r.age" "$api/api/upload" | python3 -c 'import json,sys; print(json.load(sys.stdin)["downloadLink"])')

results="$work/results.txt"
: > "$results"

# pair NAME SHARE_COMMAND PEER_COMMAND [PREPARE]
pair() {
    local name=$1 ours=$2 peer=$3 prepare=${4:-true}
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
print(f"{name}\t{ours * 1000:.1f} ms\t{peer * 1000:.1f} ms\t{ours / peer:.3f}")
PY
}

pair "send 1 KiB" \
    "$share send -q --server $upload_api small.bin" \
    "$tty bash -c 'age -p small.bin | curl -fsS -F file=@- $upload_api/api/upload' > /dev/null"
pair "receive 1 KiB" \
    "SHARE_PASSPHRASE=\$(cat small.bin.pass) $share receive -q -o out.small $small_share" \
    "$tty bash -c 'curl -fsS $small_peer | age -d -o out.small'" \
    "rm -f out.small"
pair "send 95 MB" \
    "$share send -q --server $upload_api mid.bin" \
    "$tty bash -c 'age -p mid.bin | curl -fsS -F file=@- $upload_api/api/upload' > /dev/null"
pair "send 95 MB, recipient" \
    "$share send -q --server $upload_api -r $key mid.bin" \
    "bash -c 'age -r $key mid.bin | curl -fsS -F file=@- $upload_api/api/upload' > /dev/null"
# --json also hashes the plaintext (SHA-256) for the report; the same peer for comparison.
pair "send 95 MB, --json" \
    "$share send -q --json --server $upload_api mid.bin" \
    "$tty bash -c 'age -p mid.bin | curl -fsS -F file=@- $upload_api/api/upload' > /dev/null"
pair "receive 95 MB" \
    "SHARE_PASSPHRASE=\$(cat mid.bin.pass) $share receive -q -o out.mid $mid_share" \
    "$tty bash -c 'curl -fsS $mid_peer | age -d -o out.mid'" \
    "rm -f out.mid"
pair "receive 95 MB, recipient" \
    "$share receive -q -i key.txt -o out.mid $mid_share_r" \
    "bash -c 'curl -fsS $mid_peer_r | age -d -i key.txt -o out.mid'" \
    "rm -f out.mid"

peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {printf "%.1f MiB", $2 / 1024}'; }
big_send_peak=$(peak "$share" send -q --server "$upload_api" --passphrase-out big.pass big.bin)
big_link=$("$share" send -q --passphrase-out big2.pass big.bin)
big_receive_peak=$(SHARE_PASSPHRASE=$(cat big2.pass) peak "$share" receive -q -o out.big "$big_link")
cmp -s big.bin out.big || { echo "250 MiB round trip differs" >&2; exit 1; }

mid_send_peak=$(peak "$share" send -q --server "$upload_api" mid.bin)
mid_receive_peak=$(SHARE_PASSPHRASE=$(cat mid.bin.pass) peak "$share" receive -q -o out.peak "$mid_share")
rm -f out.peak

# Throughput: share encrypting and uploading 95 MB (the whole process, start-up included)
# against the age crate encrypting the same bytes in memory alone (best of 5 in one
# process), and curl uploading ready-made ciphertext with no encryption (the ceiling any
# client meets on this host). Measured together in each round; medians of the rounds.
: > throughput.tsv
for round in $(seq "$rounds"); do
    baseline=$("$target/release/examples/age-encrypt-baseline" mid.bin)
    hyperfine --style none --runs 3 --export-json "throughput.$round.json" \
        "$share send -q --server $upload_api mid.bin" \
        "curl -fsS -o /dev/null -F file=@mid.r.age $upload_api/api/upload" > /dev/null
    python3 - "throughput.$round.json" "$baseline" >> throughput.tsv <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
ours, curl = (95e6 / statistics.median(r["times"]) / 1e6 for r in results)
print(f"{ours}\t{curl}\t{sys.argv[2]}")
PY
done
read -r throughput ceiling baseline throughput_ratio ceiling_ratio < <(python3 - <<'PY'
import statistics
rows = [list(map(float, line.split())) for line in open("throughput.tsv")]
med = lambda xs: statistics.median(xs)
print(f"{med([r[0] for r in rows]):.0f} {med([r[1] for r in rows]):.0f} {med([r[2] for r in rows]):.0f}",
      f"{med([r[0] / r[2] for r in rows]):.2f} {med([r[1] / r[2] for r in rows]):.2f}")
PY
)

echo
echo "| case | share | peer | share / peer |"
echo "|---|---|---|---|"
while IFS=$'\t' read -r name ours peer ratio; do
    echo "| $name | $ours | $peer | ${ratio}x |"
done < "$results"
echo "| send 95 MB, peak resident memory | $mid_send_peak | | |"
echo "| receive 95 MB, peak resident memory | $mid_receive_peak | | |"
echo "| send 250 MiB (3 parts), peak resident memory | $big_send_peak | | |"
echo "| receive 250 MiB (3 parts), peak resident memory | $big_receive_peak | | |"
echo "| encrypt-and-upload throughput, 95 MB | $throughput MB/s | age crate alone, in memory: $baseline MB/s | ${throughput_ratio}x |"
echo "| upload alone (curl, ready-made ciphertext): the ceiling here | $ceiling MB/s | age crate alone: $baseline MB/s | ${ceiling_ratio}x |"
