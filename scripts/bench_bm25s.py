#!/usr/bin/env python3
"""bm25s on the LiveQA-MedQuAD corpus and dev queries: the peer Evident's BM25 latency is
measured beside (scripts/bench_bm25.sh runs both in one go).

Indexes each record as one document (focus, question and answer text, as `evident eval
retrieval` does), with PyStemmer's English stemmer and English stopwords; retrieves the top 100
for each query (subject + " " + message) on one thread, timing each query alone (tokenising
included), and prints nDCG@10 / MRR@10 (relevant = grade >= 2) and the latency percentiles.

usage: bench_bm25s.py [--data ../shared/data] [--k 100] [--run FILE]
needs: pip install bm25s PyStemmer
"""
import argparse
import gzip
import json
import math
import time
from collections import defaultdict
from pathlib import Path

import bm25s
import Stemmer


def read_jsonl(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def percentile(sorted_ms, p):
    """Nearest rank on len - 1, as `evident eval` reports."""
    if not sorted_ms:
        return 0.0
    return sorted_ms[round((len(sorted_ms) - 1) * p)]


def metrics(qrels, run, threshold=2):
    ndcg = mrr = 0.0
    n = 0
    for qid, judged in qrels.items():
        rel = {d for d, g in judged.items() if g >= threshold}
        if not rel:
            continue
        n += 1
        ranked = sorted(run.get(qid, []), key=lambda x: (-x[1], x[0]))
        ranked = [d for d, _ in ranked][:10]
        dcg = sum(max(judged.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked))
        ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg += dcg / idcg if idcg else 0.0
        mrr += next((1.0 / (i + 1) for i, d in enumerate(ranked) if d in rel), 0.0)
    return n, ndcg / max(n, 1), mrr / max(n, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--run", help="write the ranking as a TREC run file")
    args = ap.parse_args()
    base = Path(args.data) / "eval" / "liveqa-medquad"
    records = read_jsonl(base / "corpus.jsonl.gz")
    queries = read_jsonl(base / "queries-dev.jsonl")
    qrels = defaultdict(dict)
    for line in open(base / "qrels-dev.txt"):
        p = line.split()
        if len(p) == 4:
            qrels[p[0]][p[2]] = int(float(p[3]))

    stemmer = Stemmer.Stemmer("english")
    ids = [r["id"] for r in records]
    texts = [f"{r.get('focus', '')} {r.get('question', '')} {r.get('text', '')}" for r in records]
    t = time.perf_counter()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    indexed = time.perf_counter() - t
    k = min(args.k, len(ids))

    def search(text):
        q = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        return retriever.retrieve(q, k=k, n_threads=1, show_progress=False)

    qtexts = [(str(q["qid"]), f"{q.get('subject', '')} {q.get('message', '')}") for q in queries]
    search(qtexts[0][1])  # warm-up
    run, ms = {}, []
    for qid, text in qtexts:
        t = time.perf_counter()
        docs, scores = search(text)
        ms.append((time.perf_counter() - t) * 1e3)
        run[qid] = [(ids[d], float(s)) for d, s in zip(docs[0], scores[0])]
    ms.sort()
    n, ndcg, mrr = metrics(qrels, run)
    print(f"bm25s {bm25s.__version__}: {len(ids)} records indexed in {indexed:.1f} s")
    print(f"[bm25s] {len(qtexts)} queries, {n} judged, top {k}")
    print(f"nDCG@10\t{ndcg:.4f}")
    print(f"MRR@10\t{mrr:.4f}")
    print(f"latency ms\tp50 {percentile(ms, 0.5):.2f}\tp95 {percentile(ms, 0.95):.2f}"
          f"\tp99 {percentile(ms, 0.99):.2f}")
    if args.run:
        with open(args.run, "w") as f:
            for qid, docs in run.items():
                for i, (d, s) in enumerate(docs):
                    f.write(f"{qid} Q0 {d} {i + 1} {s:.6f} bm25s\n")


if __name__ == "__main__":
    main()
