#!/usr/bin/env bash
# What Padmé padding costs: the ciphertext size of 1 KiB, 1 MB and 95 MB files with and
# without padding (`--no-pad`), and hyperfine timings of `share send` and `share receive` of
# the 95 MB file both ways, against the local tfLink stand-in on 127.0.0.1.
#
#   benches/padding.sh [RUNS]          (default 10)
#
# Needs hyperfine and python3. Honours CARGO_TARGET_DIR.
set -euo pipefail

runs=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
standin=""
cleanup() {
    [ -n "$standin" ] && kill "$standin" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p share --bin share
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p share-testkit --bin tflink-standin
share="$target/release/share"
"$target/release/tflink-standin" --keep-last 8 > "$work/api" &
standin=$!
for _ in $(seq 50); do [ -s "$work/api" ] && break; sleep 0.1; done
export SHARE_SERVER=$(head -n 1 "$work/api")
cd "$work"

head -c 1024 /dev/urandom > 1KiB.bin
head -c 1000000 /dev/urandom > 1MB.bin
head -c 95000000 /dev/urandom > 95MB.bin

field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

echo "| file | payload (size) | ciphertext, --no-pad | ciphertext, padded | padding overhead |"
echo "|---|---|---|---|---|"
for file in 1KiB.bin 1MB.bin 95MB.bin; do
    plain=$("$share" send -q --json --no-pad "$file")
    padded=$("$share" send -q --json "$file")
    size=$(field size <<< "$plain")
    c_plain=$(field ciphertext_size <<< "$plain")
    c_padded=$(field ciphertext_size <<< "$padded")
    python3 -c 'import sys; f,s,a,b=sys.argv[1],*map(int,sys.argv[2:]); print(f"| {f} | {s} | {a} | {b} | {100*(b-a)/a:.2f} % |")' \
        "$file" "$size" "$c_plain" "$c_padded"
done

hyperfine --style basic --runs "$runs" --export-markdown send.md \
    -n "send 95 MB, padded" "$share send -q --json 95MB.bin" \
    -n "send 95 MB, --no-pad" "$share send -q --json --no-pad 95MB.bin"
# Receive links, made once each way after the send runs (the stand-in keeps only the
# newest 8 files, so links made before them would be gone).
link_for() { "$share" send -q --json --passphrase-out "$1.pass" "${@:2}" 95MB.bin | field link; }
rm -f padded.pass plain.pass
padded_link=$(link_for padded)
plain_link=$(link_for plain --no-pad)

hyperfine --style basic --runs "$runs" --export-markdown receive.md \
    --prepare "rm -f 95MB.out" \
    -n "receive 95 MB, padded" "$share receive -q --passphrase-file padded.pass -o 95MB.out $padded_link" \
    -n "receive 95 MB, unpadded" "$share receive -q --passphrase-file plain.pass -o 95MB.out $plain_link"
cat send.md receive.md
