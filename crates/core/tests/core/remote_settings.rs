//! Settings changed in the app: kept in `docent.toml` for the next start, keys never written.

use docent_core::{Docent, RemoteSettingsUpdate, Settings, SettingsLayer};

fn update(json: &str) -> RemoteSettingsUpdate {
    serde_json::from_str(json).unwrap()
}

fn resolve(dir: &std::path::Path) -> Settings {
    Settings::resolve(SettingsLayer {
        data_dir: Some(dir.to_owned()),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn changed_settings_survive_a_restart_and_the_key_never_reaches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docent.toml");
    std::fs::write(
        &file,
        "session_ttl = \"3d\"\nllm_api_key = \"sk-from-file\"\n",
    )
    .unwrap();
    let docent = Docent::open(resolve(dir.path())).await.unwrap();
    assert!(docent.chat().remote_settings().llm_api_key_set);

    let shown = docent
        .update_remote_settings(
            &update(r#"{"llm_base_url":"http://127.0.0.1:11434/v1","llm_model":"llama3.1:8b","llm_api_key":"sk-typed-in-the-app","retrieval_url":"http://127.0.0.1:9/search"}"#),
            true,
        )
        .unwrap();
    assert!(shown.llm_api_key_set);
    assert_eq!(shown.llm_model, "llama3.1:8b");
    assert!(docent.chat().llm_configured());

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("sk-"),
        "a key was written to docent.toml: {text}"
    );
    assert!(
        text.contains("session_ttl"),
        "other settings were lost: {text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    drop(docent);

    let again = Docent::open(resolve(dir.path())).await.unwrap();
    let shown = again.chat().remote_settings();
    assert_eq!(shown.llm_base_url, "http://127.0.0.1:11434/v1");
    assert_eq!(shown.llm_model, "llama3.1:8b");
    assert_eq!(
        shown.retrieval_url.as_deref(),
        Some("http://127.0.0.1:9/search")
    );
    assert!(
        !shown.llm_api_key_set,
        "the key comes back from the keyring, not the file"
    );
    assert!(again.chat().llm_configured(), "an own server needs no key");
}

#[tokio::test]
async fn an_invalid_change_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let docent = Docent::open(resolve(dir.path())).await.unwrap();
    let before = docent.chat().remote_settings();
    let err = docent
        .update_remote_settings(
            &update(r#"{"llm_model":"fine-model","retrieval_url":"gopher://x"}"#),
            true,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_url");
    assert_eq!(docent.chat().remote_settings(), before);
    assert!(!dir.path().join("docent.toml").exists());
}
