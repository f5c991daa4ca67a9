#!/usr/bin/env bash
# Server CPU time per request (user and system separately, from /proc, Linux) of one bench:http server under
# autocannon load, natively. Usage, from tools/conformance:
#   scripts/cpu-per-request.sh <express|fastify|hono> <bare|ours|rival|floor> [ENV=value ...]
# WARM seconds of load first (default 3), then DUR seconds counted (default 8). One process, one draw: run it several
# times, interleaving the variants, before reading a difference into it (bench:http does that for you).
set -euo pipefail
fw=$1 variant=$2
shift 2
WARM=${WARM:-3} DUR=${DUR:-8}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
out=$(mktemp)
env NODE_ENV=production "$@" node --import tsx src/bench-server.ts "$fw" "$variant" >"$out" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q PORT "$out" 2>/dev/null && break; sleep 0.2; done
port=$(sed -n 's/^PORT //p' "$out")
load() { node -e "require('autocannon')({url:'http://127.0.0.1:$port/',connections:10,duration:$1},(e,r)=>{if(e||r.non2xx)process.exit(1);console.log(r.requests.total)})"; }
load "$WARM" >/dev/null
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
n=$(load "$DUR")
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
tck=$(getconf CLK_TCK)
awk -v n="$n" -v d="$DUR" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tck" -v name="$fw/$variant" \
  'BEGIN { printf "%s: %.0f req/s, user %.1f µs, system %.1f µs of server CPU per request (%d requests)\n", name, n / d, u / t / n * 1e6, s / t / n * 1e6, n }'
