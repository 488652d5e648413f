#!/usr/bin/env python3
"""Reference BM25 retrieval scorer for the Docent retrieval evaluation set.

Ranks a set of chunks with BM25 (PyPI package ``bm25s``, version pinned in
requirements.txt beside this file) for every question of
tests/data/retrieval/questions.jsonl, and prints recall@5 and MRR@10 as a
Markdown table.  When --results is given, the same metrics are computed for
those results (e.g. Docent's local document search over the same chunks), so
the two can be compared.

Inputs
------
--chunks FILE     JSONL, one chunk per line:
                  {"chunk_id": str, "document": str, "page": int, "text": str}
                  ``document`` is the absolute path exactly as in
                  tests/data/retrieval/corpus.tsv (``.pdf.gz`` paths included),
                  ``page`` the physical 1-based page index of the PDF.
--questions FILE  JSONL, one question per line:
                  {"id": str, "question": str, "document": str,
                   "pages": [int, ...], "answer": str}
--results FILE    optional JSONL, one line per question:
                  {"id": str, "hits": [{"document": str, "page": int}, ...]}
                  hits best first; only the first 10 are looked at.

Tokenization (used for both chunks and questions)
--------------------------------------------------
1. Unicode NFKC normalisation (folds ligatures such as "ﬁ" -> "fi", which
   pdftotext emits for some TeX fonts, and full-width forms).
2. Lower-casing (str.lower()).
3. Tokens are the maximal runs matched by the regex ``\\w+`` (Unicode letters,
   digits and underscore), so ``PROMPT_COMMAND`` stays one token and
   ``--track-origins=yes`` gives ``track``, ``origins``, ``yes``.
4. Tokens of a single character are dropped (like the default token pattern
   of bm25s and scikit-learn, ``\\b\\w\\w+\\b``).
5. English stopwords are dropped: the 33-word Lucene English list shipped by
   bm25s as ``bm25s.stopwords.STOPWORDS_EN`` (a, an, and, are, as, at, be,
   but, by, for, if, in, into, is, it, no, not, of, on, or, such, that, the,
   their, then, there, these, they, this, to, was, will, with).
No stemming.  Repeated query terms are kept (each occurrence counts).

Scoring
-------
bm25s.BM25(method="lucene", k1=1.5, b=0.75) over all chunks of the file
(one index for the whole corpus, not per document).  Chunks are ranked by
score, ties broken by their order in the chunks file; chunks scoring 0 (no
query term in common) are never returned.  A reference hit is the chunk's
(document, page); several chunks of the same page may occupy several ranks.

Metrics
-------
A hit is relevant when its document equals the question's document and its
page is one of the question's labelled pages.
recall@5  fraction of questions with a relevant hit among the first 5 hits.
MRR@10    mean over questions of 1/rank of the first relevant hit within the
          first 10 hits (0 when there is none).
Every question of the questions file counts; a question missing from
--results counts as a miss.

Output
------
A Markdown table on stdout; with --json FILE the same numbers (plus the ids
of the questions missed at 5) are written to FILE as JSON ("-" = stdout,
in which case the Markdown table is not printed).

Example
-------
    python3 -m venv /tmp/bm25venv
    /tmp/bm25venv/bin/pip install -r benches/retrieval/requirements.txt
    /tmp/bm25venv/bin/python benches/retrieval/reference_bm25.py \\
        --chunks chunks.jsonl \\
        --questions tests/data/retrieval/questions.jsonl \\
        --results our_results.jsonl --json report.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from typing import Any, Iterable

try:
    import numpy as np
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN
except ImportError:  # pragma: no cover - message for people without the venv
    sys.exit(
        "reference_bm25.py needs bm25s and numpy: "
        "pip install -r benches/retrieval/requirements.txt"
    )

K1 = 1.5
B = 0.75
RECALL_K = 5
MRR_K = 10

_TOKEN_RE = re.compile(r"\w+")
_STOPWORDS = frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """NFKC, lower-case, \\w+ runs, drop 1-character tokens and stopwords."""
    text = unicodedata.normalize("NFKC", text).lower()
    return [
        tok
        for tok in _TOKEN_RE.findall(text)
        if len(tok) > 1 and tok not in _STOPWORDS
    ]


def read_jsonl(path: str) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                sys.exit(f"{path}:{lineno}: invalid JSON: {exc}")
    return rows


def require(row: dict[str, Any], keys: Iterable[str], where: str) -> None:
    missing = [k for k in keys if k not in row]
    if missing:
        sys.exit(f"{where}: missing field(s) {', '.join(missing)}")


def load_chunks(path: str) -> list[dict[str, Any]]:
    chunks = read_jsonl(path)
    for i, c in enumerate(chunks, 1):
        require(c, ("chunk_id", "document", "page", "text"), f"{path}: chunk {i}")
        c["page"] = int(c["page"])
    if not chunks:
        sys.exit(f"{path}: no chunks")
    return chunks


def load_questions(path: str) -> list[dict[str, Any]]:
    questions = read_jsonl(path)
    seen = set()
    for i, q in enumerate(questions, 1):
        require(q, ("id", "question", "document", "pages"), f"{path}: question {i}")
        if q["id"] in seen:
            sys.exit(f"{path}: duplicate question id {q['id']}")
        seen.add(q["id"])
        q["pages"] = [int(p) for p in q["pages"]]
    if not questions:
        sys.exit(f"{path}: no questions")
    return questions


def load_results(path: str) -> dict[str, list[tuple[str, int]]]:
    results: dict[str, list[tuple[str, int]]] = {}
    for i, row in enumerate(read_jsonl(path), 1):
        require(row, ("id", "hits"), f"{path}: line {i}")
        if row["id"] in results:
            print(f"warning: {path}: id {row['id']} given twice, using the last", file=sys.stderr)
        hits = []
        for h in row["hits"]:
            require(h, ("document", "page"), f"{path}: id {row['id']} hit")
            hits.append((h["document"], int(h["page"])))
        results[row["id"]] = hits
    return results


def bm25_rankings(
    chunks: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    k1: float = K1,
    b: float = B,
    depth: int = MRR_K,
) -> dict[str, list[tuple[str, int]]]:
    """Top `depth` (document, page) hits per question id from BM25 over chunks."""
    corpus_tokens = [tokenize(c["text"]) for c in chunks]
    retriever = bm25s.BM25(method="lucene", k1=k1, b=b)
    retriever.index(corpus_tokens, show_progress=False)
    rankings: dict[str, list[tuple[str, int]]] = {}
    order = np.arange(len(chunks))
    for q in questions:
        q_tokens = tokenize(q["question"])
        if not q_tokens:
            rankings[q["id"]] = []
            continue
        scores = np.asarray(retriever.get_scores(q_tokens), dtype=np.float64)
        # Sort by score descending, then by position in the chunks file.
        top = np.lexsort((order, -scores))[:depth]
        rankings[q["id"]] = [
            (chunks[i]["document"], chunks[i]["page"]) for i in top if scores[i] > 0
        ]
    return rankings


def evaluate(
    questions: list[dict[str, Any]], rankings: dict[str, list[tuple[str, int]]]
) -> dict[str, Any]:
    found = 0
    rr_sum = 0.0
    misses = []
    for q in questions:
        relevant = {(q["document"], p) for p in q["pages"]}
        hits = rankings.get(q["id"], [])[:MRR_K]
        rank = next((r for r, h in enumerate(hits, 1) if h in relevant), None)
        if rank is not None and rank <= RECALL_K:
            found += 1
        else:
            misses.append(q["id"])
        if rank is not None:
            rr_sum += 1.0 / rank
    n = len(questions)
    return {
        f"recall@{RECALL_K}": found / n,
        f"mrr@{MRR_K}": rr_sum / n,
        "questions": n,
        f"missed_at_{RECALL_K}": misses,
    }


def markdown(rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        f"| system | recall@{RECALL_K} | MRR@{MRR_K} | questions |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, m in rows:
        lines.append(
            f"| {name} | {m[f'recall@{RECALL_K}']:.3f} | {m[f'mrr@{MRR_K}']:.3f} | {m['questions']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", required=True, help="chunks JSONL")
    ap.add_argument("--questions", required=True, help="questions JSONL")
    ap.add_argument("--results", help="our results JSONL (optional)")
    ap.add_argument("--json", metavar="FILE", help="also write the numbers as JSON ('-' = stdout only)")
    ap.add_argument("--k1", type=float, default=K1, help=f"BM25 k1 (default {K1})")
    ap.add_argument("--b", type=float, default=B, help=f"BM25 b (default {B})")
    ap.add_argument(
        "--show-misses",
        action="store_true",
        help="print, on stderr, the questions the reference misses at 5 with its top hits",
    )
    args = ap.parse_args(argv)

    chunks = load_chunks(args.chunks)
    questions = load_questions(args.questions)

    chunk_docs = {c["document"] for c in chunks}
    for doc in sorted({q["document"] for q in questions} - chunk_docs):
        print(f"warning: no chunk for question document {doc}", file=sys.stderr)

    ref_rank = bm25_rankings(chunks, questions, k1=args.k1, b=args.b)
    ref = evaluate(questions, ref_rank)
    rows = [("reference BM25 (bm25s)", ref)]
    report: dict[str, Any] = {
        "reference_bm25": ref,
        "params": {
            "bm25s_version": getattr(bm25s, "__version__", "unknown"),
            "method": "lucene",
            "k1": args.k1,
            "b": args.b,
            "chunks": len(chunks),
        },
    }

    if args.results:
        results = load_results(args.results)
        qids = {q["id"] for q in questions}
        unknown = sorted(set(results) - qids)
        absent = sorted(qids - set(results))
        if unknown:
            print(f"warning: results for unknown question ids: {', '.join(unknown)}", file=sys.stderr)
        if absent:
            print(f"warning: no results for {len(absent)} question(s), counted as misses: {', '.join(absent)}", file=sys.stderr)
        ours = evaluate(questions, results)
        rows.append(("our results", ours))
        report["results"] = ours

    if args.show_misses:
        by_id = {q["id"]: q for q in questions}
        for qid in ref[f"missed_at_{RECALL_K}"]:
            q = by_id[qid]
            print(f"\n{qid}: {q['question']}\n  want {q['document']} pages {q['pages']}", file=sys.stderr)
            for r, (doc, page) in enumerate(ref_rank[qid][:RECALL_K], 1):
                print(f"  {r}. {doc} p{page}", file=sys.stderr)

    if args.json:
        text = json.dumps(report, indent=2, sort_keys=True)
        if args.json == "-":
            print(text)
            return 0
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
