//! examples/face-server: the camera config service facecrop asks (`config-location=http://...`)
//! and the closed loop of the face-first upload (RTP in, MQTT answer to `faceanswer`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use gst::prelude::*;
use gstfacekit::{AnswerDoneMessage, AnswerPersonMessage, FaceQualityMessage, Status};

pub struct FaceServer {
    child: Child,
    pub url: String,
    lines: mpsc::Receiver<String>,
}

impl FaceServer {
    pub fn start(args: &[&str]) -> Result<Self, String> {
        let mut child = Command::new(common::example_binary("face-server"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start face-server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        match lines.next() {
            Some(Ok(line)) if line.starts_with("LISTENING ") => {
                let (tx, rx) = mpsc::channel();
                std::thread::spawn(move || {
                    for line in lines.map_while(Result::ok) {
                        println!("face-server: {line}");
                        let _ = tx.send(line);
                    }
                });
                Ok(Self {
                    url: line["LISTENING ".len()..].to_string(),
                    child,
                    lines: rx,
                })
            }
            _ => {
                let out = child.wait_with_output().unwrap();
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        }
    }
}

impl FaceServer {
    /// The next output line starting with `prefix` (within `timeout`).
    pub fn line(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return l,
                Ok(_) => {}
                Err(_) => panic!("face-server printed no '{prefix}' line within {timeout:?}"),
            }
        }
    }
}

impl Drop for FaceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("facekit-server-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

fn astronaut_crop_size(props: &str) -> Result<(i32, i32), String> {
    let description = format!(
        "{} ! videoconvert ! facedetect landmarks=false ! facecrop {props} ! fakesink name=sink",
        common::astronaut_source()
    );
    if let Some(e) = common::first_error(&description.replace("fakesink name=sink", "fakesink")) {
        return Err(e);
    }
    let samples = common::pull_all(&description.replace("fakesink name=sink", "appsink name=sink"));
    let s = samples[0].caps().unwrap().structure(0).unwrap().to_owned();
    Ok((
        s.get::<i32>("width").unwrap(),
        s.get::<i32>("height").unwrap(),
    ))
}

#[test]
fn facecrop_gets_its_size_from_the_camera_config_service() {
    // Records as a calibration tool writes them (numbers as strings) and as numbers.
    let seed = temp_file(
        "seed.json",
        r#"[{"type":"A100","width":"60","height":"60"},{"type":"B200","width":96,"height":128}]"#,
    );
    let db = std::env::temp_dir().join(format!(
        "facekit-server-{}-cameras.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&db);
    let server = FaceServer::start(&[
        "--cameras",
        seed.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ])
    .unwrap();
    let location = format!("{}/camera-config", server.url);
    assert_eq!(
        astronaut_crop_size(&format!("config-location={location} camera-model=A100")),
        Ok((60, 60))
    );
    assert_eq!(
        astronaut_crop_size(&format!("config-location={location} camera-model=B200")),
        Ok((96, 128))
    );
    let e =
        astronaut_crop_size(&format!("config-location={location} camera-model=Z9")).unwrap_err();
    assert!(e.contains("answered HTTP 404"), "{e}");
    drop(server);

    // The table lives in SQLite: a server started on the same file without a seed answers.
    let server = FaceServer::start(&["--db", db.to_str().unwrap()]).unwrap();
    let location = format!("{}/camera-config", server.url);
    assert_eq!(
        astronaut_crop_size(&format!("config-location={location} camera-model=A100")),
        Ok((60, 60))
    );
    drop(server);

    // A malformed seed record stops the server with an error naming the file and the field.
    let bad = temp_file(
        "bad.json",
        r#"[{"type":"A100","width":"sixty","height":"60"}]"#,
    );
    let e = FaceServer::start(&["--cameras", bad.to_str().unwrap()])
        .err()
        .expect("refused");
    assert!(
        e.contains("bad.json") && e.contains("'sixty' is not a whole number"),
        "{e}"
    );
}

/// The camera's capture pipeline of the face-first upload on the talking-head clip (carphone
/// at 640x480), as pipelines/face-upload.sh runs it, with the same frames also encoded
/// uncropped the same way (not sent) to count what the full frame would cost.
fn capture_pipeline(port: &str, answers: &str) -> String {
    let encode = "x264enc pass=qual quantizer=23 tune=zerolatency speed-preset=veryfast key-int-max=30 \
                  ! rtph264pay config-interval=1 pt=96 mtu=1400";
    format!(
        "{} ! videoconvert ! videoscale ! video/x-raw,width=640,height=480 ! tee name=camera \
         camera. ! queue ! facedetect landmarks=false updates=none \
           ! facecrop size=160x160 fit=scale post-messages=false ! videoconvert ! {encode} \
           ! faceanswer name=answer location={answers} ! udpsink host=127.0.0.1 port={port} sync=true \
         camera. ! queue ! videoconvert ! {encode} ! fakesink name=full sync=false",
        common::carphone_source()
    )
}

fn bytes_through(pipeline: &gst::Pipeline, name: &str) -> Arc<Mutex<u64>> {
    let count = Arc::new(Mutex::new(0u64));
    let c = count.clone();
    pipeline
        .by_name(name)
        .unwrap()
        .static_pad("sink")
        .unwrap()
        .add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            move |_, info| {
                // rtph264pay pushes buffer lists.
                let size = match &info.data {
                    Some(gst::PadProbeData::Buffer(b)) => b.size(),
                    Some(gst::PadProbeData::BufferList(l)) => l.calculate_size(),
                    _ => 0,
                };
                *c.lock().unwrap() += size as u64;
                gst::PadProbeReturn::Ok
            },
        );
    count
}

#[test]
fn upload_is_answered_with_the_best_key_frame_and_a_verified_identity() {
    common::init();
    let broker = common::Broker::start();
    let prefix = format!("facekit/upload/test-{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("facekit-upload-{}", std::process::id()));
    let gallery = dir.join("gallery");
    std::fs::create_dir_all(&gallery).unwrap();

    // Enrolment from one frame: the camera's first full frame of the clip.
    let frames = common::rgb_frames(&format!(
        "{} ! videoconvert ! videoscale ! video/x-raw,width=640,height=480",
        common::carphone_source()
    ));
    let (w, h, rgb) = &frames[0];
    image::RgbImage::from_raw(*w as u32, *h as u32, rgb.clone())
        .unwrap()
        .save(gallery.join("talker.png"))
        .unwrap();

    let recording = dir.join("received-{upload}.mkv");
    let server = FaceServer::start(&[
        "--rtp-port",
        "0",
        "--answers",
        &broker.url(&prefix),
        "--gallery",
        gallery.to_str().unwrap(),
        "--record",
        recording.to_str().unwrap(),
    ])
    .unwrap();
    let upload = server.line("UPLOAD udp://", Duration::from_secs(120));
    let port = upload
        .split_whitespace()
        .nth(1)
        .and_then(|u| u.rsplit(':').next())
        .unwrap()
        .to_string();

    // The camera: crop, encode, send; faceanswer posts the answer before EOS.
    let pipeline = gst::parse::launch(&capture_pipeline(&port, &broker.url(&prefix)))
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let full_bytes = bytes_through(&pipeline, "full");
    pipeline.set_state(gst::State::Playing).unwrap();
    let (mut persons, mut done) = (Vec::new(), None);
    for msg in pipeline
        .bus()
        .unwrap()
        .iter_timed(gst::ClockTime::from_seconds(300))
    {
        match msg.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => panic!("capture: {} ({:?})", e.error(), e.debug()),
            gst::MessageView::Warning(w) => println!("capture warning: {}", w.error()),
            gst::MessageView::Element(e) => {
                let s = e.structure().unwrap();
                if let Ok(p) = AnswerPersonMessage::try_from(s) {
                    persons.push(p);
                } else if let Ok(d) = AnswerDoneMessage::try_from(s) {
                    done = Some(d);
                }
            }
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    server.line("DONE upload 1", Duration::from_secs(10));
    drop(server);

    // The upload on the wire against the full frames encoded the same way, over the clip.
    let done = done.expect("no faceanswer-done message before EOS");
    let summary = done.done.clone().expect("the server did not answer");
    let seconds = frames.len() as f64 / 30.0;
    let full = *full_bytes.lock().unwrap();
    let ratio = done.bytes_sent as f64 / full as f64;
    println!(
        "upload: {:.0} bytes/s cropped, {:.0} bytes/s full frame (ratio {ratio:.3}); {} frames over {seconds:.1} s",
        done.bytes_sent as f64 / seconds,
        full as f64 / seconds,
        frames.len()
    );
    assert!(ratio < 0.3, "the crops cost {ratio:.3} of the full frames");
    assert_eq!(
        summary.packets, done.packets_sent,
        "packets lost on loopback"
    );
    assert!(
        summary.frames >= 100,
        "the server analysed {} frames",
        summary.frames
    );

    // One person, named, with the key image of the best face of the whole upload.
    assert_eq!(persons.len(), 1, "{persons:?}");
    assert_eq!(summary.persons, 1);
    let person = &persons[0];
    println!(
        "answer: {} '{}' distance {:.3} quality {:.4} tracks {:?} frames {}",
        person.result,
        person.identity,
        person.distance,
        person.quality,
        person.tracks,
        person.frames
    );
    assert!(person.verified(), "{person:?}");
    assert_eq!(person.identity, "talker");
    assert!(person.distance < 0.6);
    let jpeg = person.image.buffer().unwrap().map_readable().unwrap();
    assert_eq!(&jpeg[..2], &[0xff, 0xd8], "not a JPEG");
    let decoded = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    let caps = person
        .image
        .caps()
        .unwrap()
        .structure(0)
        .unwrap()
        .to_owned();
    assert_eq!(
        (decoded.width() as i32, decoded.height() as i32),
        (
            caps.get::<i32>("width").unwrap(),
            caps.get::<i32>("height").unwrap()
        )
    );
    assert!(
        decoded.width() >= 64,
        "key image {}x{}",
        decoded.width(),
        decoded.height()
    );
    // Kept for looking at (the folder below is removed).
    let key = std::env::temp_dir().join("facekit-upload-key.png");
    decoded.save(&key).unwrap();
    println!("key image: {}", key.display());

    // Scored again from what the server recorded: the key image's quality is the best of
    // every face in the upload, not of a window at the start.
    let (_, messages) = common::run_collect(&format!(
        "filesrc location={} ! matroskademux ! h264parse ! avdec_h264 ! videoconvert \
         ! facedetect landmarks=true ! facequality message-interval=0 keyframes=false ! appsink name=sink",
        dir.join("received-1.mkv").display()
    ));
    let scores: Vec<(u64, f64)> = messages
        .iter()
        .filter_map(|s| FaceQualityMessage::try_from(s.as_ref()).ok())
        .flat_map(|m| {
            let t = m.timestamp.map_or(0, |t| t.mseconds());
            m.faces
                .into_iter()
                .filter(|f| f.quality.status == Status::Ok)
                .map(move |f| (t, f.quality.overall))
        })
        .collect();
    assert!(scores.len() >= 100, "{} faces scored", scores.len());
    let (best_at, best) = scores
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let early_best = scores
        .iter()
        .filter(|(t, _)| *t < scores[0].0 + 2000)
        .map(|s| s.1)
        .fold(f64::MIN, f64::max);
    println!(
        "quality: key image {:.4}, best of the upload {best:.4} at {best_at} ms, best of its first 2 s {early_best:.4}, over {} faces",
        person.quality,
        scores.len()
    );
    assert!(
        (person.quality - best).abs() < 1e-4,
        "key image quality {} is not the upload's best {best}",
        person.quality
    );
    // The same faces, give or take the recording's first or last frame.
    assert!(
        person.frames.abs_diff(scores.len() as u32) <= 3,
        "the server scored {} faces, the recording {}",
        person.frames,
        scores.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn faceanswer_without_a_server_warns_and_lets_eos_through() {
    common::init();
    let broker = common::Broker::start();
    let location = broker.url("facekit/upload/nobody");
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=5 ! faceanswer location={location} timeout=1000 ! fakesink"
    ))
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let posted = common::wait_eos(&pipeline, 30);
    if let Some((e, _)) = &posted.error {
        panic!("{e}");
    }
    let done = (posted.messages.iter())
        .filter_map(|s| AnswerDoneMessage::try_from(s.as_ref()).ok())
        .next_back();
    pipeline.set_state(gst::State::Null).unwrap();
    let warning = posted.warnings.last().expect("no warning");
    assert!(
        warning.contains("did not answer within 1000 ms"),
        "{warning}"
    );
    let done = done.expect("no faceanswer-done");
    assert!(done.done.is_none());
    assert_eq!(done.packets_sent, 5);

    // Stopping while EOS waits for an answer does not wait for the timeout.
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=5 ! faceanswer location={location} timeout=600000 ! fakesink"
    ))
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let started = std::time::Instant::now();
    pipeline.set_state(gst::State::Null).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopping took {:?}",
        started.elapsed()
    );

    for (props, expected) in [
        ("", "needs location=mqtt://"),
        ("location=http://x/y", "not an mqtt:// URL"),
        ("location=mqtt://h/a/#", "wildcards"),
    ] {
        let e = common::first_error(&format!(
            "videotestsrc num-buffers=1 ! faceanswer {props} ! fakesink"
        ))
        .unwrap_or_else(|| panic!("faceanswer {props} started"));
        assert!(e.contains(expected), "{props}: {e}");
    }
}
