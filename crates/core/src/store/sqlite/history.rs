use super::{uuid, SqliteTx};
use crate::clock::from_millis;
use crate::domain::chat::HistoryEntry;
use crate::error::Result;
use crate::store::history::{History, HistoryFilter, Whose};

/// An FTS5 query of prefix terms: each word quoted, so no query syntax reaches FTS5.
fn fts_query(words: &[String]) -> Option<String> {
    let terms: Vec<String> = words
        .iter()
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

impl History for SqliteTx<'_> {
    fn search(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let mut sql = String::from(
            "SELECT c.id, c.workspace_id, c.user_id, c.title, c.first_query, c.created_at, c.updated_at
             FROM conversations c JOIN workspaces w ON w.id = c.workspace_id JOIN users u ON u.id = c.user_id
             WHERE c.temporary = 0",
        );
        let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        match &filter.whose {
            Whose::Own(user) => {
                params.push(Box::new(user.to_string()));
                sql.push_str(&format!(" AND c.user_id = ?{}", params.len()));
            }
            Whose::SharedWithDomain(domain) => {
                params.push(Box::new(domain.clone()));
                sql.push_str(&format!(
                    " AND w.shared_with_domain = 1 AND u.email_verified_at IS NOT NULL
                      AND substr(u.email, instr(u.email, '@') + 1) = ?{}",
                    params.len()
                ));
            }
        }
        if let Some(workspace) = filter.workspace {
            params.push(Box::new(workspace.to_string()));
            sql.push_str(&format!(" AND c.workspace_id = ?{}", params.len()));
        }
        if let Some(from) = filter.from {
            params.push(Box::new(from));
            sql.push_str(&format!(" AND c.updated_at >= ?{}", params.len()));
        }
        if let Some(to) = filter.to {
            params.push(Box::new(to));
            sql.push_str(&format!(" AND c.updated_at < ?{}", params.len()));
        }
        if let Some(terms) = fts_query(&filter.words) {
            params.push(Box::new(terms));
            let n = params.len();
            sql.push_str(&format!(
                " AND (c.rowid IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?{n})
                   OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.rowid IN
                               (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?{n})))"
            ));
        }
        params.push(Box::new(i64::from(filter.limit)));
        params.push(Box::new(i64::from(filter.offset)));
        sql.push_str(&format!(
            " ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?{} OFFSET ?{}",
            params.len() - 1,
            params.len()
        ));
        let rows = self
            .0
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(params.iter()), |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, i64>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(id, workspace, owner, title, first_query, created, updated)| {
                    Ok(HistoryEntry {
                        conversation_id: uuid(id)?,
                        workspace_id: uuid(workspace)?,
                        user_id: uuid(owner)?,
                        title,
                        first_query,
                        created_at: from_millis(created),
                        updated_at: from_millis(updated),
                    })
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_quoted_prefixes() {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            fts_query(&words(&["retention", "policy", "OR"])).unwrap(),
            "\"retention\"* \"policy\"* \"OR\"*"
        );
        assert_eq!(fts_query(&[]), None);
    }
}
