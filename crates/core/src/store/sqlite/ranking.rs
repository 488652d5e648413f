//! Ranking passages without scoring every one a search matches.
//!
//! FTS5's `bm25()` scores every row its query matches, and first counts, for each phrase, every
//! row in the table that holds it (for its IDF). A question of nine words matches most of a
//! large library through its commonest words (measured over 100,000 passages: 56 ms, p50), yet
//! only the few passages holding its rarer words can reach the top ten.
//!
//! So a search here ranks in at most two passes, as MaxScore does (Turtle and Flood, 1995):
//! the words, from commonest to rarest, each add at most `idf * (k1 + 1)` to a passage's score.
//! The first pass matches the passages holding one of the rarest words, and scores them with
//! every word; the tenth best score found is a floor of the true tenth. The commonest words whose
//! bounds add up to no more than that floor cannot, alone, lift a passage into the top ten:
//! when the first pass already matched every other word, its results are the true top ten;
//! otherwise a second pass scores the passages holding none of the rarer words (the first pass
//! scored those) but one of the other words that may not be left out, and the best of both
//! passes are.
//!
//! Both passes score with `docent_bm25`, this module's FTS5 function: the same formula as
//! FTS5's `bm25()` (k1 = 1.2, b = 0.75, the row's length over the average), but over the
//! workspace's own passages, not the whole table: each phrase's IDF and the average length come
//! as an argument, computed from the workspace's counts, kept between searches until the index
//! changes, so no search counts a common word's rows again. The score is what `bm25()` gives
//! over a table holding only that workspace's passages. It is registered on every connection
//! ([`register`]).

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::Mutex;

use rusqlite::{ffi, Connection};

use crate::error::Result;

pub(super) use crate::store::passages::bm25::idf;
use crate::store::passages::bm25::{B, HEADING_WEIGHT, K1};

/// What a hit in each column of `passages_fts` counts for: the text, the heading path, the
/// workspace's token (nothing: it only restricts a search to its workspace).
const COLUMN_WEIGHTS: [f64; 3] = [1.0, HEADING_WEIGHT, 0.0];

/// More than a word of this IDF adds to any row's score (its term-frequency part tends to
/// k1 + 1 and never reaches it).
pub(super) fn upper_bound(idf: f64) -> f64 {
    idf * (K1 + 1.0)
}

/// The weights argument of `docent_bm25`: the average row length of the workspace searched,
/// then one IDF per phrase of the query, in the order the phrases appear in it, as
/// little-endian f64.
pub(super) fn weights_blob(average_length: f64, weights: &[f64]) -> Vec<u8> {
    std::iter::once(average_length)
        .chain(weights.iter().copied())
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

/// Counts the ranking needs, for each workspace searched lately: its passages, their tokens, and
/// the passages holding each word searched. A workspace's scores come from its own passages
/// only: another workspace's documents change neither its ranking nor its scores (which would
/// tell a searcher about documents they cannot see). Kept until the index changes (FTS5's
/// structure record, which every write replaces, and its averages record, are the version),
/// whichever connection or process wrote.
#[derive(Debug, Default)]
pub(crate) struct TermStats {
    snapshot: Mutex<Option<Snapshot>>,
}

#[derive(Debug)]
struct Snapshot {
    version: Vec<u8>,
    /// By the FTS5 phrase of the workspace's token.
    workspaces: HashMap<String, WorkspaceStats>,
    /// Words remembered, over every workspace.
    words: usize,
}

#[derive(Debug)]
struct WorkspaceStats {
    rows: u64,
    tokens: u64,
    hits: HashMap<String, u64>,
}

/// What a search of one workspace is scored with.
#[derive(Debug)]
pub(super) struct Counts {
    /// The workspace's passages.
    pub(super) rows: u64,
    /// Their average length in tokens, every column, as bm25() reckons it.
    pub(super) average_length: f64,
    /// How many of them hold each phrase.
    pub(super) hits: Vec<u64>,
}

/// Words (and workspaces) remembered at most, so a long-running server does not grow with
/// every search.
const MAX_WORDS_KEPT: usize = 20_000;

impl TermStats {
    /// The counts of the workspace `workspace_id`, whose passages `scope` (the FTS5 phrase of
    /// its token) matches, for `phrases` (FTS5 phrases restricted to the text and heading
    /// columns, as a search matches them).
    pub(super) fn counts(
        &self,
        conn: &Connection,
        workspace_id: &str,
        scope: &str,
        phrases: &[String],
    ) -> Result<Counts> {
        let version = index_version(conn)?;
        let mut guard = self.snapshot.lock().expect("term stats lock");
        let stale = guard.as_ref().is_none_or(|s| s.version != version);
        if stale || guard.as_ref().is_some_and(|s| s.words > MAX_WORDS_KEPT) {
            *guard = Some(Snapshot {
                version,
                workspaces: HashMap::new(),
                words: 0,
            });
        }
        let snapshot = guard.as_mut().expect("just filled");
        if !snapshot.workspaces.contains_key(scope) {
            let (rows, tokens) = sizes_of(conn, workspace_id)?;
            snapshot.workspaces.insert(
                scope.to_owned(),
                WorkspaceStats {
                    rows,
                    tokens,
                    hits: HashMap::new(),
                },
            );
            snapshot.words += 1;
        }
        let workspace = snapshot.workspaces.get_mut(scope).expect("just filled");
        let mut hits = Vec::with_capacity(phrases.len());
        for phrase in phrases {
            let count = match workspace.hits.get(phrase) {
                Some(count) => *count,
                None => {
                    let count: i64 = conn
                        .prepare_cached(
                            "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?1",
                        )?
                        .query_row(
                            [format!("{scope} AND {{text heading}} : {phrase}")],
                            |row| row.get(0),
                        )?;
                    let count = u64::try_from(count).unwrap_or(0);
                    workspace.hits.insert(phrase.clone(), count);
                    snapshot.words += 1;
                    count
                }
            };
            hits.push(count);
        }
        Ok(Counts {
            rows: workspace.rows,
            average_length: if workspace.rows > 0 {
                workspace.tokens as f64 / workspace.rows as f64
            } else {
                1.0
            },
            hits,
        })
    }
}

/// A workspace's passages, and their tokens in every column (from FTS5's table of each row's
/// sizes: one varint per column).
fn sizes_of(conn: &Connection, workspace_id: &str) -> Result<(u64, u64)> {
    let mut statement = conn.prepare_cached(
        "SELECT s.sz FROM documents d
         JOIN passages p ON p.document_id = d.id
         JOIN passages_fts_docsize s ON s.id = p.id
         WHERE d.workspace_id = ?1",
    )?;
    let mut rows = statement.query([workspace_id])?;
    let (mut count, mut tokens) = (0_u64, 0_u64);
    while let Some(row) = rows.next()? {
        let sizes = row.get_ref(0)?.as_blob().unwrap_or_default();
        let mut rest = sizes;
        while let Some((size, used)) = sqlite_varint(rest) {
            tokens += size;
            rest = &rest[used..];
        }
        count += 1;
    }
    Ok((count, tokens))
}

/// FTS5's averages record (rowid 1 of its data table: the row count and each column's total
/// tokens) and structure record (rowid 10: the segments, and a counter of writes), together.
fn index_version(conn: &Connection) -> Result<Vec<u8>> {
    let mut statement =
        conn.prepare_cached("SELECT block FROM passages_fts_data WHERE id IN (1, 10) ORDER BY id")?;
    let blocks = statement.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
    let mut version = Vec::new();
    for block in blocks {
        let block = block?;
        version.extend_from_slice(&(block.len() as u64).to_le_bytes());
        version.extend_from_slice(&block);
    }
    Ok(version)
}

/// SQLite's variable-length integer (1 to 9 bytes, big-endian groups of 7 bits; the ninth byte
/// gives all 8), as FTS5 writes its records: its value and the bytes it took.
fn sqlite_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().take(9).enumerate() {
        if i == 8 {
            return Some(((value << 8) | u64::from(*byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Registers `docent_bm25(passages_fts, weights)` with the connection's FTS5.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    // SAFETY: the handle is this open connection's; FTS5 hands its API out through a pointer
    // bound to `SELECT fts5(?1)` (the documented way), and keeps the function for as long as
    // the connection lives. The function has no user data to free.
    unsafe {
        let db = conn.handle();
        let api = fts5_api(db)?;
        let create = (*api)
            .xCreateFunction
            .ok_or_else(|| failure(ffi::SQLITE_MISUSE))?;
        let name = c"docent_bm25";
        let rc = create(api, name.as_ptr(), ptr::null_mut(), Some(docent_bm25), None);
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc));
        }
    }
    Ok(())
}

fn failure(code: c_int) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
}

/// FTS5's API of this connection.
///
/// # Safety
/// `db` must be an open connection.
unsafe fn fts5_api(db: *mut ffi::sqlite3) -> rusqlite::Result<*mut ffi::fts5_api> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut statement: *mut ffi::sqlite3_stmt = ptr::null_mut();
    let sql = c"SELECT fts5(?1)";
    let rc = ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut statement, ptr::null_mut());
    if rc != ffi::SQLITE_OK {
        return Err(failure(rc));
    }
    let mut rc = ffi::sqlite3_bind_pointer(
        statement,
        1,
        ptr::addr_of_mut!(api).cast::<c_void>(),
        c"fts5_api_ptr".as_ptr(),
        None,
    );
    if rc == ffi::SQLITE_OK {
        rc = ffi::sqlite3_step(statement);
        if rc == ffi::SQLITE_ROW {
            rc = ffi::SQLITE_OK;
        }
    }
    ffi::sqlite3_finalize(statement);
    if rc != ffi::SQLITE_OK {
        return Err(failure(rc));
    }
    if api.is_null() {
        return Err(failure(ffi::SQLITE_ERROR));
    }
    Ok(api)
}

/// What one query keeps between its rows (FTS5's auxiliary data of the query).
struct QueryState {
    /// Each phrase's IDF.
    weights: Vec<f64>,
    /// The average row length in tokens, all columns.
    average_length: f64,
    /// Each phrase's weighted hits in the current row.
    frequencies: Vec<f64>,
}

unsafe extern "C" fn free_query_state(state: *mut c_void) {
    // SAFETY: set by `docent_bm25` from a `Box<QueryState>`, freed once by FTS5.
    drop(unsafe { Box::from_raw(state.cast::<QueryState>()) });
}

/// `docent_bm25(passages_fts, weights)`: minus the row's bm25 score (lower is better, as
/// `bm25()`), each phrase weighted by its IDF from `weights`, the row's length compared with
/// the average given there (see [`weights_blob`]).
unsafe extern "C" fn docent_bm25(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    context: *mut ffi::sqlite3_context,
    value_count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls this with its API, the query's context, and `value_count` values.
    match unsafe { score(api, fts, value_count, values) } {
        Ok(score) => unsafe { ffi::sqlite3_result_double(context, -score) },
        Err(message) => unsafe {
            ffi::sqlite3_result_error(context, message.as_ptr(), -1);
        },
    }
}

/// The row's bm25 score.
///
/// # Safety
/// As FTS5 calls an auxiliary function.
unsafe fn score(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    value_count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) -> std::result::Result<f64, &'static std::ffi::CStr> {
    const BROKEN: &std::ffi::CStr = c"docent_bm25: FTS5 refused a call";
    let api = unsafe { &*api };
    let (
        Some(get_auxdata),
        Some(set_auxdata),
        Some(phrase_count),
        Some(inst_count),
        Some(inst),
        Some(column_size),
    ) = (
        api.xGetAuxdata,
        api.xSetAuxdata,
        api.xPhraseCount,
        api.xInstCount,
        api.xInst,
        api.xColumnSize,
    )
    else {
        return Err(BROKEN);
    };

    let mut state = unsafe { get_auxdata(fts, 0) }.cast::<QueryState>();
    if state.is_null() {
        let phrases = usize::try_from(unsafe { phrase_count(fts) }).unwrap_or(0);
        if value_count != 1 {
            return Err(c"docent_bm25: give one argument, the weights of the phrases");
        }
        let blob = unsafe { ffi::sqlite3_value_blob(*values) }.cast::<u8>();
        let bytes = usize::try_from(unsafe { ffi::sqlite3_value_bytes(*values) }).unwrap_or(0);
        if blob.is_null() || bytes != (phrases + 1) * 8 {
            return Err(
                c"docent_bm25: the weights are not the average length, then one f64 per phrase",
            );
        }
        let raw = unsafe { std::slice::from_raw_parts(blob, bytes) };
        let mut numbers = raw
            .chunks_exact(8)
            .map(|w| f64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
        let average_length = numbers.next().filter(|a| *a > 0.0).unwrap_or(1.0);
        let fresh = Box::new(QueryState {
            weights: numbers.collect(),
            average_length,
            frequencies: vec![0.0; phrases],
        });
        let raw_state = Box::into_raw(fresh);
        if unsafe { set_auxdata(fts, raw_state.cast(), Some(free_query_state)) } != ffi::SQLITE_OK {
            // FTS5 frees what it was given even when it fails.
            return Err(BROKEN);
        }
        state = raw_state;
    }
    let state = unsafe { &mut *state };

    state.frequencies.iter_mut().for_each(|f| *f = 0.0);
    let mut hits: c_int = 0;
    if unsafe { inst_count(fts, &mut hits) } != ffi::SQLITE_OK {
        return Err(BROKEN);
    }
    for i in 0..hits {
        let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
        if unsafe { inst(fts, i, &mut phrase, &mut column, &mut offset) } != ffi::SQLITE_OK {
            return Err(BROKEN);
        }
        let weight = usize::try_from(column)
            .ok()
            .and_then(|c| COLUMN_WEIGHTS.get(c))
            .copied()
            .unwrap_or(1.0);
        if let Some(f) = usize::try_from(phrase)
            .ok()
            .and_then(|p| state.frequencies.get_mut(p))
        {
            *f += weight;
        }
    }
    let mut length: c_int = 0;
    if unsafe { column_size(fts, -1, &mut length) } != ffi::SQLITE_OK {
        return Err(BROKEN);
    }
    let norm = K1 * (1.0 - B + B * f64::from(length) / state.average_length);
    Ok(state
        .weights
        .iter()
        .zip(&state.frequencies)
        .filter(|(_, f)| **f > 0.0)
        .map(|(idf, f)| idf * (f * (K1 + 1.0)) / (f + norm))
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_as_sqlite_writes_them() {
        assert_eq!(sqlite_varint(&[0x05]), Some((5, 1)));
        assert_eq!(sqlite_varint(&[0x81, 0x00]), Some((128, 2)));
        assert_eq!(
            sqlite_varint(&[0x86, 0xc3, 0x17, 0x01]),
            Some(((6 << 14) | (0x43 << 7) | 0x17, 3))
        );
        assert_eq!(sqlite_varint(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(sqlite_varint(&[0x80]), None, "cut short");
    }

    #[test]
    fn idf_is_bm25s_and_bounded_below() {
        assert!((idf(100, 1) - (99.5_f64 / 1.5).ln()).abs() < 1e-12);
        assert_eq!(
            idf(100, 90),
            1e-6,
            "a word in most rows still counts a little"
        );
        assert!(upper_bound(idf(100, 1)) > idf(100, 1) * 2.19);
    }
}
