//! Searching passages on PostgreSQL: the same bm25 as the SQLite store's (k1 1.2, b 0.75, a
//! heading hit at half weight, each word's IDF and the average length from the searched
//! workspace's own passages), over the words PostgreSQL's 'english' configuration keeps of
//! each passage (migration 3). Matching is "any of the words", through the GIN index; the
//! scores are computed in SQL from each matching passage's tsvector.

use uuid::Uuid;

use super::{quoted_lexeme, read, PgTx};
use crate::error::Result;
use crate::store::passages::{bm25, PassageHit, Passages, SearchTerms};

impl Passages for PgTx<'_> {
    #[cfg(feature = "testing")]
    fn of_document(&self, document_id: Uuid) -> Result<Vec<(Option<u32>, String)>> {
        self.query(
            "SELECT page, text FROM passages WHERE document_id = $1 ORDER BY seq",
            &[&document_id],
        )?
        .iter()
        .map(|row| {
            Ok((
                row.get::<_, Option<i32>>(0).map(read).transpose()?,
                row.get(1),
            ))
        })
        .collect()
    }

    fn search(
        &self,
        workspace_id: Uuid,
        terms: &SearchTerms,
        limit: u32,
    ) -> Result<Vec<PassageHit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let size = self.query_one(
            "SELECT count(*), coalesce(sum(p.length), 0)::BIGINT
             FROM passages p JOIN documents d ON d.id = p.document_id WHERE d.workspace_id = $1",
            &[&workspace_id],
        )?;
        let (rows, tokens): (i64, i64) = (size.get(0), size.get(1));
        let rows = u64::try_from(rows).unwrap_or(0);
        if rows == 0 {
            return Ok(Vec::new());
        }
        // The words as the index keeps them (stemmed; stop words give none).
        let words: Vec<&str> = terms.words().iter().map(String::as_str).collect();
        let lexemes: Vec<String> = self
            .query(
                "SELECT DISTINCT u.lexeme FROM unnest($1::TEXT[]) w,
                        unnest(to_tsvector('english', w)) u ORDER BY 1",
                &[&words],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let mut found = Vec::new();
        let mut idfs = Vec::new();
        for lexeme in lexemes {
            let hits: i64 = self
                .query_one(
                    "SELECT count(*) FROM passages p JOIN documents d ON d.id = p.document_id
                     WHERE d.workspace_id = $1 AND p.words @@ $2::TEXT::tsquery",
                    &[&workspace_id, &quoted_lexeme(&lexeme)],
                )?
                .get(0);
            if hits > 0 {
                idfs.push(bm25::idf(rows, u64::try_from(hits).unwrap_or(0)));
                found.push(lexeme);
            }
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let any = found
            .iter()
            .map(|l| quoted_lexeme(l))
            .collect::<Vec<_>>()
            .join(" | ");
        let average_length = (tokens as f64 / rows as f64).max(1.0);
        let hits = self.query(
            "WITH q AS (SELECT * FROM unnest($2::TEXT[], $3::FLOAT8[]) AS q(lexeme, idf)),
             scored AS (
                 SELECT p.id,
                        sum(q.idf * t.tf * ($5::FLOAT8 + 1)
                            / (t.tf + $5::FLOAT8 * (1 - $6::FLOAT8
                                                    + $6::FLOAT8 * p.length / $7::FLOAT8))) AS score
                 FROM passages p JOIN documents d ON d.id = p.document_id
                 CROSS JOIN LATERAL (
                     SELECT u.lexeme,
                            (SELECT sum(CASE w WHEN 'A' THEN 1.0::FLOAT8 ELSE $8::FLOAT8 END)
                             FROM unnest(u.weights) w) AS tf
                     FROM unnest(p.words) u
                 ) t
                 JOIN q ON q.lexeme = t.lexeme
                 WHERE d.workspace_id = $1 AND p.words @@ $4::TEXT::tsquery
                 GROUP BY p.id
             )
             SELECT s.id, d.id, d.name, p.heading, p.page, p.text, s.score
             FROM scored s JOIN passages p ON p.id = s.id JOIN documents d ON d.id = p.document_id
             ORDER BY s.score DESC, s.id LIMIT $9",
            &[
                &workspace_id,
                &found,
                &idfs,
                &any,
                &bm25::K1,
                &bm25::B,
                &average_length,
                &bm25::HEADING_WEIGHT,
                &i64::from(limit),
            ],
        )?;
        hits.iter()
            .map(|row| {
                Ok(PassageHit {
                    passage_id: row.get(0),
                    document_id: row.get(1),
                    name: row.get(2),
                    heading: row.get(3),
                    page: row.get::<_, Option<i32>>(4).map(read).transpose()?,
                    text: row.get(5),
                    score: row.get(6),
                })
            })
            .collect()
    }

    fn index_parts(&self) -> Result<u64> {
        // One GIN index; what waits in its pending list is read with it.
        Ok(1)
    }

    fn compact_step(&self, _start: bool, _pages: u32) -> Result<bool> {
        // GIN's counterpart of merging segments: moving its pending list (fast updates) into
        // the index proper, which searches otherwise scan in full.
        let moved: i64 = self
            .query_one(
                "SELECT gin_clean_pending_list('passages_by_words'::regclass)",
                &[],
            )?
            .get(0);
        Ok(moved > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::contract::{account, new_document, postgres, workspace, write};
    use crate::store::documents::{Inserted, NewPassage};
    use crate::store::passages::{bm25, SearchTerms};

    /// bm25 of one word in a passage: its IDF, its weighted count, the passage's length.
    fn term(idf: f64, tf: f64, length: f64, average: f64) -> f64 {
        let norm = bm25::K1 * (1.0 - bm25::B + bm25::B * length / average);
        idf * tf * (bm25::K1 + 1.0) / (tf + norm)
    }

    /// The scores are bm25's, computed by hand for a library whose words the 'english'
    /// configuration keeps as they are: counts in the text and (at half weight) the heading,
    /// each word's IDF over the workspace, lengths against the workspace's average.
    #[tokio::test]
    async fn scores_are_bm25_over_the_kept_words() {
        let (store, ()) = postgres().await;
        let ada = account(&store, "ada@example.com", true).await;
        let ws = workspace(&store, ada, "Zoo", false).await;
        write(&store, move |tx| {
            let Inserted::New(d) = tx.documents().insert(&new_document(ws, "zoo", "zoo"), 1)?
            else {
                panic!("a new document")
            };
            let job = tx.documents().claim_next(2, 3)?.unwrap();
            let passage = |heading: &str, text: &str| NewPassage {
                page: Some(1),
                heading: heading.to_owned(),
                text: text.to_owned(),
            };
            tx.documents().finish_ready(
                d.id,
                job.attempts,
                Some(1),
                &[
                    passage("quokka", "quokka quokka zebra"),
                    passage("", "zebra lemur"),
                    passage("", "lemur"),
                ],
                4,
            )?;
            Ok(())
        })
        .await;
        let terms = SearchTerms::parse("quokka zebra").unwrap();
        let hits = write(&store, move |tx| tx.passages().search(ws, &terms, 10)).await;
        let average = (4.0 + 2.0 + 1.0) / 3.0;
        let (quokka, zebra) = (bm25::idf(3, 1), bm25::idf(3, 2));
        let expected = [
            term(quokka, 2.5, 4.0, average) + term(zebra, 1.0, 4.0, average),
            term(zebra, 1.0, 2.0, average),
        ];
        assert_eq!(hits.len(), 2, "the passages holding either word");
        for (hit, expected) in hits.iter().zip(expected) {
            assert!(
                (hit.score - expected).abs() < 1e-9,
                "{} scored {}, bm25 gives {expected}",
                hit.text,
                hit.score
            );
        }
        assert_eq!(hits[0].heading, "quokka");
    }
}
