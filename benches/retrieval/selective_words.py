"""What matching only a search's rarer words would cost in quality (issue 13, 2026-12-06).

A search scores every passage holding one of its words. Matching only the rarest words, those
that together are in at most BUDGET passages (always at least the rarest), and letting the
commoner ones only add to those passages' scores (Elasticsearch's "common terms" cut-off)
bounds the work of a search. This script measures what that costs: recall@5 and MRR@10 of each
budget beside the exact ranking, and how many questions keep the exact top five, over the
passages of one workspace of a Docent database, scored as Docent scores them (bm25, k1 1.2,
b 0.75, the heading at half weight, the workspace's own statistics).

    python3 selective_words.py DB WORKSPACE_ID QUESTIONS.jsonl BUDGET[,BUDGET...]

BUDGET 0 is the exact ranking (every passage holding a word). Questions' answers count only in
documents of their own name, so copies ("copy N of ...") of a benchmark library never do.
Needs apsw (PyPI), which lets Python define an FTS5 ranking function.
"""

import json
import math
import re
import struct
import sys
from pathlib import Path

import apsw

K1, B = 1.2, 0.75
COLUMN_WEIGHTS = (1.0, 0.5, 0.0)


def stopwords():
    source = (Path(__file__).parents[2] / "crates/core/src/domain/documents.rs").read_text()
    start = source.index("const STOPWORDS")
    return set(re.findall(r'"([a-z0-9]+)"', source[start : source.index("];", start)]))


def main(db, workspace, questions_file, budgets):
    con = apsw.Connection(db, flags=apsw.SQLITE_OPEN_READONLY)
    stop = stopwords()

    def bm25(api, blob):
        numbers = struct.unpack("<%dd" % (len(blob) // 8), blob)
        average, idfs = numbers[0], numbers[1:]
        frequencies = [0.0] * len(idfs)
        for phrase, idf in enumerate(idfs):
            if idf:
                for column, offsets in enumerate(api.phrase_locations(phrase)):
                    frequencies[phrase] += COLUMN_WEIGHTS[column] * len(offsets)
        norm = K1 * (1 - B + B * api.column_size(-1) / average)
        return -sum(i * f * (K1 + 1) / (f + norm) for i, f in zip(idfs, frequencies) if f)

    con.register_fts5_function("py_bm25", bm25)
    scope_token = con.execute(
        "SELECT p.scope FROM passages p JOIN documents d ON d.id = p.document_id"
        " WHERE d.workspace_id = ? LIMIT 1",
        (workspace,),
    ).fetchone()[0]
    scope = 'scope : "%s"' % scope_token
    rows = con.execute(
        "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (scope,)
    ).fetchone()[0]
    tokens = 0
    for (sizes,) in con.execute(
        "SELECT s.sz FROM passages_fts_docsize s JOIN passages p ON p.id = s.id"
        " JOIN documents d ON d.id = p.document_id WHERE d.workspace_id = ?",
        (workspace,),
    ):
        i = 0
        while i < len(sizes):  # one varint per column
            value = 0
            while True:
                byte = sizes[i]
                i += 1
                value = (value << 7) | (byte & 0x7F)
                if byte < 0x80:
                    break
            tokens += value
    average = tokens / rows
    counts = {}

    def hits(phrase):
        if phrase not in counts:
            counts[phrase] = con.execute(
                "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?",
                ("%s AND {text heading} : %s" % (scope, phrase),),
            ).fetchone()[0]
        return counts[phrase]

    def idf(h):
        value = math.log((rows - h + 0.5) / (h + 0.5))
        return value if value > 0 else 1e-6

    def words(question):
        out = []
        for w in re.split(r"[^\w]+", question.lower()):
            if w and not (len(w) < 2 and w.isalpha()) and w not in stop and w not in out:
                out.append(w)
        return out

    def search(question, budget):
        found = [('"%s"' % w, hits('"%s"' % w)) for w in words(question)]
        found = sorted(((p, h, idf(h)) for p, h in found if h), key=lambda w: (w[2], -w[1]))
        split, matched = len(found) - 1, found[-1][1]
        while split > 0 and (not budget or matched + found[split - 1][1] <= budget):
            split -= 1
            matched += found[split][1]
        any_of = lambda ws: " OR ".join(w[0] for w in ws)
        query = "(%s AND {text heading} : (%s)" % (scope, any_of(found[split:]))
        weights = [average, 0.0] + [w[2] for w in found[split:]]
        if split:
            query += " AND (%s OR {text heading} : (%s))" % (scope, any_of(found[:split]))
            weights += [0.0] + [w[2] for w in found[:split]]
        query += ")"
        blob = struct.pack("<%dd" % len(weights), *weights)
        ranked = con.execute(
            "SELECT d.name, p.page FROM (SELECT rowid, py_bm25(passages_fts, ?) AS r"
            " FROM passages_fts WHERE passages_fts MATCH ? ORDER BY r LIMIT 10) f"
            " JOIN passages p ON p.id = f.rowid JOIN documents d ON d.id = p.document_id"
            " ORDER BY f.r",
            (blob, query),
        ).fetchall()
        return ranked, matched

    questions = [json.loads(line) for line in open(questions_file)]
    exact = {}
    print("| budget (passages matched at most) | recall@5 | MRR@10 | top five as exact | passages matched, p50 / max |")
    print("|---|---:|---:|---:|---|")
    for budget in budgets:
        found5 = reciprocal = same = 0
        matched_counts = []
        for q in questions:
            ranked, matched = search(q["question"], budget)
            matched_counts.append(matched)
            gold = q["document"].split("/")[-1].replace(".gz", "")
            ranks = [i for i, (name, page) in enumerate(ranked) if name == gold and page in q["pages"]]
            found5 += bool(ranks and ranks[0] < 5)
            reciprocal += 1 / (ranks[0] + 1) if ranks else 0
            if budget == 0:
                exact[q["id"]] = ranked[:5]
            same += exact.get(q["id"]) == ranked[:5]
        matched_counts.sort()
        n = len(questions)
        print(
            "| %s | %.3f | %.3f | %s | %d / %d |"
            % (
                budget or "none (exact)",
                found5 / n,
                reciprocal / n,
                "%d of %d" % (same, n) if exact else "",
                matched_counts[n // 2],
                matched_counts[-1],
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], [int(b) for b in sys.argv[4].split(",")])
