use tokio_postgres::types::ToSql;

use super::{quoted_lexeme, PgTx};
use crate::clock::from_millis;
use crate::domain::chat::HistoryEntry;
use crate::error::Result;
use crate::store::history::{History, HistoryFilter, Whose};

/// A tsquery of prefix terms, all required: each word quoted (so no query syntax reaches
/// PostgreSQL) and marked as a prefix, for `to_tsquery('simple', ...)` to lower-case.
fn ts_query(words: &[String]) -> Option<String> {
    let terms: Vec<String> = words
        .iter()
        .map(|word| format!("{}:*", quoted_lexeme(word)))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

impl History for PgTx<'_> {
    fn search(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let mut sql = String::from(
            "SELECT c.id, c.workspace_id, c.user_id, c.title, c.first_query, c.created_at, c.updated_at
             FROM conversations c JOIN workspaces w ON w.id = c.workspace_id JOIN users u ON u.id = c.user_id
             WHERE NOT c.temporary",
        );
        let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        match &filter.whose {
            Whose::Own(user) => {
                params.push(Box::new(*user));
                sql.push_str(&format!(" AND c.user_id = ${}", params.len()));
            }
            Whose::SharedWithDomain(domain) => {
                params.push(Box::new(domain.clone()));
                sql.push_str(&format!(
                    " AND w.shared_with_domain AND u.email_verified_at IS NOT NULL
                      AND substr(u.email, strpos(u.email, '@') + 1) = ${}",
                    params.len()
                ));
            }
        }
        if let Some(workspace) = filter.workspace {
            params.push(Box::new(workspace));
            sql.push_str(&format!(" AND c.workspace_id = ${}", params.len()));
        }
        if let Some(from) = filter.from {
            params.push(Box::new(from));
            sql.push_str(&format!(" AND c.updated_at >= ${}", params.len()));
        }
        if let Some(to) = filter.to {
            params.push(Box::new(to));
            sql.push_str(&format!(" AND c.updated_at < ${}", params.len()));
        }
        if let Some(terms) = ts_query(&filter.words) {
            params.push(Box::new(terms));
            let n = params.len();
            sql.push_str(&format!(
                " AND (c.title_words @@ to_tsquery('simple', ${n})
                   OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                              AND m.content_words @@ to_tsquery('simple', ${n})))"
            ));
        }
        params.push(Box::new(i64::from(filter.limit)));
        params.push(Box::new(i64::from(filter.offset)));
        sql.push_str(&format!(
            " ORDER BY c.updated_at DESC, c.seq DESC LIMIT ${} OFFSET ${}",
            params.len() - 1,
            params.len()
        ));
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        Ok(self
            .query(&sql, &params)?
            .iter()
            .map(|row| HistoryEntry {
                conversation_id: row.get(0),
                workspace_id: row.get(1),
                user_id: row.get(2),
                title: row.get(3),
                first_query: row.get(4),
                created_at: from_millis(row.get(5)),
                updated_at: from_millis(row.get(6)),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_quoted_prefixes() {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            ts_query(&words(&["retention", "o'brien", "a\\b"])).unwrap(),
            "'retention':* & 'o''brien':* & 'a\\\\b':*"
        );
        assert_eq!(ts_query(&[]), None);
    }
}
