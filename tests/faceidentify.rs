//! faceidentify on registry media: the face_recognition 1.3.0 test photos (three of one
//! person, one of another), a tiny face, a frame without a face, missing/corrupt models,
//! SQLite galleries and run-time enrolment.

mod common;

use std::path::{Path, PathBuf};

use gst::prelude::*;
use gstfacekit::{IdentityMessage, IdentityResult};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("facekit-identify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn photo(name: &str) -> PathBuf {
    common::sample(&format!("faces/{name}.jpg"))
}

/// A gallery folder holding `label.jpg` copies of the given photos.
fn gallery_of(name: &str, photos: &[(&str, &str)]) -> PathBuf {
    let dir = temp_dir(name);
    for (label, file) in photos {
        std::fs::copy(photo(file), dir.join(format!("{label}.jpg"))).unwrap();
    }
    dir
}

fn photo_source(path: &Path, scale: Option<(u32, u32)>) -> String {
    let scale = scale.map_or(String::new(), |(w, h)| {
        format!("! videoscale ! video/x-raw,width={w},height={h} ! videoconvert ")
    });
    format!(
        "filesrc location={} ! jpegdec ! videoconvert {scale}! video/x-raw,format=RGB ! imagefreeze num-buffers=1",
        path.display()
    )
}

fn identities(messages: &[gst::Structure]) -> Vec<IdentityMessage> {
    messages
        .iter()
        .filter(|s| s.name() == "faceidentify")
        .map(|s| IdentityMessage::try_from(s.as_ref()).unwrap())
        .collect()
}

fn identify(source: &str, props: &str) -> Vec<IdentityMessage> {
    let (_, messages) = common::run_collect(&format!(
        "{source} ! facedetect ! facequality ! faceidentify {props} ! appsink name=sink"
    ));
    identities(&messages)
}

#[test]
fn same_person_stays_under_the_threshold_and_another_person_above() {
    let gallery = gallery_of("folder", &[("obama", "obama")]);
    let props = format!("gallery={}", gallery.display());
    let mut same = Vec::new();
    for name in ["obama2", "obama3"] {
        let ids = identify(&photo_source(&photo(name), None), &props);
        assert_eq!(ids.len(), 1, "{name}: one key frame, one identity");
        let m = &ids[0];
        println!(
            "{name} vs gallery obama: distance {:.3} ({})",
            m.distance,
            m.result.as_str()
        );
        assert_eq!(m.result, IdentityResult::Verified, "{name}");
        assert_eq!(m.identity, "obama");
        assert!(m.distance < 0.6, "{name}: {}", m.distance);
        assert!(m.quality > 0.0 && m.descriptor.is_some() && m.chip.is_some());
        same.push(m.distance);
    }
    let ids = identify(&photo_source(&photo("biden"), None), &props);
    assert_eq!(ids.len(), 1);
    println!(
        "biden vs gallery obama: distance {:.3} ({})",
        ids[0].distance,
        ids[0].result.as_str()
    );
    assert_eq!(ids[0].result, IdentityResult::Unknown);
    assert!(ids[0].distance > 0.6, "{}", ids[0].distance);
    assert!(same.iter().all(|&d| d < ids[0].distance));

    // With both people enrolled, each photo gets its own name.
    let both = gallery_of("both", &[("obama", "obama"), ("biden", "biden")]);
    let props = format!("gallery={}", both.display());
    for (name, who) in [("obama3", "obama"), ("biden", "biden")] {
        let ids = identify(&photo_source(&photo(name), None), &props);
        assert_eq!(
            (ids[0].identity.as_str(), ids[0].verified()),
            (who, true),
            "{name}"
        );
    }
}

#[test]
fn a_frame_without_a_face_posts_nothing_and_passes() {
    let gallery = gallery_of("noface", &[("obama", "obama")]);
    let (samples, messages) = common::run_collect(&format!(
        "videotestsrc num-buffers=3 pattern=smpte ! video/x-raw,width=320,height=240,format=RGB ! facedetect ! facequality ! faceidentify gallery={} ! appsink name=sink",
        gallery.display()
    ));
    assert_eq!(samples.len(), 3, "frames pass through");
    assert!(identities(&messages).is_empty());
}

#[test]
fn a_tiny_face_is_reported_too_small_without_a_descriptor() {
    // obama2 scaled to 48x92: the face box is about 26 px wide, under min-face-size 32.
    let ids = identify(&photo_source(&photo("obama2"), Some((48, 92))), "");
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(ids[0].result, IdentityResult::TooSmall);
    assert!(ids[0].width < 32, "box {}", ids[0].width);
    assert!(ids[0].descriptor.is_none() && ids[0].identity.is_empty() && ids[0].distance < 0.0);
}

#[test]
fn missing_or_corrupt_model_and_bad_gallery_fail_start_naming_the_file() {
    let source = photo_source(&photo("obama"), None);
    let err = common::first_error(&format!(
        "{source} ! facedetect ! faceidentify model=/nonexistent/descriptor.onnx ! fakesink"
    ))
    .expect("missing model is an error");
    assert!(
        err.contains("/nonexistent/descriptor.onnx") && err.contains("setup.sh"),
        "{err}"
    );

    let dir = temp_dir("corrupt");
    let corrupt = dir.join("descriptor.onnx");
    std::fs::write(&corrupt, b"not an onnx model").unwrap();
    let err = common::first_error(&format!(
        "{source} ! facedetect ! faceidentify model={} ! fakesink",
        corrupt.display()
    ))
    .expect("corrupt model is an error");
    assert!(err.contains(&corrupt.display().to_string()), "{err}");

    // A gallery photo without a face, and a file that is no SQLite gallery.
    let gallery = temp_dir("gallery-noface");
    let img = image::RgbImage::from_pixel(64, 64, image::Rgb([90, 90, 90]));
    img.save(gallery.join("nobody.png")).unwrap();
    let err = common::first_error(&format!(
        "{source} ! facedetect ! faceidentify gallery={} ! fakesink",
        gallery.display()
    ))
    .expect("a photo without a face is an error");
    assert!(
        err.contains("nobody.png") && err.contains("no face"),
        "{err}"
    );
    let not_db = dir.join("gallery.sqlite");
    std::fs::write(&not_db, vec![b'x'; 4096]).unwrap();
    let err = common::first_error(&format!(
        "{source} ! facedetect ! faceidentify gallery={} ! fakesink",
        not_db.display()
    ))
    .expect("a corrupt SQLite gallery is an error");
    assert!(err.contains("gallery.sqlite"), "{err}");
}

#[test]
fn keyframe_mode_without_facequality_warns_and_interval_mode_works_alone() {
    let source = photo_source(&photo("obama"), None);
    common::init();
    let pipeline =
        gst::parse::launch(&format!("{source} ! facedetect ! faceidentify ! fakesink")).unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let posted = common::wait_eos(&pipeline, 60);
    pipeline.set_state(gst::State::Null).unwrap();
    let warning = posted.warnings.last().expect("a warning");
    assert!(
        warning.contains("facequality") && warning.contains("mode=interval"),
        "{warning}"
    );

    let (_, messages) = common::run_collect(&format!(
        "{} ! facedetect ! faceidentify mode=interval interval=2 ! appsink name=sink",
        source.replace("num-buffers=1", "num-buffers=5")
    ));
    let ids = identities(&messages);
    assert_eq!(ids.len(), 3, "faces 1, 3 and 5 of the track");
    assert!(
        ids.iter()
            .all(|m| m.result == IdentityResult::Unknown && m.quality < 0.0)
    );
}

#[test]
fn enrol_signal_writes_to_the_sqlite_gallery_that_later_runs_load() {
    let dir = temp_dir("sqlite");
    let db = dir.join("gallery.sqlite");
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "{} ! facedetect ! faceidentify name=id mode=interval interval=1 gallery={} ! fakesink",
        photo_source(&photo("obama"), None).replace("num-buffers=1", "num-buffers=3"),
        db.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let id = pipeline.by_name("id").unwrap();
    let enrolled = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let e2 = enrolled.clone();
    let id2 = id.clone();
    pipeline.bus().unwrap().set_sync_handler(move |_, msg| {
        if let gst::MessageView::Element(e) = msg.view()
            && let Some(m) = e
                .structure()
                .and_then(|s| IdentityMessage::try_from(s).ok())
        {
            let mut done = e2.lock().unwrap();
            if done.is_empty() {
                done.push(id2.emit_by_name::<bool>("enrol", &[&"barack", &m.track_id]));
                done.push(id2.emit_by_name::<bool>("enrol", &[&"nobody", &999i32]));
            }
        }
        gst::BusSyncReply::Pass
    });
    pipeline.set_state(gst::State::Playing).unwrap();
    common::wait_eos(&pipeline, 60);
    pipeline.set_state(gst::State::Null).unwrap();
    assert_eq!(
        *enrolled.lock().unwrap(),
        [true, false],
        "track enrolled, unknown track refused"
    );

    // A new run loads the enrolment from the file.
    let ids = identify(
        &photo_source(&photo("obama2"), None),
        &format!("gallery={}", db.display()),
    );
    assert_eq!(ids.len(), 1);
    assert_eq!(
        (ids[0].identity.as_str(), ids[0].result),
        ("barack", IdentityResult::Verified)
    );
}

#[test]
fn face_identify_script_names_the_person() {
    let root = env!("CARGO_MANIFEST_DIR");
    let result = std::process::Command::new("bash")
        .arg(format!("{root}/pipelines/face-identify.sh"))
        .env("GST_PLUGIN_PATH", common::plugin_dir())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "script failed: {stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        stdout.contains("result=(string)verified") && stdout.contains("identity=(string)obama"),
        "{stdout}"
    );
}
