//! The scripts in pipelines/ run as shipped and produce what they promise.

mod common;

use common::plugin_dir;

use gst_video::prelude::*;
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

/// Frames of a video file in which `facedetect model=...` finds a face.
fn frames_with_a_face(file: &std::path::Path, model: &str) -> (usize, usize) {
    let samples = common::pull_all(&format!(
        "filesrc location={} ! decodebin ! videoconvert ! facedetect model={model} ! appsink name=sink",
        file.display()
    ));
    let with_face = samples
        .iter()
        .filter(|s| {
            !gstfacekit::read_frame(s.buffer().unwrap())
                .unwrap()
                .faces
                .is_empty()
        })
        .count();
    (with_face, samples.len())
}

/// Runs pipelines/anonymise.sh INPUT OUTPUT with this tree's plugin.
fn run_anonymise(input: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/pipelines/anonymise.sh"
        ))
        .arg(input)
        .arg(out)
        .env("GST_PLUGIN_PATH", plugin_dir())
        .output()
        .expect("run bash")
}

#[test]
fn anonymise_script_covers_the_face_in_every_frame() {
    let input = common::sample("carphone_pristine.mp4");
    let out = std::env::temp_dir().join(format!("facekit-anonymise-{}.mp4", std::process::id()));
    let result = run_anonymise(&input, &out);
    assert!(
        result.status.success(),
        "script failed: {}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    // Both detectors find the face in the original, neither in any anonymised frame.
    for model in ["blazeface-full", "centerface"] {
        let (before, frames) = frames_with_a_face(&input, model);
        assert!(
            before >= 100,
            "{model} finds the face in {before} of {frames} frames"
        );
        let (after, written) = frames_with_a_face(&out, model);
        assert_eq!(written, 120, "every frame is written");
        assert_eq!(
            after, 0,
            "{model} still finds a face in {after} anonymised frames"
        );
    }
    let usage = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/pipelines/anonymise.sh"
        ))
        .output()
        .expect("run bash");
    assert!(!usage.status.success());
    assert!(String::from_utf8_lossy(&usage.stderr).contains("usage"));
    let _ = std::fs::remove_file(out);
}

#[test]
fn anonymise_script_keeps_the_sound_and_covers_the_face() {
    let dir = std::env::temp_dir();
    let id = std::process::id();
    let input = dir.join(format!("facekit-anonymise-av-{id}.mp4"));
    let out = dir.join(format!("facekit-anonymise-av-out-{id}.mp4"));
    // The talking-head clip (4 s) with 3.7 s of sound beside it.
    let made = common::first_error(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! queue ! mp4mux name=m ! filesink location={} \
         audiotestsrc num-buffers=160 ! audioconvert ! avenc_aac ! queue ! m.",
        common::sample("carphone_pristine.mp4").display(),
        input.display()
    ));
    assert_eq!(made, None, "cannot build the test clip");
    let result = run_anonymise(&input, &out);
    assert!(
        result.status.success(),
        "script failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let audio = common::pull_all(&format!(
        "filesrc location={} ! qtdemux name=d d.audio_0 ! queue ! aacparse ! avdec_aac ! appsink name=sink",
        out.display()
    ));
    let seconds: f64 = audio
        .iter()
        .filter_map(|s| s.buffer()?.duration())
        .map(|d| d.seconds_f64())
        .sum();
    assert!(
        seconds > 3.5,
        "the anonymised file carries {seconds:.2} s of sound, the input 3.7 s"
    );
    let (after, written) = frames_with_a_face(&out, "centerface");
    assert_eq!(
        (after, written),
        (0, 120),
        "faces left in the anonymised frames"
    );
    let _ = std::fs::remove_file(input);
    let _ = std::fs::remove_file(out);
}

#[test]
fn sticker_pack_script_puts_the_pack_on_the_head_in_every_frame() {
    let input = common::sample("carphone_pristine.mp4");
    let out = std::env::temp_dir().join(format!("facekit-stickers-{}.mp4", std::process::id()));
    let result = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/pipelines/sticker-pack.sh"
        ))
        .arg(&input)
        .arg(&out)
        .args(["style=sticker", "sticker-set=panda"])
        .env("GST_PLUGIN_PATH", plugin_dir())
        .output()
        .expect("run bash");
    assert!(
        result.status.success(),
        "script failed: {}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    // Original frames with their faces, and the written ones: the panda head covers the
    // hair above the top of the face mesh (a fifth of the face's height up) in every frame.
    let original = common::pull_all(&format!(
        "filesrc location={} ! decodebin ! videoconvert ! video/x-raw,format=RGB ! facedetect ! appsink name=sink",
        input.display()
    ));
    let written = common::pull_all(&format!(
        "filesrc location={} ! decodebin ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink",
        out.display()
    ));
    assert_eq!(written.len(), 120, "every frame is written");
    let rgb = |s: &gst::Sample| {
        let info = gst_video::VideoInfo::from_caps(s.caps().unwrap()).unwrap();
        let f =
            gst_video::VideoFrameRef::from_buffer_ref_readable(s.buffer().unwrap(), &info).unwrap();
        (
            f.plane_stride()[0] as usize,
            f.plane_data(0).unwrap().to_vec(),
        )
    };
    let (mut faces, mut covered) = (0, 0);
    for (o, w) in original.iter().zip(&written) {
        let Some(face) = gstfacekit::read_frame(o.buffer().unwrap())
            .unwrap()
            .faces
            .first()
            .cloned()
        else {
            continue;
        };
        faces += 1;
        let px = face.landmarks.as_ref().unwrap().to_pixels(&face.bbox);
        let (top, chin) = (px[10], px[152]);
        let (x, y) = (
            top[0] + (top[0] - chin[0]) * 0.2,
            top[1] + (top[1] - chin[1]) * 0.2,
        );
        if y < 2.0 {
            covered += 1;
            continue;
        }
        let ((so, a), (sw, b)) = (rgb(o), rgb(w));
        let (x, y) = (x as usize, y as usize);
        // Mean difference over a 5x5 patch of the hair: the sticker, not the hair.
        let mut diff = 0u32;
        for dy in 0..5 {
            for dx in 0..5 {
                for c in 0..3 {
                    let (i, j) = (
                        (y + dy - 2) * so + (x + dx - 2) * 3 + c,
                        (y + dy - 2) * sw + (x + dx - 2) * 3 + c,
                    );
                    diff += a[i].abs_diff(b[j]) as u32;
                }
            }
        }
        covered += usize::from(diff / 75 > 40);
    }
    assert!(faces >= 110, "{faces}");
    assert_eq!(
        covered, faces,
        "hair above the face not under the panda head"
    );
    let _ = std::fs::remove_file(out);
}
