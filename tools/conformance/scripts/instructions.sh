#!/usr/bin/env bash
# Instructions per request of one bench:http server under load, counted by callgrind (deterministic, unlike req/s on a
# shared machine). Needs valgrind. Usage, from tools/conformance:
#   scripts/instructions.sh <express|fastify|hono> <bare|ours|rival|floor> [ENV=value ...]
# N requests are counted after WARM uncounted ones (JIT warm-up). Prints instructions per request on the main thread
# (where the request is handled), the same without V8's GC functions (scavenges in the counted window vary from run to
# run: compare this figure for A/B, over several runs) and on all threads (GC helper threads included), and leaves
# callgrind.out.* in $OUT (one file per thread) for callgrind_annotate.
# PERF_MAP=1 also writes V8's perf map (/tmp/perf-<pid>.map) for naming JIT code.
# VG_ARGS adds callgrind options, e.g. VG_ARGS=--cache-sim=yes (simulated cache misses, in the output files).
set -euo pipefail
fw=$1 variant=$2
shift 2
N=${N:-2000} WARM=${WARM:-8000} OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
env NODE_ENV=production "$@" valgrind --tool=callgrind --smc-check=all --instr-atstart=no --separate-threads=yes ${VG_ARGS:-} \
  --callgrind-out-file="$OUT/callgrind.out.%p" node ${PERF_MAP:+--perf-basic-prof} --import tsx src/bench-server.ts "$fw" "$variant" >"$OUT/port.txt" 2>"$OUT/valgrind.log" &
pid=$!
for _ in $(seq 1 600); do grep -q PORT "$OUT/port.txt" 2>/dev/null && break; sleep 0.5; done
port=$(sed -n 's/^PORT //p' "$OUT/port.txt")
load() { node -e "require('autocannon')({url:'http://127.0.0.1:$port/',connections:10,amount:$1},(e,r)=>{if(e||r.non2xx)process.exit(1)})"; }
load "$WARM"
callgrind_control -i on "$pid" >/dev/null
load "$N"
callgrind_control -i off "$pid" >/dev/null
callgrind_control -d "$pid" >/dev/null
kill -INT "$pid"
wait "$pid" 2>/dev/null || true
sum() { cat "$@" | grep -h '^totals:' | awk '{s+=$2} END {print s+0}'; }
main=$(sum "$OUT"/callgrind.out.*-01)
total=$(sum "$OUT"/callgrind.out.*)
# V8's GC work on the main thread (scavenges falling in the counted window: 1-6k a request, varying from run to run),
# by function name, so two versions of the code can be compared without it
main_file=$(ls "$OUT"/callgrind.out.*.1-01 2>/dev/null | head -1)
[ -n "$main_file" ] || main_file=$(ls "$OUT"/callgrind.out.*-01 | head -1)
gc_re='Scaveng|IterateObjectCache|RootScavenge|Evacuat|MarkCompact|Marking|Sweep|Heap::|heap::|Heap_|GlobalHandles|IteratePointers|OnMoveEvent|MemoryChunk|RememberedSet|SlotSet|PagedSpace|NewSpace|SemiSpace|GCTracer|Safepoint|ArrayBufferSweeper|MarkingBarrier|WriteBarrier|StringForwarding'
gc=$(callgrind_annotate --threshold=100 "$main_file" 2>/dev/null | awk -v re="$gc_re" '$0 ~ re && $0 !~ /PROGRAM TOTALS/ { gsub(",", "", $1); s += $1 } END { printf "%d", s + 0 }')
echo "$fw/$variant: $((main / N)) instructions per request on the main thread ($(((main - gc) / N)) without GC functions), $((total / N)) on all threads ($N requests after $WARM; files in $OUT)"
