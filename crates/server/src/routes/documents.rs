use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::Json;
use docent_core::{Document, ErrorCode, SearchHit, SearchQuery};
use uuid::Uuid;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery, Authenticated};
use crate::AppState;

/// The most files one upload may carry.
const MAX_FILES: usize = 100;

/// An upload: one or more parts named `file`, each a file with its name.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// The files.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

fn bad_part(detail: impl std::fmt::Display) -> ApiError {
    ApiError::http(
        ErrorCode::InvalidBody,
        format!("The upload could not be read ({detail}). Send multipart/form-data with each file in a part named \"file\"."),
    )
}

/// Adds files to a workspace: they are stored, then read and indexed in the background
/// (`status` goes queued, indexing, ready or failed). A file the workspace has already is
/// the document it is.
#[utoipa::path(post, path = "/workspaces/{id}/documents", operation_id = "document_upload", tag = "documents",
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, body = Vec<Document>),
        (status = 403, body = ErrorResponse, description = "read_only: a workspace shared with the caller to read"),
        (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse, description = "document_too_large"),
        (status = 415, body = ErrorResponse, description = "unsupported_document, unsupported_media_type"),
        (status = 422, body = ErrorResponse, description = "invalid_body, invalid_name")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Vec<Document>>), ApiError> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::http(
            ErrorCode::UnsupportedMediaType,
            "Send the files as multipart/form-data, each in a part named \"file\".",
        )
    })?;
    let documents = state.docent.documents();
    // Every file is received before any is added: a refused one leaves none of the others.
    let mut received = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(bad_part)? {
        if field.name() != Some("file") {
            return Err(bad_part(format!(
                "a part named {:?}",
                field.name().unwrap_or_default()
            )));
        }
        if received.len() == MAX_FILES {
            return Err(bad_part(format!("more than {MAX_FILES} files")));
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let mut upload = documents.upload().await?;
        while let Some(piece) = field.chunk().await.map_err(bad_part)? {
            upload.write(&piece).await?;
        }
        received.push((name, upload.finish().await?));
    }
    if received.is_empty() {
        return Err(bad_part("no part named \"file\""));
    }
    let added = documents.add_all(&user, id, received).await?;
    Ok((StatusCode::ACCEPTED, Json(added)))
}

/// A workspace's documents, oldest first, with how far their indexing is.
#[utoipa::path(get, path = "/workspaces/{id}/documents", operation_id = "document_list", tag = "documents",
    responses((status = 200, body = Vec<Document>), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<Document>>, ApiError> {
    Ok(Json(state.docent.documents().list(&user, id).await?))
}

/// One document.
#[utoipa::path(get, path = "/documents/{id}", operation_id = "document_get", tag = "documents",
    responses((status = 200, body = Document), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Document>, ApiError> {
    Ok(Json(state.docent.documents().get(&user, id).await?))
}

/// Deletes a document; its passages leave the index at once (answers that cite it keep
/// their citations).
#[utoipa::path(delete, path = "/documents/{id}", operation_id = "document_delete", tag = "documents",
    responses((status = 204), (status = 403, body = ErrorResponse, description = "read_only"), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.docent.documents().delete(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The original file, as it was added, with its media type. It is sent as an attachment in a
/// sandbox: an HTML document must never run as part of Docent's own pages.
#[utoipa::path(get, path = "/documents/{id}/file", operation_id = "document_file", tag = "documents",
    responses((status = 200, description = "the file's bytes, with its media type"), (status = 404, body = ErrorResponse)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn file(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let (document, path) = state.docent.documents().file(&user, id).await?;
    let file = tokio::fs::File::open(&path).await.map_err(|err| {
        docent_core::Error::internal(anyhow::anyhow!("opening a document's file: {err}"))
    })?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let name: String = document
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, document.media_type.clone()),
            (header::CONTENT_LENGTH, document.bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_owned()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Searches a workspace's documents: the passages that best match, best first. Works
/// without a language model.
#[utoipa::path(get, path = "/workspaces/{id}/search", operation_id = "document_search", tag = "documents", params(SearchQuery),
    responses((status = 200, body = Vec<SearchHit>), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "empty_query")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    Ok(Json(
        state.docent.documents().search(&user, id, &query).await?,
    ))
}
