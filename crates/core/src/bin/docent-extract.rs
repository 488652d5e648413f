//! Reads one document in a process of its own, as Docent's faces do when started with
//! `--docent-extract-document`; the core's tests start this one.

fn main() {
    docent_core::documents::run_extractor_if_asked();
    eprintln!(
        "usage: docent-extract {} FORMAT PATH MAX_TEXT_BYTES CPU_SECONDS",
        docent_core::documents::EXTRACT_FLAG
    );
    std::process::exit(2);
}
