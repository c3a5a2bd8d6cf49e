#!/usr/bin/env bash
# Load benchmark of `medcode serve`, on loopback:
#   the service pinned to core 0 (taskset), Redis as the shared replay
#   guard and wrk (keep-alive connections) on core 1, distinct valid codes
#   (each presented once), POST /v1/verify.
# Runs: one replica with cross-request batching (the default) and one
# without (--no-batching), each at 4, 8, 12, 16, 24, 32 and 64 connections, then two
# replicas sharing core 0 and the Redis, each loaded by its own wrk with
# half the connections (at the batched mode's best count). Prints a
# Markdown table (rate, p50, p99, accepted) and, for each mode, its best
# rate with p99 under 5 ms: the batching ratio at that bound, this run's.
# The modes alternate, round after round (MEDCODE_LOAD_ROUNDS, default 3),
# and each row is the median of its rounds.
#
#   bash benches/service_load.sh            # 10 s per run
#   MEDCODE_LOAD_CONNECTIONS="16 32" bash benches/service_load.sh
#   MEDCODE_LOAD_SECONDS=3 bash benches/service_load.sh
#   MEDCODE_LOAD_GUARD=memory bash benches/service_load.sh   # without Redis
#
# Needs wrk, redis-server, redis-cli, taskset and python3 (apt-get install -y
# wrk redis-server redis-tools util-linux python3). Not a test: nothing
# here judges a number except the table's "met" column; the script fails
# when a run's requests were not all accepted (a code presented twice, or
# codes that expired: the sweep re-issues them before they would).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${MEDCODE_LOAD_SECONDS:-10}
# The replay guard: redis (the default, as a chain runs it) or memory (the
# service alone, to see what Redis costs; two replicas then do not share it).
guard=${MEDCODE_LOAD_GUARD:-redis}
# The connection counts each mode is run at (keep-alive, wrk's 2 threads).
conn_list=${MEDCODE_LOAD_CONNECTIONS:-"4 8 12 16 24 32 64"}
conns=${conn_list##* }
p99_bound=5
# Rounds of every mode and count (each row the median of its rounds).
rounds=${MEDCODE_LOAD_ROUNDS:-3}
for tool in wrk redis-server redis-cli taskset python3; do
    command -v "$tool" >/dev/null || {
        echo "service_load: $tool not found; on Debian or Ubuntu: sudo apt-get install -y wrk redis-server redis-tools util-linux python3" >&2
        exit 2
    }
done
cores=$(nproc)
if [ "$cores" -lt 2 ]; then
    echo "service_load: needs 2 cores (service on one, load and Redis on the other)" >&2
    exit 2
fi

cargo build --release --quiet -p medcode-cli
bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/medcode

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Redis on core 1, nothing kept on disk.
rport=$(free_port)
taskset -c 1 redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp" --logfile "$tmp/redis.log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done

case $guard in
    redis) replay="redis://127.0.0.1:$rport";;
    memory) replay=memory;;
    *) echo "service_load: MEDCODE_LOAD_GUARD must be redis or memory" >&2; exit 2;;
esac

# A key of this run and distinct codes, valid 300 s (the tills' maximum).
# A whole sweep outlasts them: the codes are issued again (on core 1,
# between runs) whenever the next run could end within 30 s of their
# expiry, so that every run presents live codes and each is accepted.
"$bin" keygen --dir "$tmp" --kid load >/dev/null
count=$(( secs * 45000 + 10000 ))
ttl=300
issued=0
fresh_codes() {
    if [ $(( $(date +%s) + secs + 30 )) -ge $(( issued + ttl )) ]; then
        issued=$(date +%s)
        taskset -c 1 "$bin" issue --dir "$tmp" --kid load --insured 12345678901234567890 \
            --region 110000 --ttl "$ttl" --count "$count" >"$tmp/codes.txt" 2>/dev/null
    fi
}
fresh_codes

# wrk: each thread takes its own share of the codes, one request each.
cat >"$tmp/verify.lua" <<'LUA'
local codes = {}
local first, step = 0, 1
function setup(thread)
    thread:set("first", tonumber(os.getenv("MEDCODE_WRK_FIRST") or "0") + (__n or 0))
    __n = (__n or 0) + 1
end
function init(args)
    for line in io.lines(os.getenv("MEDCODE_WRK_CODES")) do codes[#codes + 1] = line end
    first = tonumber(wrk.thread:get("first"))
    step = tonumber(os.getenv("MEDCODE_WRK_STEP"))
    i = first
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end
function request()
    local code = codes[(i % #codes) + 1]
    i = i + step
    return wrk.format(nil, "/v1/verify", nil, '{"code":"' .. code .. '"}')
end
LUA

start_service() { # extra args...; sets url and pid (no subshell: pids and the trap stay here)
    local log="$tmp/serve-$RANDOM.log"
    # Usage records on, as by default, but in this run's folder (not the
    # state directory of whoever runs the bench).
    taskset -c 0 "$bin" serve --trust "$tmp/trust.json" --listen 127.0.0.1:0 \
        --replay "$replay" --usage-db "sqlite:$tmp/usage-$RANDOM.sqlite" "$@" 2>"$log" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        if grep -q '^listening on ' "$log"; then
            url=$(sed -n 's/^listening on //p' "$log" | head -1)
            return
        fi
        sleep 0.1
    done
    echo "service_load: medcode serve did not start: $(cat "$log")" >&2
    exit 2
}

# Accepted codes so far, from the service's metrics.
accepted() {
    python3 - "$1" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(sys.argv[1] + "/metrics").read().decode()
print(int(sum(float(l.split()[-1]) for l in text.splitlines()
              if l.startswith("medcode_verdicts_total") and 'reason="accepted"' in l)))
PY
}

# run_wrk URL CONNECTIONS FIRST STEP THREADS OUT
run_wrk() {
    MEDCODE_WRK_CODES="$tmp/codes.txt" MEDCODE_WRK_FIRST="$3" MEDCODE_WRK_STEP="$4" \
        taskset -c 1 wrk -t"$5" -c"$2" -d"${secs}s" --latency -s "$tmp/verify.lua" "$1" >"$6"
}

# "rate p50_ms p99_ms" from a wrk report.
summary() {
    python3 - "$@" <<'PY'
import re, sys
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rate, p50, p99 = 0.0, 0.0, 0.0
for path in sys.argv[1:]:
    t = open(path).read()
    rate += float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    p50 = max(p50, ms(re.search(r"\s50%\s+(\S+)", t).group(1)))
    p99 = max(p99, ms(re.search(r"\s99%\s+(\S+)", t).group(1)))
    if "Non-2xx" in t:
        print("service_load: error statuses in " + path + ":\n" + t, file=sys.stderr)
        sys.exit(1)
    if "Socket errors" in t:
        print("service_load: note: socket errors (timeouts on a loaded machine?) in " + path, file=sys.stderr)
print(f"{rate:.0f} {p50:.2f} {p99:.2f}")
PY
}

# Every request presents a live code once: each must be accepted. wrk
# counts the responses it read; the service may have accepted a few more,
# at most one per connection, whose answers came after wrk stopped.
check_accepted() { # accepted connections wrk-reports...
    local acc=$1 c=$2; shift 2
    local n; n=$(awk '$2 == "requests" && $3 == "in" { n += $1 } END { print n + 0 }' "$@")
    if [ "$acc" -lt "$n" ] || [ "$acc" -gt $(( n + c )) ]; then
        echo "service_load: $acc codes accepted for $n requests answered: every request should be accepted once" >&2
        exit 1
    fi
}

rows=()
one_replica() { # label, connections, extra serve args...
    local label=$1 c=$2; shift 2
    redis-cli -p "$rport" flushall >/dev/null
    fresh_codes
    start_service "$@"
    run_wrk "$url" "$c" 0 2 2 "$tmp/wrk-$label-$c.txt"
    local s acc; s=$(summary "$tmp/wrk-$label-$c.txt"); acc=$(accepted "$url")
    check_accepted "$acc" "$c" "$tmp/wrk-$label-$c.txt"
    rows+=("$label $c $s $acc")
    kill -TERM "$pid"; wait "$pid" || true
}

two_replicas() { # label, connections, extra serve args...
    local label=$1 c=$2; shift 2
    redis-cli -p "$rport" flushall >/dev/null
    local a b pa pb
    fresh_codes
    start_service "$@"; a=$url; pa=$pid
    start_service "$@"; b=$url; pb=$pid
    # Replica a takes the even codes, b the odd ones: each code once.
    run_wrk "$a" $((c / 2)) 0 2 1 "$tmp/wrk-$label-a.txt" &
    local w=$!
    run_wrk "$b" $((c / 2)) 1 2 1 "$tmp/wrk-$label-b.txt"
    wait "$w"
    local s acc; s=$(summary "$tmp/wrk-$label-a.txt" "$tmp/wrk-$label-b.txt")
    acc=$(( $(accepted "$a") + $(accepted "$b") ))
    check_accepted "$acc" "$c" "$tmp/wrk-$label-a.txt" "$tmp/wrk-$label-b.txt"
    rows+=("$label $c $s $acc")
    kill -TERM "$pa" "$pb"; wait "$pa" "$pb" || true
}

# The best rate of a mode with p99 under the bound: "connections rate p99",
# or "- 0 -" when no connection count kept it.
best() { # label
    for r in "${rows[@]}"; do echo "$r"; done | python3 -c '
import sys
bound = float(sys.argv[2])
runs = [l.split() for l in sys.stdin if l.split()[0] == sys.argv[1]]
ok = [r for r in runs if float(r[4]) < bound]
b = max(ok, key=lambda r: float(r[2])) if ok else None
print(f"{b[1]} {b[2]} {b[4]}" if b else "- 0 -")' "$1" "$p99_bound"
}

# Each mode at every connection count: the best rate whose p99 stays under
# the bound is the mode's (the load a chain would run it at).
# The modes alternate at each count, round after round, and each row is
# the median of its rounds: the noise of a shared machine falls on both.
for _ in $(seq "$rounds"); do
    for c in $conn_list; do
        one_replica batched "$c"
        one_replica unbatched "$c" --no-batching
    done
done
# Per mode and count, the median of each column over the rounds.
mapfile -t rows < <(for r in "${rows[@]}"; do echo "$r"; done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    f = line.split()
    runs.setdefault((f[0], int(f[1])), []).append([float(x) for x in f[2:]])
for (label, c), rs in sorted(runs.items(), key=lambda kv: (kv[0][0] != "batched", kv[0][1])):
    m = [statistics.median(col) for col in zip(*rs)]
    print(f"{label} {c} {m[0]:.0f} {m[1]:.2f} {m[2]:.2f} {m[3]:.0f}")')
read -r b_conns b_rate b_p99 <<<"$(best batched)"
read -r u_conns u_rate u_p99 <<<"$(best unbatched)"
two_replicas two-batched "$([ "$b_conns" = - ] && echo "$conns" || echo "$b_conns")"

echo
echo "### medcode serve under load ($(date -u +%F), replay guard $guard, ${secs} s per run, median of $rounds rounds, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
echo
echo "| run | connections | requests/s | p50 ms | p99 ms | codes accepted |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for r in "${rows[@]}"; do
    set -- $r
    case $1 in
        batched) name="1 replica, cross-request batching (default)";;
        unbatched) name="1 replica, --no-batching";;
        two-batched) name="2 replicas on the same core, one Redis, batching";;
    esac
    echo "| $name | $2 | $3 | $4 | $5 | $6 |"
done
python3 - "$b_conns" "$b_rate" "$b_p99" "$u_conns" "$u_rate" "$u_p99" "$p99_bound" <<'PY'
import sys
bc, br, bp, uc, ur, up, bound = sys.argv[1:]
br, ur, bound = float(br), float(ur), float(bound)
def at(c, r, p):
    return f"{float(r):.0f} ({c} connections, p99 {p} ms)" if c != "-" else f"none with p99 < {bound:g} ms"
ratio = br / ur if ur > 0 else None
print()
print(f"Each mode's best rate with p99 under {bound:g} ms, over the connection counts above:")
print()
print("| target | measured | goal | met |")
print("| --- | ---: | ---: | --- |")
print(f"| verifies/s on one core, p99 < {bound:g} ms (batching) | {at(bc, br, bp)} | >= 10000 | {'yes' if br >= 10000 else 'NO'} |")
print(f"| unbatched (--no-batching), p99 < {bound:g} ms | {at(uc, ur, up)} | (reference) | |")
if ratio is None:
    # No unbatched run kept the bound: batching is the only way to it.
    print(f"| batching / unbatched requests/s at that p99 bound | unbatched never under it | >= 1.50 | {'yes' if br > 0 else 'NO'} |")
else:
    print(f"| batching / unbatched requests/s at that p99 bound | {ratio:.2f} | >= 1.50 | {'yes' if ratio >= 1.5 else 'NO'} |")
PY
