#!/usr/bin/env bash
# SM2 verification speed beside OpenSSL's, on this machine, in one run:
# `openssl speed sm2` (OpenSSL's own SM2 verify, one process) and
# `medcode bench --alg sm2 --threads 1` (medcode's whole verify, token text
# to verified claims, and its bare SM2 signature check), alternated twice so
# that the load of a shared machine falls on both alike; prints the median of
# each and the ratio as a Markdown table for docs/PERFORMANCE.md.
#
# Usage: benches/sm2_openssl.sh [SECONDS]   (default 3 per measurement)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3}

command -v openssl >/dev/null || { echo "openssl not found (apt-get install -y openssl)" >&2; exit 2; }
cargo build --release --quiet -p medcode-cli
target=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
medcode="$target/release/medcode"

openssl_runs=() verify_runs=() bare_runs=()
for _ in 1 2; do
    # "256 bits SM2 (CurveSM2)   0.0004s   0.0003s   2366.3   2932.5": verify/s last.
    line=$(openssl speed -seconds "$secs" sm2 2>/dev/null | grep -E 'SM2 \(CurveSM2\)' || true)
    [ -n "$line" ] || { echo "this openssl has no SM2 in 'openssl speed'" >&2; exit 2; }
    openssl_runs+=("$(awk '{print $NF}' <<<"$line")")
    out=$("$medcode" bench --alg sm2 --threads 1 --seconds "$secs" 2>/dev/null)
    verify_runs+=("$(awk '/^codes\/s 1 thread/ {print $NF}' <<<"$out")")
    # "bare signature     180.2 µs"
    bare_runs+=("$(awk '/^bare signature/ {printf "%.0f", 1e6 / $3}' <<<"$out")")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
o=$(median "${openssl_runs[@]}")
v=$(median "${verify_runs[@]}")
b=$(median "${bare_runs[@]}")

echo "### SM2 verify beside OpenSSL ($(openssl version | cut -d' ' -f1-2); load average $(cut -d' ' -f1-3 /proc/loadavg); ${secs} s per measurement, medians of 2)"
echo
echo "| contender | verifies/s (1 core) | x openssl |"
echo "| --- | ---: | ---: |"
awk -v o="$o" -v v="$v" -v b="$b" 'BEGIN {
    printf "| openssl speed sm2 | %.0f | 1.00 |\n", o
    printf "| medcode bare SM2 signature (PublicKey::verify: tables over the sm2 crate) | %.0f | %.2f |\n", b, b / o
    printf "| medcode verify, token text to claims (no guard) | %.0f | %.2f |\n", v, v / o
}'
echo
echo "runs: openssl ${openssl_runs[*]}; medcode verify ${verify_runs[*]}; bare ${bare_runs[*]}"
