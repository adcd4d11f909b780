//! The layout rule: only the GStreamer glue may use GStreamer. The glue is `src/gst/`,
//! `src/inference/`, `src/lib.rs` and, in each element's folder, `mod.rs`, `imp.rs` and
//! `message.rs` (an element's folder is one with an `imp.rs`); everything else (the cores, `frame/`, `face/`) is plain Rust that unit tests
//! run without GStreamer. This test fails when a file outside the glue names `gst`,
//! `gst_video`, `gst_base` or `glib`, or reaches into `crate::gst`.

use std::path::{Path, PathBuf};

const GLUE_FILES: &[&str] = &["mod.rs", "imp.rs", "message.rs"];
const GST_CRATES: &[&str] = &["gst", "gst_video", "gst_base", "gst_app", "glib"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The element folders under `src`: those with an `imp.rs`.
fn element_folders(src: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("imp.rs").is_file())
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn may_use_gstreamer(rel: &Path, elements: &[String]) -> bool {
    let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
    match parts.as_slice() {
        ["lib.rs"] => true,
        ["gst" | "inference", ..] => true,
        [element, file] => elements.iter().any(|e| e == element) && GLUE_FILES.contains(file),
        _ => false,
    }
}

/// Code of a line without its `//` comment (doc comments may name GStreamer freely).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// The GStreamer paths a line of code names, e.g. `gst::Buffer` or `crate::gst::meta`.
fn gstreamer_uses(line: &str) -> Vec<String> {
    let code = code(line);
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for name in GST_CRATES {
        let mut from = 0;
        while let Some(i) = code[from..].find(name).map(|i| i + from) {
            from = i + name.len();
            let before = i.checked_sub(1).map(|j| bytes[j] as char);
            let starts_word = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let rest = &code[from..];
            let is_path = rest.starts_with("::")
                || (rest.starts_with([';', ',', '}', ' '])
                    && code[..i].trim_end().ends_with("use"));
            if starts_word && is_path {
                found.push(code.trim().to_string());
            }
        }
    }
    found
}

#[test]
fn only_the_glue_uses_gstreamer() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let elements = element_folders(&src);
    assert!(
        elements.len() >= 6 && elements.iter().any(|e| e == "facedetect"),
        "element folders: {elements:?}"
    );
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(
        files.len() > 20,
        "found only {} files under src/",
        files.len()
    );
    let mut offences = Vec::new();
    let mut checked = 0;
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        if may_use_gstreamer(rel, &elements) {
            continue;
        }
        checked += 1;
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            for used in gstreamer_uses(line) {
                offences.push(format!("src/{}:{}: {used}", rel.display(), n + 1));
            }
        }
    }
    assert!(checked > 10, "only {checked} files checked");
    assert!(
        offences.is_empty(),
        "GStreamer used outside the glue (src/gst/, src/inference/, element mod.rs/imp.rs/\
         message.rs); move the GStreamer part into the glue and pass plain types in:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_must() {
    // The scanner itself: these must be caught, those must not.
    for caught in [
        "use gst::prelude::*;",
        "let b: gst::Buffer = x;",
        "use crate::gst::meta;",
        "fn f(v: &gst_video::VideoInfo) {}",
        "glib::wrapper! {",
        "use gst;",
    ] {
        assert!(!gstreamer_uses(caught).is_empty(), "missed: {caught}");
    }
    for clean in [
        "// gst::Buffer in a comment",
        "let gst_like = 1; // no path",
        "let s = \"gstreamer\";",
        "use crate::face::BoundingBox;",
        "my_gst::thing()",
    ] {
        assert!(gstreamer_uses(clean).is_empty(), "false alarm: {clean}");
    }
    let elements = ["facedetect".to_string()];
    assert!(may_use_gstreamer(Path::new("facedetect/imp.rs"), &elements));
    assert!(!may_use_gstreamer(
        Path::new("facedetect/analyzer.rs"),
        &elements
    ));
    assert!(!may_use_gstreamer(Path::new("attention/mod.rs"), &elements));
    assert!(!may_use_gstreamer(Path::new("frame/mod.rs"), &elements));
    assert!(may_use_gstreamer(Path::new("gst/meta.rs"), &elements));
}
