//! The committed fuzz corpora (`core/fuzz/corpus/<target>/`), replayed through the same bodies
//! the `cargo fuzz` targets run, on the stable toolchain: every input that ever mattered to the
//! fuzzer stays a regression test.

#[path = "../../fuzz/bodies.rs"]
pub(crate) mod bodies;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|f| f.expect("entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {target} is empty");
    for f in files {
        let data = std::fs::read(&f).expect("corpus file");
        if std::panic::catch_unwind(|| body(&data)).is_err() {
            panic!("fuzz target {target}: input {} fails", f.display());
        }
    }
}

#[test]
fn corpus_ingest_json() {
    replay("ingest_json", bodies::ingest_json);
}

#[test]
fn corpus_ingest_columns() {
    replay("ingest_columns", bodies::ingest_columns);
}

#[test]
fn corpus_rules() {
    replay("rules", bodies::rules);
}

#[test]
fn corpus_journey() {
    replay("journey", bodies::journey);
}

#[test]
fn corpus_restore() {
    replay("restore", bodies::restore);
}

#[test]
fn corpus_restore_mutated() {
    replay("restore_mutated", bodies::restore_mutated);
}
