//! The scripts in pipelines/ run as shipped and produce what they promise.

mod common;

use common::plugin_dir;

use std::process::Command;

#[test]
fn facedetect_carphone_script_writes_an_annotated_video() {
    let out = std::env::temp_dir().join(format!("facekit-pipeline-{}.mp4", std::process::id()));
    let result = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/pipelines/facedetect-carphone.sh"
        ))
        .arg(&out)
        .env("GST_PLUGIN_PATH", plugin_dir())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "script failed: {stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        stdout.contains("facedetect, timestamp"),
        "no facedetect message printed"
    );
    assert!(
        stdout.contains("id\\=\\(int\\)1"),
        "no face with track id 1 reported: {stdout}"
    );
    // The written file decodes to all 120 frames at the annotated size.
    let samples = common::pull_all(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264 ! appsink name=sink",
        out.display()
    ));
    assert_eq!(samples.len(), 120);
    let caps = samples[0].caps().unwrap().structure(0).unwrap().to_owned();
    assert_eq!(
        (
            caps.get::<i32>("width").unwrap(),
            caps.get::<i32>("height").unwrap()
        ),
        (528, 432)
    );
    let _ = std::fs::remove_file(out);
}
