#!/usr/bin/env bash
# BM25 latency beside bm25s, in one run on one machine: bm25s (scripts/bench_bm25s.py, PyStemmer,
# English stopwords, top 100, one thread) and then `evident eval retrieval --mode bm25` (top 100)
# on the same LiveQA-MedQuAD corpus and dev queries; prints both figures side by side.
#
# usage: scripts/bench_bm25.sh [EVIDENT_BINARY]   (default: target/release/evident)
# env:   DATA=../shared/data   ROUNDS=2 (each tool runs this many times, alternating)
# needs: pip install bm25s PyStemmer
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/release/evident}"
data="${DATA:-$root/../shared/data}"
rounds="${ROUNDS:-2}"
e="$data/eval/liveqa-medquad"
[ -x "$bin" ] || { echo "no evident binary at $bin (cargo build --release -p evident)" >&2; exit 1; }
[ -f "$e/corpus.jsonl.gz" ] || { echo "no LiveQA corpus at $e" >&2; exit 1; }
python3 -c 'import bm25s, Stemmer' 2>/dev/null || { echo "needs: pip install bm25s PyStemmer" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
    python3 "$root/scripts/bench_bm25s.py" --data "$data" --k 100 >"$tmp/bm25s.$r"
    "$bin" eval retrieval --corpus "$e/corpus.jsonl.gz" --queries "$e/queries-dev.jsonl" \
        --qrels "$e/qrels-dev.txt" --mode bm25 --k 100 >"$tmp/evident.$r"
done

field() { # FILE NAME -> value of the "NAME<TAB>value" line
    awk -F'\t' -v n="$2" '$1 == n { print $2 }' "$1"
}
lat() { # FILE PCT -> the latency figure after "pPCT "
    grep '^latency ms' "$1" | tr '\t' '\n' | awk -v p="p$2" '$1 == p { print $2 }'
}
printf '%-8s %5s %9s %9s %9s %9s\n' tool round nDCG@10 MRR@10 "p50 ms" "p99 ms"
for r in $(seq 1 "$rounds"); do
    for tool in bm25s evident; do
        f="$tmp/$tool.$r"
        printf '%-8s %5s %9s %9s %9s %9s\n' "$tool" "$r" "$(field "$f" nDCG@10)" \
            "$(field "$f" MRR@10)" "$(lat "$f" 50)" "$(lat "$f" 99)"
    done
done
