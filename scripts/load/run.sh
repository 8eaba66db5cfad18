#!/usr/bin/env bash
# Load test of a served Evident with wrk (Debian package `wrk`): an article page and /api/v1/ask,
# 16 connections each. The questions come from the shared benchmark sets, read at run time.
#
#   scripts/load/run.sh DATA_DIR [SECONDS]
#
# First /api/v1/ask with questions not asked before (each answer composed for three audiences
# and stored), then the article page, then /api/v1/ask again over the same questions (answered
# by question reuse).
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
EVIDENT_DATA="$data" "$bin" serve --addr "127.0.0.1:$port" --ask-rate 0 \
    --database-url "$db" > "$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/" -o /dev/null 2>/dev/null && break
  sleep 0.2
done
base="http://127.0.0.1:$port"

# An article to read: the first clinical question.
first=$(head -1 "$out/bodies.jsonl")
slug=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$first" "$base/api/v1/ask" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["slug"])')
echo "article page: $base/a/$slug"
curl -fsS "$base/a/$slug" -o /dev/null

echo
echo "=== POST /api/v1/ask, new questions only, 16 connections, ${fresh}s (every answer composed and stored)"
wrk -t2 -c16 -d"${fresh}s" --latency -s scripts/load/ask.lua "$base" -- "$out/bodies.jsonl"

echo
echo "=== GET /a/$slug, 16 connections, ${secs}s"
wrk -t2 -c16 -d"${secs}s" --latency "$base/a/$slug"

echo
echo "=== POST /api/v1/ask, 16 connections, ${secs}s (the same questions again, and more: answered by reuse)"
wrk -t2 -c16 -d"${secs}s" --latency -s scripts/load/ask.lua "$base" -- "$out/bodies.jsonl"
