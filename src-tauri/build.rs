//! Build script of the desktop shell. A command is declared once, as a `#[tauri::command]`
//! function in `src-tauri/src/commands.rs`; from that list this script makes the rest:
//!
//! - the app manifest Tauri builds a permission per command from (`allow-<command>`);
//! - the main window's capability, granting exactly those commands and nothing else (written
//!   to `OUT_DIR`, so no hand-kept list can drift);
//! - `docent_handler!()`, the `tauri::generate_handler!` list `lib.rs` registers
//!   (`OUT_DIR/commands.rs`).

use std::fmt::Write as _;
use std::path::Path;

const COMMANDS_FILE: &str = "src-tauri/src/commands.rs";

/// The names of the `#[tauri::command]` functions, in the order they are written.
fn declared_commands(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut after_attribute = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[tauri::command") {
            after_attribute = true;
            continue;
        }
        if after_attribute && !line.starts_with("#[") && !line.starts_with("///") {
            let signature = line.trim_start_matches("pub ").trim_start_matches("async ");
            let name = signature
                .strip_prefix("fn ")
                .and_then(|rest| rest.split(['(', '<']).next())
                .unwrap_or_else(|| panic!("#[tauri::command] on something not a fn: {line}"));
            names.push(name.to_owned());
            after_attribute = false;
        }
    }
    names
}

/// The main window's capability: Docent's own commands, and nothing else.
fn capability(commands: &[String]) -> String {
    let permissions: Vec<String> = commands
        .iter()
        .map(|c| format!("    \"allow-{}\"", c.replace('_', "-")))
        .collect();
    format!(
        "{{\n  \"identifier\": \"main\",\n  \"description\": \"The main window may call Docent's own commands, and nothing else.\",\n  \"windows\": [\"main\"],\n  \"local\": true,\n  \"permissions\": [\n{}\n  ]\n}}\n",
        permissions.join(",\n")
    )
}

fn main() {
    println!("cargo:rerun-if-changed={COMMANDS_FILE}");
    let source = std::fs::read_to_string(COMMANDS_FILE).expect("read the shell's commands");
    let commands = declared_commands(&source);
    assert!(
        !commands.is_empty(),
        "no #[tauri::command] in {COMMANDS_FILE}"
    );
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let capabilities = Path::new(&out).join("capabilities");
    std::fs::create_dir_all(&capabilities).expect("make the capabilities folder");
    std::fs::write(capabilities.join("main.json"), capability(&commands))
        .expect("write the capability");
    let mut handler = String::from(
        "/// The handler of every command in `commands.rs` (made by build.rs from that file).\nmacro_rules! docent_handler {\n    () => {\n        tauri::generate_handler![\n",
    );
    for command in &commands {
        writeln!(handler, "            crate::commands::{command},").unwrap();
    }
    handler.push_str("        ]\n    };\n}\n");
    std::fs::write(Path::new(&out).join("commands.rs"), handler).expect("write the handler list");
    // tauri-build keeps these for the whole build; a build script ends with it.
    let names: &'static [&'static str] =
        Vec::leak(commands.into_iter().map(|c| &*String::leak(c)).collect());
    let pattern: &'static str = String::leak(format!("{}/*.json", capabilities.display()));
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern(pattern)
            .app_manifest(tauri_build::AppManifest::new().commands(names)),
    )
    .expect("failed to run tauri-build");
}
