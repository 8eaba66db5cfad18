#!/usr/bin/env bash
# Load test of a served Evident with wrk (Debian package `wrk`): an article page and /api/v1/ask,
# 16 connections each. The questions come from the shared benchmark sets, read at run time.
#
#   scripts/load/run.sh DATA_DIR [SECONDS]
#
# First /api/v1/ask with questions not asked before (each answer composed for three audiences
# and stored), then the article page, then /api/v1/ask again over the same questions (answered
# by question reuse), then an idle spell. The server's resident memory (VmRSS) is sampled every
# few seconds through all of it and printed as a curve at the end, with each phase's requests per
# second and errors (socket errors and responses other than 2xx/3xx; they should be 0).
#
#   EVIDENT_LOAD_RSS_EVERY   seconds between RSS samples (default 5)
#   EVIDENT_LOAD_IDLE_SECS   idle seconds sampled after the last run (default 30)
#   EVIDENT_LOAD_TIMEOUT     seconds wrk waits for a response before counting a timeout error
#                            (default 10: composing takes seconds on a busy 2-core machine)
#   MALLOC_ARENA_MAX=2       (glibc) passes to the server: compare the curve with fewer arenas
#   EVIDENT_LOAD_HEAPTRACK=1 runs the server under heaptrack (Debian package `heaptrack`) and
#                            prints what it still held at exit and its peak, by allocation site
#                            (the profile is target/load/heaptrack.*.zst; slower requests)
#
# DATA_DIR holds the index to serve (for the shared corpora with embeddings:
# `evident bench --embed --scratch DATA_DIR/index --keep`). The articles go to a fresh SQLite
# file under target/load/, so repeated runs start from an empty store.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

data=${1:?usage: scripts/load/run.sh DATA_DIR [SECONDS]}
secs=${2:-30}
# Short enough that the distinct questions last (check "reused 0" in its output).
fresh=${EVIDENT_LOAD_FRESH_SECS:-5}
port=${EVIDENT_LOAD_PORT:-8099}
bin=${EVIDENT_BIN:-target/release/evident}
shared=../shared/data/eval
out=target/load
every=${EVIDENT_LOAD_RSS_EVERY:-5}
idle=${EVIDENT_LOAD_IDLE_SECS:-30}
timeout=${EVIDENT_LOAD_TIMEOUT:-10}
mkdir -p "$out"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
[ -x "$bin" ] || { echo "$bin not found: cargo build --release" >&2; exit 1; }
[ -d "$shared" ] || { echo "$shared not found: the questions come from the shared sets" >&2; exit 1; }

# One JSON request body per line, from every shared question set.
python3 - "$shared" > "$out/bodies.jsonl" <<'PY'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
seen = set()
def emit(q):
    q = " ".join((q or "").split())
    if q and q.lower() not in seen and len(q) <= 2000:
        seen.add(q.lower())
        print(json.dumps({"question": q}))
for name, pick in [
    ("clinical-dev/questions.jsonl", lambda r: r.get("question")),
    ("liveqa-medquad/queries-dev.jsonl", lambda r: f'{r.get("subject", "")} {r.get("message", "")}'),
    ("kqa/dev.jsonl", lambda r: r.get("Question")),
    ("pubmedqa/queries-dev.jsonl", lambda r: r.get("question")),
]:
    p = root / name
    if p.exists():
        for line in p.open():
            if line.strip():
                emit(pick(json.loads(line)))
PY
echo "$(wc -l < "$out/bodies.jsonl") distinct questions in $out/bodies.jsonl"

# Hybrid search needs the model: where `.ci/run` and the README put it, unless set.
if [ -z "${EVIDENT_MODEL_DIR:-}" ] && [ -f target/models/all-MiniLM-L6-v2/model.safetensors ]; then
  export EVIDENT_MODEL_DIR="$PWD/target/models/all-MiniLM-L6-v2"
fi
echo "embedding model: ${EVIDENT_MODEL_DIR:-<data>/models (BM25 only if absent; see $out/serve.log)}"

db="$out/load-$$.db"
rm -f "$db" "$db-wal" "$db-shm"
profiler=()
if [ -n "${EVIDENT_LOAD_HEAPTRACK:-}" ]; then
  command -v heaptrack >/dev/null || { echo "heaptrack not found: apt-get install heaptrack" >&2; exit 1; }
  rm -f "$out"/heaptrack.*
  profiler=(heaptrack -o "$out/heaptrack")
fi
EVIDENT_DATA="$data" "${profiler[@]}" "$bin" serve --addr "127.0.0.1:$port" --ask-rate 0 \
    --database-url "$db" > "$out/serve.log" 2>&1 &
server=$!
sampler=
trap 'kill $server 2>/dev/null || true; [ -z "$sampler" ] || kill $sampler 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/" -o /dev/null 2>/dev/null && break
  sleep 0.2
done
base="http://127.0.0.1:$port"
# Under heaptrack the server is the wrapper's child: sample (and stop) the server itself.
launcher=$server
if [ ${#profiler[@]} -gt 0 ]; then
  server=$(pgrep -n -f -- "$bin serve --addr 127.0.0.1:$port")
fi

# The RSS curve: "seconds phase MB" every $every s, the phase named in $out/phase.
echo start > "$out/phase"
: > "$out/rss.tsv"
(
  t0=$(date +%s)
  while kill -0 "$server" 2>/dev/null; do
    # VmRSS, and its parts: anonymous memory (the heap) and file pages (the index, mapped).
    kb=$(awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%d\t", $2 / 1024}' "/proc/$server/status" \
      2>/dev/null || true)
    [ -n "$kb" ] && printf '%s\t%s\t%s\n' "$(( $(date +%s) - t0 ))" "$(cat "$out/phase")" \
      "${kb%$'\t'}" >> "$out/rss.tsv"
    sleep "$every"
  done
) &
sampler=$!
: > "$out/summary.tsv"
# Runs wrk for one phase, tees its output and notes its requests/s and errors.
phase() {
  local name=$1; shift
  echo "$name" > "$out/phase"
  wrk --timeout "${timeout}s" "$@" | tee "$out/wrk-$name.txt"
  local rps errors non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out/wrk-$name.txt")
  errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out/wrk-$name.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$out/wrk-$name.txt")
  printf '%s\t%s\t%s\t%s\n' "$name" "${rps:-?}" "${errors:-0}" "${non2xx:-0}" >> "$out/summary.tsv"
}

# An article to read: the first clinical question.
first=$(head -1 "$out/bodies.jsonl")
slug=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$first" "$base/api/v1/ask" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["slug"])')
echo "article page: $base/a/$slug"
curl -fsS "$base/a/$slug" -o /dev/null

echo
echo "=== POST /api/v1/ask, new questions only, 16 connections, ${fresh}s (every answer composed and stored)"
phase ask-new -t2 -c16 -d"${fresh}s" --latency -s scripts/load/ask.lua "$base" -- "$out/bodies.jsonl"

echo
echo "=== GET /a/$slug, 16 connections, ${secs}s"
phase article -t2 -c16 -d"${secs}s" --latency "$base/a/$slug"

echo
echo "=== POST /api/v1/ask, 16 connections, ${secs}s (the same questions again, and more: answered by reuse)"
phase ask-reuse -t2 -c16 -d"${secs}s" --latency -s scripts/load/ask.lua "$base" -- "$out/bodies.jsonl"

echo
echo "=== idle, ${idle}s"
echo idle > "$out/phase"
sleep "$idle"
sleep "$every"

echo
echo "=== server metrics"
curl -fsS "$base/metrics" | grep -E '^(evident_answers_total|evident_index_generation|process_resident)' || true

echo
echo "=== phases (requests/s, socket errors, non-2xx/3xx responses)"
printf 'phase\treq/s\terrors\tnon-2xx\n'
cat "$out/summary.tsv"
echo
echo "=== server RSS (VmRSS, MB) every ${every}s; MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-unset}"
printf 's\tphase\tRSS MB\tanon MB\tfile MB\n'
cat "$out/rss.tsv"
awk -F'\t' '{ last[$2] = $3; if ($3 > max[$2]) max[$2] = $3; anon[$2] = $4 } END {
  for (p in last) printf "%s: last %s MB (anonymous %s MB), max %s MB\n", p, last[p], anon[p], max[p] }' \
  "$out/rss.tsv" | sort

if [ ${#profiler[@]} -gt 0 ]; then
  echo
  echo "=== heaptrack: the server stopped by SIGTERM"
  kill -TERM "$server"
  wait "$launcher" || true
  profile=$(ls "$out"/heaptrack*.zst "$out"/heaptrack*.gz 2>/dev/null | head -1)
  heaptrack_print -f "$profile" --print-leaks 1 --print-peaks 1 --print-allocators 0 \
      --print-temporary 0 --peak-limit 8 --print-histogram "$out/heaptrack-histogram.txt" \
      > "$out/heaptrack.txt" 2>&1 || true
  grep -E "^(total runtime|calls to allocation|temporary memory|peak heap|peak RSS|total memory leaked)" \
      "$out/heaptrack.txt" || true
  echo "whole report: $out/heaptrack.txt"
fi
