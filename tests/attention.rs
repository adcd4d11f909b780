//! attentionmeter and attentionoverlay on real media, with a real mosquitto broker on loopback.

mod common;

use common::{Broker, free_port, plugin_dir};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacekit::AttentionEvent;
use gstfacekit::OverlayLayout;

const S: u64 = 1_000_000_000;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("facekit-attention-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[derive(Default, Debug)]
struct Outcome {
    events: Vec<AttentionEvent>,
    others: Vec<gst::Structure>,
    warnings: Vec<String>,
    error: Option<String>,
    frames: usize,
}

/// Runs a pipeline (its sink named `sink`, an appsink) to EOS; `feed` may push into it.
fn run(description: &str, feed: impl FnOnce(&gst::Pipeline)) -> Outcome {
    common::init();
    let pipeline = gst::parse::launch(description)
        .unwrap_or_else(|e| panic!("bad pipeline '{description}': {e}"))
        .downcast::<gst::Pipeline>()
        .unwrap();
    let frames = Arc::new(Mutex::new(0usize));
    let f = frames.clone();
    common::on_samples(&pipeline, move |_| *f.lock().unwrap() += 1);
    feed(&pipeline);
    let mut out = Outcome::default();
    if pipeline.set_state(gst::State::Playing).is_err() {
        out.error = Some("state change failed".into());
    }
    let posted = common::wait_eos(&pipeline, 90);
    if let Some((text, _)) = posted.error {
        out.error = Some(text);
    }
    out.warnings = posted.warnings;
    for s in posted.messages {
        match AttentionEvent::try_from(s.as_ref()) {
            Ok(ev) => out.events.push(ev),
            Err(_) => out.others.push(s),
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    // Messages posted while stopping (the EOS-less path) are still on the bus.
    let bus = pipeline.bus().unwrap();
    while let Some(msg) = bus.pop() {
        if let gst::MessageView::Element(e) = msg.view()
            && let Ok(ev) = AttentionEvent::try_from(e.structure().unwrap())
        {
            out.events.push(ev);
        }
    }
    out.frames = *frames.lock().unwrap();
    out
}

fn windows(out: &Outcome) -> Vec<(u64, u32, u32, f64, bool)> {
    out.events
        .iter()
        .filter_map(|e| match e {
            AttentionEvent::Attention(r) => {
                Some((r.window_index, r.sampled, r.gaze, r.attention, r.complete))
            }
            _ => None,
        })
        .collect()
}

fn sequence(out: &Outcome) -> Vec<(String, u64)> {
    out.events
        .iter()
        .filter_map(|e| match e {
            AttentionEvent::Reminder(r)
            | AttentionEvent::Alert(r)
            | AttentionEvent::Recovered(r) => Some((e.name().to_string(), r.window_index)),
            _ => None,
        })
        .collect()
}

/// Carphone frames (176x144 RGB) and a flat grey frame with no face.
fn clip_frames() -> (usize, usize, Vec<Vec<u8>>, Vec<u8>) {
    let frames = common::rgb_frames(&common::carphone_source());
    let (w, h) = (frames[0].0, frames[0].1);
    let grey = vec![128u8; w * h * 3];
    (w, h, frames.into_iter().map(|f| f.2).collect(), grey)
}

/// Pushes `frames` (RGB, tightly packed) at `fps` through `chain` from an appsrc.
fn run_clip(w: usize, h: usize, fps: u64, frames: &[&[u8]], chain: &str) -> Outcome {
    let desc = format!(
        "appsrc name=src format=time max-bytes=0 caps=video/x-raw,format=RGB,width={w},height={h},framerate={fps}/1 \
         ! {chain} ! appsink name=sink"
    );
    let frames: Vec<Vec<u8>> = frames.iter().map(|f| f.to_vec()).collect();
    run(&desc, move |p| {
        let src = p
            .by_name("src")
            .unwrap()
            .downcast::<gst_app::AppSrc>()
            .unwrap();
        for (i, f) in frames.iter().enumerate() {
            let mut buf = common::rgb_buffer(w, h, f);
            let b = buf.get_mut().unwrap();
            b.set_pts(gst::ClockTime::from_nseconds(i as u64 * S / fps));
            b.set_duration(gst::ClockTime::from_nseconds(S / fps));
            src.push_buffer(buf).unwrap();
        }
        src.end_of_stream().unwrap();
    })
}

const DETECT: &str = "videoconvert ! facedetect hold-frames=0";
/// Wide enough that every carphone frame's pose counts: the gaze test then depends on the face.
const WIDE: &str = "pitch-range=-60,60 yaw-range=-60,60";

#[test]
fn interleaved_clip_gives_exact_attention_and_reminder_alert_recovered_sequence() {
    let (w, h, faces, grey) = clip_frames();
    // 2 fps, sample-rate 1: even frames are sampled, odd frames must not count. Windows of
    // 5 s = 5 sampled frames; gaze frames per window follow the script below.
    let script = [5usize, 1, 0, 4, 2, 2, 5];
    let mut clip: Vec<&[u8]> = Vec::new();
    let mut next_face = 0;
    for (wi, gaze) in script.iter().enumerate() {
        for k in 0..5 {
            let sampled_is_face = k < *gaze;
            let mut face = || {
                next_face += 1;
                faces[next_face % faces.len()].as_slice()
            };
            clip.push(if sampled_is_face { face() } else { &grey });
            // Distractor between samples: the opposite of the sampled frame.
            clip.push(if sampled_is_face { &grey } else { face() });
        }
        let _ = wi;
    }
    let out = run_clip(
        w,
        h,
        2,
        &clip,
        &format!(
            "{DETECT} ! attentionmeter viewer-id=anna course=c1 sample-rate=1 window=5 stats-interval=10 threshold=0.5 {WIDE}"
        ),
    );
    assert_eq!(out.error, None);
    assert_eq!(out.frames, 70, "every frame passes");
    let got = windows(&out);
    let expected: Vec<(u64, u32, u32, f64, bool)> = script
        .iter()
        .enumerate()
        .map(|(i, g)| (i as u64, 5, *g as u32, *g as f64 / 5.0, true))
        .collect();
    assert_eq!(got, expected, "attention per window");
    assert_eq!(
        sequence(&out),
        vec![
            ("attention-reminder".to_string(), 1),
            ("attention-alert".to_string(), 2),
            ("attention-recovered".to_string(), 3),
            ("attention-reminder".to_string(), 4),
            ("attention-alert".to_string(), 5),
            ("attention-recovered".to_string(), 6),
        ]
    );
    // The alert carries the viewer and the value; the state after each window.
    let alert = out
        .events
        .iter()
        .find_map(|e| match e {
            AttentionEvent::Alert(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((alert.viewer_id.as_str(), alert.attention), ("anna", 0.0));
    // The second low window in a row: the presenter is alerted.
    assert_eq!(alert.state, "alerted");
    assert_eq!((alert.window_start, alert.window_end), (10 * S, 15 * S));
    // Stats every 10 s (two windows each) and at EOS.
    let stats: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            AttentionEvent::Stats(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let values: Vec<Vec<f64>> = stats.iter().map(|s| s.values.clone()).collect();
    assert_eq!(
        values,
        vec![vec![1.0, 0.2], vec![0.0, 0.8], vec![0.4, 0.4], vec![1.0]]
    );
    assert!(stats[..3].iter().all(|s| !s.is_final) && stats[3].is_final);
    let lesson = &stats[3].lesson;
    assert_eq!(
        (lesson.windows, lesson.min, lesson.max),
        (7, Some(0.0), Some(1.0))
    );
    assert!((lesson.mean.unwrap() - 3.8 / 7.0).abs() < 1e-9);
    assert_eq!(lesson.histogram, vec![1, 0, 1, 0, 2, 0, 0, 0, 1, 2]);
}

#[test]
fn carphone_pose_decides_gaze_and_default_sampling_is_one_per_second() {
    // The real clip (a frontal driver: pitch -2..17, yaw -10..12 degrees, inside the default
    // ranges): 120 frames at 29.97 fps (0 to 3.97 s). sample-rate 1 samples 4 frames
    // (t = 0, 1, 2, 3 s) in one 60 s window flushed at EOS as partial; windows of 1 s at 5
    // samples/s give 4 complete windows; a yaw range the face never reaches gives 0.
    let src = common::carphone_source();
    let chain = |props: &str| {
        format!("{src} ! {DETECT} ! attentionmeter viewer-id=v {props} ! appsink name=sink")
    };
    let attentive = run(&chain(""), |_| {});
    assert_eq!(windows(&attentive), vec![(0, 4, 4, 1.0, false)]);
    assert!(
        sequence(&attentive).is_empty(),
        "a partial window drives no reminder"
    );
    let away = run(&chain("yaw-range=80,90 window=1 sample-rate=5"), |_| {});
    let w = windows(&away);
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(
        w.iter().all(|x| x.1 == 5 && x.2 == 0 && x.3 == 0.0 && x.4),
        "{w:?}"
    );
    assert_eq!(
        sequence(&away),
        vec![
            ("attention-reminder".to_string(), 0),
            ("attention-alert".to_string(), 1),
            ("attention-alert".to_string(), 2),
            ("attention-alert".to_string(), 3),
        ]
    );
    assert_eq!(away.frames, 120);
}

#[test]
fn bad_values_give_clear_errors_and_warnings() {
    let base = "videotestsrc num-buffers=3 ! attentionmeter";
    for (props, needle) in [
        ("pitch-range=\"\"", "pitch-range is empty"),
        ("yaw-range=30,-30", "inverted"),
        ("pitch-range=up,down", "not a number"),
        ("window=0", "window"),
        ("sample-rate=0", "sample-rate"),
        ("sample-rate=0.01 window=10", "once per window"),
        ("stats-interval=0", "stats-interval"),
        ("publish=http://x/y", "mqtt://"),
        ("publish=mqtt://127.0.0.1:1883/a/#", "wildcards"),
    ] {
        let out = run(&format!("{base} {props} ! appsink name=sink"), |_| {});
        let e = out.error.unwrap_or_else(|| panic!("{props}: no error"));
        assert!(e.contains(needle), "{props}: '{e}' lacks '{needle}'");
    }
    // threshold outside 0..1 is refused by the property itself (GLib names it) and the
    // pipeline runs with the default.
    let r = Command::new("gst-launch-1.0")
        .args([
            "videotestsrc",
            "num-buffers=2",
            "!",
            "attentionmeter",
            "threshold=1.5",
            "!",
            "fakesink",
        ])
        .env("GST_PLUGIN_PATH", plugin_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("threshold"), "{stderr}");
    // No facedetect before: a warning that says what to add; frames keep flowing.
    let out = run(&format!("{base} ! appsink name=sink"), |_| {});
    assert_eq!(out.error, None);
    assert_eq!(out.frames, 3);
    assert!(
        out.warnings.iter().any(|w| w.contains("put facedetect")),
        "{:?}",
        out.warnings
    );
    // Unwritable history: a warning, attention still measured.
    let out = run(
        &format!(
            "{} ! {DETECT} ! attentionmeter history-location=/nonexistent/dir/h.jsonl ! appsink name=sink",
            common::carphone_source()
        ),
        |_| {},
    );
    assert_eq!(out.error, None);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("/nonexistent/dir/h.jsonl")),
        "{:?}",
        out.warnings
    );
    assert_eq!(windows(&out).len(), 1);
    // Overlay: bad URL and missing font are errors that say how to fix them.
    let out = run(
        "videotestsrc num-buffers=1 ! attentionoverlay subscribe=mqtt://h ! appsink name=sink",
        |_| {},
    );
    assert!(out.error.unwrap().contains("no topic"));
    let out = run(
        "videotestsrc num-buffers=1 ! attentionoverlay font=/nonexistent.ttf ! appsink name=sink",
        |_| {},
    );
    assert!(out.error.unwrap().contains("fonts-dejavu-core"));
}

#[test]
fn broker_down_at_start_is_a_warning_and_video_keeps_flowing() {
    let port = free_port();
    let started = Instant::now();
    let out = run(
        &format!(
            "{} ! {DETECT} ! attentionmeter window=1 sample-rate=5 publish=mqtt://127.0.0.1:{port}/t ! appsink name=sink",
            common::carphone_source()
        ),
        |_| {},
    );
    assert_eq!(out.error, None);
    assert_eq!(out.frames, 120);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("cannot reach the MQTT broker") && w.contains(&port.to_string())),
        "{:?}",
        out.warnings
    );
    assert_eq!(windows(&out).len(), 4, "messages still on the bus");
    assert!(started.elapsed() < Duration::from_secs(30));
}

fn red_pixels(sample: &gst::Sample, region: gstfacekit::Rect) -> usize {
    let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer().unwrap(), &info)
        .unwrap();
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).unwrap();
    let mut n = 0;
    for y in region.y as usize..(region.y + region.h) as usize {
        for x in region.x as usize..(region.x + region.w) as usize {
            let p = &data[y * stride + x * 3..y * stride + x * 3 + 3];
            if p[0] > 150 && p[1] < 110 && p[2] < 110 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn viewers_publish_over_mosquitto_and_the_presenter_sees_alerts_and_gets_a_report() {
    let broker = Broker::start();
    let url = broker.url("course/42/attention");
    let history = tmp("history.jsonl");
    let report = tmp("report.svg");
    let viewer = |id: &str, props: &str| {
        format!(
            "{} ! {DETECT} ! attentionmeter viewer-id={id} course=c42 window=1 sample-rate=5 history-location={} publish={url} {props} ! appsink name=sink",
            common::carphone_source(),
            history.display()
        )
    };
    // A previous lesson of the course, by a real viewer pipeline: the presenter's history.
    let previous = run(&viewer("earlier", WIDE), |_| {});
    assert_eq!(previous.error, None);
    assert!(
        std::fs::read_to_string(&history)
            .unwrap()
            .contains("\"viewer-id\":\"earlier\"")
    );

    common::init();
    let presenter = gst::parse::launch(&format!(
        "videotestsrc is-live=true pattern=black ! video/x-raw,format=I420,width=640,height=360,framerate=10/1 \
         ! attentionoverlay subscribe={url} course=c42 history-location={} report-location={} \
         ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink max-buffers=2 drop=true",
        history.display(),
        report.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = presenter
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    presenter.set_state(gst::State::Playing).unwrap();
    let bus = presenter.bus().unwrap();
    let subscribed = bus
        .iter_timed(gst::ClockTime::from_seconds(10))
        .any(|m| match m.view() {
            gst::MessageView::Element(e) => {
                e.structure().unwrap().name() == "attentionoverlay-subscribed"
            }
            gst::MessageView::Error(e) => panic!("presenter: {}", e.error()),
            _ => false,
        });
    assert!(subscribed, "presenter never subscribed");
    let latest = |sink: &gst_app::AppSink| {
        // Drain to a fresh frame.
        let mut last = None;
        let deadline = Instant::now() + Duration::from_millis(400);
        while Instant::now() < deadline {
            if let Some(s) = sink.try_pull_sample(gst::ClockTime::from_mseconds(50)) {
                last = Some(s);
            }
        }
        last.expect("presenter frames")
    };
    let layout = OverlayLayout::new(640, 360);
    let before = latest(&sink);
    assert_eq!(
        red_pixels(&before, layout.alerts),
        0,
        "alerts drawn before any viewer"
    );

    // Three viewers; one never looks at the screen (its yaw range is never reached).
    let mut handles = Vec::new();
    for (id, props) in [("anna", ""), ("ben", ""), ("drifter", "yaw-range=80,90")] {
        let desc = viewer(id, props);
        handles.push(std::thread::spawn(move || run(&desc, |_| {})));
    }
    for h in handles {
        let out = h.join().unwrap();
        assert_eq!(out.error, None);
        assert_eq!(out.frames, 120);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = latest(&sink);
    let red = red_pixels(&after, layout.alerts);
    assert!(
        red > 30,
        "no alert drawn in the alert list ({red} red pixels)"
    );
    assert_eq!(
        red_pixels(&after, layout.header),
        0,
        "alert colour outside the alert list"
    );

    // Ask for the report now (action signal), then at EOS.
    let overlay = presenter
        .iterate_elements()
        .into_iter()
        .flatten()
        .find(|e| e.factory().is_some_and(|f| f.name() == "attentionoverlay"))
        .unwrap();
    assert!(overlay.emit_by_name::<bool>("write-report", &[]));
    presenter.send_event(gst::event::Eos::new());
    let mut series = None;
    for m in bus.iter_timed(gst::ClockTime::from_seconds(10)) {
        match m.view() {
            gst::MessageView::Element(e)
                if e.structure().unwrap().name() == "attentionoverlay-report" =>
            {
                series = e.structure().unwrap().get::<u32>("series").ok();
            }
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => panic!("presenter: {}", e.error()),
            _ => {}
        }
    }
    presenter.set_state(gst::State::Null).unwrap();
    let svg = std::fs::read_to_string(&report).unwrap();
    // 3 viewers + class mean + history of the previous lesson.
    assert_eq!(svg.matches("class=\"series viewer\"").count(), 3);
    assert_eq!(svg.matches("class=\"series").count(), 5);
    assert_eq!(series, Some(5));
    for id in ["anna", "ben", "drifter"] {
        assert!(
            svg.contains(&format!("data-series=\"viewer:{id}\"")),
            "{id} missing"
        );
    }
    assert!(
        !svg.contains("viewer:earlier"),
        "previous lesson's viewer is history only"
    );
    // The class curve was appended to the history for the next lesson.
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.contains("\"viewer-id\":\"class\""), "{text}");
    assert_eq!(text.lines().count(), 5, "earlier + 3 viewers + class");
}

#[test]
fn pipeline_scripts_run_as_shipped() {
    // The presenter's local preview is a real glimagesink window on an X server; the panel
    // must show there and not in the recording.
    let screen = common::Xvfb::start();
    let broker = Broker::start();
    let url = broker.url("course/7/attention");
    let root = env!("CARGO_MANIFEST_DIR");
    let video = tmp("presenter.mp4");
    let report = tmp("script-report.svg");
    let mut presenter = Command::new("stdbuf")
        .args([
            "-oL",
            "bash",
            &format!("{root}/pipelines/attention-presenter.sh"),
        ])
        .arg(&url)
        .arg(&video)
        .arg(&report)
        .arg("20") // seconds: room for the viewer script on a loaded machine
        .env("GST_PLUGIN_PATH", plugin_dir())
        .env("DISPLAY", &screen.display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("PREVIEW")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(presenter.stdout.take().unwrap()).lines();
    let mut log = String::new();
    let ready = lines.by_ref().any(|l| {
        let l = l.unwrap_or_default();
        log.push_str(&l);
        log.push('\n');
        l.contains("attentionoverlay-subscribed")
    });
    assert!(ready, "presenter script did not subscribe: {log}");
    let viewer = Command::new("bash")
        .arg(format!("{root}/pipelines/attention-viewer.sh"))
        .arg(&url)
        .arg("script-viewer")
        .arg(tmp("script-history.jsonl"))
        .env("GST_PLUGIN_PATH", plugin_dir())
        .output()
        .unwrap();
    let vout = String::from_utf8_lossy(&viewer.stdout);
    assert!(
        viewer.status.success(),
        "viewer script failed: {vout}\n{}",
        String::from_utf8_lossy(&viewer.stderr)
    );
    assert!(vout.contains("attention-stats"), "{vout}");
    // The preview window (glimagesink maps it at the screen's top left, no window manager).
    let shown = screen.screenshot();
    assert!(
        presenter.try_wait().unwrap().is_none(),
        "the presenter ended before the preview was looked at"
    );
    if std::env::var_os("FACEKIT_DUMP").is_some() {
        dump_png(&shown, "/tmp/presenter-preview.png");
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = presenter.wait().unwrap();
    assert!(
        status.success(),
        "presenter script failed: {log}{}",
        rest.join("\n")
    );
    let svg = std::fs::read_to_string(&report).unwrap();
    assert_eq!(svg.matches("class=\"series viewer\"").count(), 1, "{svg}");
    assert!(svg.contains("viewer:script-viewer"));
    let document = report.with_extension("json");
    assert!(
        std::fs::read_to_string(&document)
            .unwrap()
            .contains("\"viewer-id\": \"script-viewer\""),
        "the JSON document beside the report"
    );
    let frames = common::pull_all(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink",
        video.display()
    ));
    assert!(frames.len() >= 140, "{} frames", frames.len());
    // The recording is clean where the panel is shown locally: the same luma as the source
    // (up to compression), not the panel's dark background and text.
    let source = common::pull_all(
        "videotestsrc pattern=smpte num-buffers=1 ! video/x-raw,width=640,height=360 ! videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink",
    );
    let panel = OverlayLayout::new(640, 360).panel;
    let luma = |s: &gst::Sample| {
        let map = s.buffer().unwrap().map_readable().unwrap();
        let (mut sum, mut n) = (0u64, 0u64);
        for y in panel.y as usize..((panel.y + panel.h) as usize).min(240) {
            for x in panel.x as usize..(panel.x + panel.w) as usize {
                sum += map[y * 640 + x] as u64;
                n += 1;
            }
        }
        sum as f64 / n as f64
    };
    let (recorded, plain) = (luma(frames.last().unwrap()), luma(&source[0]));
    assert!(
        (recorded - plain).abs() < 6.0,
        "panel region luma {recorded:.1} in the recording vs {plain:.1} in the source"
    );
    // ... while the preview shows it: the panel's dark backing over the bright bars, and the
    // bars themselves beside it (so this is the video window, not an empty screen).
    let screen_luma = |x0: f32, y0: f32, x1: f32, y1: f32| {
        let map = shown.buffer().unwrap().map_readable().unwrap();
        let (mut sum, mut n) = (0f64, 0f64);
        for y in y0 as usize..y1 as usize {
            for x in x0 as usize..x1 as usize {
                let p = &map[(y * 1280 + x) * 3..][..3];
                sum += 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
                n += 1.0;
            }
        }
        sum / n
    };
    let previewed = screen_luma(
        panel.x,
        panel.y,
        panel.x + panel.w,
        (panel.y + panel.h).min(240.0),
    );
    assert!(
        plain - previewed > 40.0,
        "panel region luma {previewed:.1} in the preview window vs {plain:.1} in the source: the panel is not shown"
    );
    let white_bar =
        screen_luma(10.0, 250.0, 80.0, 260.0).max(screen_luma(560.0, 250.0, 630.0, 260.0));
    assert!(
        white_bar > 150.0,
        "no video window at the top left ({white_bar:.1})"
    );
}

/// Pushes JSON messages (as published) into an overlay drawing on `format` frames of
/// `width`x`height`, returns the last frame converted to RGB.
fn overlay_frame(format: &str, width: u32, height: u32, messages: &[String]) -> gst::Sample {
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc pattern=smpte num-buffers=3 ! video/x-raw,format={format},width={width},height={height} \
         ! attentionoverlay name=o ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink"
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let overlay = pipeline.by_name("o").unwrap();
    for m in messages {
        assert!(overlay.emit_by_name::<bool>("push-json", &[m]), "{m}");
    }
    assert!(!overlay.emit_by_name::<bool>("push-json", &[&"not json"]));
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let mut last = None;
    while let Ok(s) = sink.pull_sample() {
        last = Some(s);
    }
    pipeline.set_state(gst::State::Null).unwrap();
    last.expect("frames")
}

fn light_pixels(sample: &gst::Sample, region: gstfacekit::Rect) -> usize {
    let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer().unwrap(), &info)
        .unwrap();
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).unwrap();
    let mut n = 0;
    for y in region.y as usize..(region.y + region.h) as usize {
        for x in region.x as usize..(region.x + region.w) as usize {
            if data[y * stride + x * 3..y * stride + x * 3 + 3]
                .iter()
                .all(|v| *v > 200)
            {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn overlay_text_is_drawn_in_i420_nv12_and_rgba_at_presenter_sizes() {
    use gstfacekit::WindowReport;
    let report = |id: &str, attention: f64| WindowReport {
        viewer_id: id.into(),
        course: "c".into(),
        lesson_index: 0,
        window_index: 0,
        window_start: 0,
        window_end: 60 * S,
        unix_start_ms: 1_763_760_000_000,
        unix_end_ms: 1_763_760_060_000,
        sampled: 60,
        gaze: (attention * 60.0) as u32,
        attention,
        threshold: 0.5,
        low_at_threshold: false,
        state: "alerted".into(),
        complete: true,
    };
    let messages: Vec<String> = [
        AttentionEvent::Attention(report("anna", 0.9)),
        AttentionEvent::Attention(report("bob", 0.1)),
        AttentionEvent::Alert(report("bob", 0.1)),
    ]
    .iter()
    .map(AttentionEvent::to_json)
    .collect();
    for (w, h) in [(640, 360), (1280, 720)] {
        let layout = OverlayLayout::new(w, h);
        for format in ["I420", "NV12", "RGBA"] {
            let quiet = overlay_frame(format, w, h, &messages[..1]);
            let alerted = overlay_frame(format, w, h, &messages);
            let red = red_pixels(&alerted, layout.alerts);
            // Text strokes of a 16 px font and up: dozens of pure red pixels per glyph line.
            assert!(
                red > 40,
                "{format} {w}x{h}: {red} red pixels in the alert list"
            );
            assert_eq!(red_pixels(&quiet, layout.alerts), 0, "{format} {w}x{h}");
            let text = light_pixels(&alerted, layout.header);
            assert!(text > 60, "{format} {w}x{h}: header text {text} px");
            if std::env::var_os("FACEKIT_DUMP").is_some() {
                dump_png(&alerted, &format!("/tmp/overlay-{format}-{w}x{h}.png"));
            }
        }
    }
}

fn dump_png(sample: &gst::Sample, path: &str) {
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=src num-buffers=1 ! videoconvert ! pngenc ! filesink location={path}"
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let src = pipeline
        .by_name("src")
        .unwrap()
        .downcast::<gst_app::AppSrc>()
        .unwrap();
    src.set_caps(sample.caps().map(|c| c.to_owned()).as_ref());
    pipeline.set_state(gst::State::Playing).unwrap();
    src.push_buffer(sample.buffer().unwrap().to_owned())
        .unwrap();
    src.end_of_stream().unwrap();
    let bus = pipeline.bus().unwrap();
    bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(10),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    pipeline.set_state(gst::State::Null).unwrap();
}

#[test]
fn viewer_cue_shows_a_reminder_banner_then_an_alert_banner() {
    // The viewer never looks at the screen: reminded after the first 1 s window, the
    // presenter alerted after the second.
    let samples = common::pull_all(&format!(
        "{} ! {DETECT} ! attentionmeter window=1 sample-rate=5 yaw-range=80,90 draw=true \
         ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink",
        common::carphone_source()
    ));
    assert_eq!(samples.len(), 120);
    let cue = gstfacekit::ViewerCueLayout::new(176, 144);
    let count = |s: &gst::Sample, colour: fn(&[u8]) -> bool| {
        let info = gst_video::VideoInfo::from_caps(s.caps().unwrap()).unwrap();
        let frame =
            gst_video::VideoFrameRef::from_buffer_ref_readable(s.buffer().unwrap(), &info).unwrap();
        let stride = frame.plane_stride()[0] as usize;
        let data = frame.plane_data(0).unwrap();
        let mut n = 0;
        for y in 0..cue.banner.h as usize {
            for x in 0..176 {
                let p = &data[y * stride + x * 3..y * stride + x * 3 + 3];
                if colour(p) {
                    n += 1;
                }
            }
        }
        n
    };
    let amber: fn(&[u8]) -> bool = |p| p[0] > 180 && p[1] > 90 && p[1] < 170 && p[2] < 80;
    let red: fn(&[u8]) -> bool = |p| p[0] > 150 && p[1] < 70 && p[2] < 70;
    let area = 176 * cue.banner.h as usize;
    // Before the first window closes (t < 1 s): no banner.
    assert_eq!(count(&samples[10], amber) + count(&samples[10], red), 0);
    // Reminded (1..2 s): amber banner across the top.
    let reminded = count(&samples[45], amber);
    assert!(reminded > area / 3, "amber banner pixels {reminded}");
    // Alerted (from 2 s): the banner turns red.
    let alerted = count(&samples[100], red);
    assert!(alerted > area / 3, "red banner pixels {alerted}");
    assert_eq!(count(&samples[100], amber), 0);
}

#[test]
fn presenter_survives_a_broker_restart_and_keeps_receiving() {
    let broker = Broker::start();
    let port = broker.port;
    let url = broker.url("course/9/attention");
    common::init();
    let presenter = gst::parse::launch(&format!(
        "videotestsrc is-live=true pattern=black ! video/x-raw,format=NV12,width=640,height=360,framerate=10/1 \
         ! attentionoverlay subscribe={url} ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink max-buffers=2 drop=true"
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = presenter
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    presenter.set_state(gst::State::Playing).unwrap();
    let bus = presenter.bus().unwrap();
    let wait_for = |name: &str, secs: u64| {
        bus.iter_timed(gst::ClockTime::from_seconds(secs))
            .any(|m| match m.view() {
                gst::MessageView::Element(e) => e.structure().unwrap().name() == name,
                gst::MessageView::Warning(w) => {
                    name == "warning" && w.error().to_string().contains("cannot reach")
                }
                gst::MessageView::Error(e) => panic!("presenter: {}", e.error()),
                _ => false,
            })
    };
    assert!(wait_for("attentionoverlay-subscribed", 10));
    drop(broker);
    assert!(
        wait_for("warning", 15),
        "no warning when the broker went away"
    );
    // Frames keep flowing while the broker is down.
    let before = Instant::now();
    let mut frames = 0;
    while before.elapsed() < Duration::from_millis(800) {
        if sink
            .try_pull_sample(gst::ClockTime::from_mseconds(100))
            .is_some()
        {
            frames += 1;
        }
    }
    assert!(
        frames >= 4,
        "{frames} frames in 0.8 s while the broker is down"
    );
    let _broker = Broker::start_on(port);
    assert!(
        wait_for("attentionoverlay-subscribed", 15),
        "no resubscription after the restart"
    );
    // A viewer publishing now is seen: its alert is drawn.
    let out = run(
        &format!(
            "{} ! {DETECT} ! attentionmeter viewer-id=late window=1 sample-rate=5 yaw-range=80,90 publish={url} ! appsink name=sink",
            common::carphone_source()
        ),
        |_| {},
    );
    assert_eq!(out.error, None);
    std::thread::sleep(Duration::from_millis(500));
    let mut last = None;
    let deadline = Instant::now() + Duration::from_millis(400);
    while Instant::now() < deadline {
        if let Some(s) = sink.try_pull_sample(gst::ClockTime::from_mseconds(50)) {
            last = Some(s);
        }
    }
    presenter.set_state(gst::State::Null).unwrap();
    let red = red_pixels(&last.unwrap(), OverlayLayout::new(640, 360).alerts);
    assert!(red > 30, "alert after the restart not drawn ({red})");
}

#[test]
fn overlay_handles_tiny_and_odd_frame_sizes() {
    let alert = AttentionEvent::Alert(gstfacekit::WindowReport {
        viewer_id: "x".into(),
        course: "c".into(),
        lesson_index: 0,
        window_index: 1,
        window_start: S,
        window_end: 2 * S,
        unix_start_ms: 1_763_760_001_000,
        unix_end_ms: 1_763_760_002_000,
        sampled: 5,
        gaze: 0,
        attention: 0.0,
        threshold: 0.5,
        low_at_threshold: false,
        state: "alerted".into(),
        complete: true,
    })
    .to_json();
    for (format, w, h) in [
        ("I420", 16, 16),
        ("I420", 641, 361),
        ("NV12", 34, 18),
        ("RGBA", 1, 1),
    ] {
        let s = overlay_frame(format, w, h, std::slice::from_ref(&alert));
        let info = gst_video::VideoInfo::from_caps(s.caps().unwrap()).unwrap();
        assert_eq!((info.width(), info.height()), (w, h));
    }
}

#[test]
fn lesson_length_and_single_stage_on_the_real_element() {
    let history = tmp("lessons.jsonl");
    let out = run(
        &format!(
            "{} ! {DETECT} ! attentionmeter viewer-id=solo window=1 sample-rate=5 yaw-range=80,90 \
             lesson-length=2 single-stage=true history-location={} ! appsink name=sink",
            common::carphone_source(),
            history.display()
        ),
        |_| {},
    );
    assert_eq!(out.error, None);
    // Never looking: single stage alerts on the first low window, no reminder ever.
    let seq = sequence(&out);
    assert_eq!(seq.first(), Some(&("attention-alert".to_string(), 0)));
    assert!(
        seq.iter().all(|(n, _)| n != "attention-reminder"),
        "{seq:?}"
    );
    // Lessons of 2 s: each closes with its final statistics of 2 windows.
    let finals: Vec<(u32, u32)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            AttentionEvent::Stats(s) if s.is_final => Some((s.lesson_index, s.lesson.windows)),
            _ => None,
        })
        .collect();
    assert!(finals.len() >= 2, "{finals:?}");
    assert_eq!(&finals[..2], &[(0, 2), (1, 2)]);
    let lessons = std::fs::read_to_string(&history).unwrap();
    assert_eq!(lessons.lines().count(), finals.len(), "{lessons}");
}

/// The scripted class of issue 13: anna attends, ben looks away from minute 2 and leaves
/// after minute 3, cleo joins 7 s late and looks away throughout (60 s windows).
/// Window `i` (`len_s` long, `sampled` frames) of viewer `id` in course "c", who joined
/// `join_s` after `t0_ms` on the wall clock; threshold 50%.
fn window_report(
    t0_ms: u64,
    id: &str,
    join_s: u64,
    i: u64,
    len_s: u64,
    sampled: u32,
    attention: f64,
) -> gstfacekit::WindowReport {
    gstfacekit::WindowReport {
        viewer_id: id.into(),
        course: "c".into(),
        lesson_index: 0,
        window_index: i,
        window_start: i * len_s * S,
        window_end: (i + 1) * len_s * S,
        unix_start_ms: t0_ms + (join_s + i * len_s) * 1000,
        unix_end_ms: t0_ms + (join_s + (i + 1) * len_s) * 1000,
        sampled,
        gaze: (attention * sampled as f64) as u32,
        attention,
        threshold: 0.5,
        low_at_threshold: false,
        state: "not-reminded".into(),
        complete: true,
    }
}

fn scripted_class(t0_ms: u64) -> Vec<String> {
    let window = |id: &str, join: u64, i: u64, attention: f64| {
        window_report(t0_ms, id, join, i, 60, 60, attention)
    };
    let mut out = Vec::new();
    let script: [(&str, u64, &[f64]); 3] = [
        ("anna", 0, &[1.0, 1.0, 1.0, 1.0]),
        ("ben", 0, &[1.0, 0.0, 0.0]),
        ("cleo", 7, &[0.0, 0.0, 0.0, 0.0]),
    ];
    for i in 0..4 {
        for (id, join, values) in &script {
            if let Some(a) = values.get(i) {
                let r = window(id, *join, i as u64, *a);
                out.push(AttentionEvent::Attention(r.clone()).to_json());
                if *a < 0.5 && i >= 1 {
                    out.push(AttentionEvent::Alert(r).to_json());
                }
            }
        }
        if i == 2 {
            // ben's meter stops: its final statistics.
            let stats = gstfacekit::StatsReport {
                viewer_id: "ben".into(),
                course: "c".into(),
                lesson_index: 0,
                interval_index: 2,
                interval_start: 120 * S,
                interval_end: 180 * S,
                values: vec![0.0],
                interval: gstfacekit::summarize(&[0.0], gstfacekit::Threshold::new(0.5)),
                lesson: gstfacekit::summarize(&[1.0, 0.0, 0.0], gstfacekit::Threshold::new(0.5)),
                is_final: true,
            };
            out.push(AttentionEvent::Stats(stats).to_json());
        }
    }
    out
}

#[test]
fn report_and_document_place_a_late_joiner_and_a_leaver_on_the_lesson_clock() {
    use gstfacekit::LessonDocument;
    common::init();
    let report = tmp("clock-report.svg");
    let _ = std::fs::remove_file(report.with_extension("json"));
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=2 ! video/x-raw,width=320,height=180 \
         ! attentionoverlay name=o report-location={} ! fakesink",
        report.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let overlay = pipeline.by_name("o").unwrap();
    let t0 = 1_764_000_000_000;
    for m in scripted_class(t0) {
        assert!(overlay.emit_by_name::<bool>("push-json", &[&m]), "{m}");
    }
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    let mut document = None;
    for m in bus.iter_timed(gst::ClockTime::from_seconds(20)) {
        match m.view() {
            gst::MessageView::Element(e)
                if e.structure().unwrap().name() == "attentionoverlay-report" =>
            {
                document = e.structure().unwrap().get::<String>("document").ok();
            }
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => panic!("{}", e.error()),
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    let document = document.expect("report message with the document's location");
    assert_eq!(Path::new(&document), report.with_extension("json"));
    let doc = LessonDocument::from_json(&std::fs::read_to_string(&document).unwrap()).unwrap();
    // The class fell (67% → 33%), it did not "improve"; after ben left, anna and cleo.
    let curve: Vec<(f64, f64)> = doc
        .class
        .curve
        .iter()
        .map(|(t, a)| (*t, (a * 1000.0).round() / 1000.0))
        .collect();
    assert_eq!(
        curve,
        vec![(60.0, 0.667), (120.0, 0.333), (180.0, 0.333), (240.0, 0.5)]
    );
    let cleo = doc.viewers.iter().find(|v| v.viewer_id == "cleo").unwrap();
    assert_eq!(cleo.curve[0], (67.0, 0.0), "the late joiner is drawn late");
    assert_eq!(cleo.distribution.low_share, Some(1.0));
    assert_eq!(cleo.alerts, 3);
    let ben = doc.viewers.iter().find(|v| v.viewer_id == "ben").unwrap();
    assert!(!ben.present);
    assert_eq!(ben.distribution.histogram[0], 2);
    assert_eq!(doc.class.alerts, 5);
    assert_eq!(doc.class.distribution.windows, 11);
    assert!((doc.class.distribution.low_share.unwrap() - 6.0 / 11.0).abs() < 1e-9);
    assert_eq!(doc.date, "2025-11-24T16:00:00Z");
    let svg = std::fs::read_to_string(&report).unwrap();
    assert!(
        svg.contains("2025-11-24 16:00:00 UTC"),
        "date in the report"
    );
    assert_eq!(svg.matches("class=\"marker alert\"").count(), 5);
    assert!(svg.contains("cleo · mean 0% · 3 alerts"));
    if std::env::var_os("FACEKIT_DUMP").is_some() {
        std::fs::copy(&report, "/tmp/attention-report.svg").unwrap();
    }
}

#[test]
fn composition_mode_keeps_the_panel_out_of_the_frames_and_a_renderer_shows_it() {
    let messages: Vec<String> = scripted_class(1_764_000_000_000);
    let frame = |mode: &str| {
        common::init();
        let pipeline = gst::parse::launch(&format!(
            "videotestsrc pattern=smpte num-buffers=3 ! video/x-raw,format=RGB,width=640,height=360 \
             ! attentionoverlay name=o mode={mode} ! appsink name=sink"
        ))
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
        let overlay = pipeline.by_name("o").unwrap();
        for m in &messages {
            assert!(overlay.emit_by_name::<bool>("push-json", &[m]));
        }
        let sink = pipeline
            .by_name("sink")
            .unwrap()
            .downcast::<gst_app::AppSink>()
            .unwrap();
        pipeline.set_state(gst::State::Playing).unwrap();
        let mut last = None;
        while let Ok(s) = sink.pull_sample() {
            last = Some(s);
        }
        pipeline.set_state(gst::State::Null).unwrap();
        last.unwrap()
    };
    let plain = {
        let samples = common::pull_all(
            "videotestsrc pattern=smpte num-buffers=1 ! video/x-raw,format=RGB,width=640,height=360 ! appsink name=sink",
        );
        samples.into_iter().next().unwrap()
    };
    let layout = OverlayLayout::new(640, 360);
    let burned = frame("burn");
    let meta = frame("composition");
    let bytes = |s: &gst::Sample| {
        s.buffer()
            .unwrap()
            .map_readable()
            .unwrap()
            .as_slice()
            .to_vec()
    };
    // The frames themselves stay clean: byte for byte the source where the panel would be
    // (above smpte's noise patch, which differs from run to run).
    let panel_rows = |s: &gst::Sample| {
        let b = bytes(s);
        b[..((layout.panel.y + layout.panel.h) as usize).min(240) * 640 * 3].to_vec()
    };
    assert!(
        panel_rows(&meta) == panel_rows(&plain),
        "composition mode changed pixels"
    );
    assert!(panel_rows(&burned) != panel_rows(&plain));
    assert!(red_pixels(&burned, layout.alerts) > 40);
    // The panel travels as meta; blending it (what a rendering sink does) shows it.
    let buffer = meta.buffer().unwrap();
    let composition = buffer
        .meta::<gst_video::VideoOverlayCompositionMeta>()
        .expect("overlay composition meta")
        .overlay_owned();
    assert_eq!(composition.n_rectangles(), 1);
    let (x, y, w, h) = composition.rectangle(0).unwrap().render_rectangle();
    assert_eq!(
        (x, y, w, h),
        (
            layout.panel.x as i32,
            layout.panel.y as i32,
            layout.panel.w.ceil() as u32,
            layout.panel.h.ceil() as u32
        )
    );
    let info = gst_video::VideoInfo::from_caps(meta.caps().unwrap()).unwrap();
    let mut rendered = buffer.copy_deep().unwrap();
    {
        let mut f =
            gst_video::VideoFrameRef::from_buffer_ref_writable(rendered.get_mut().unwrap(), &info)
                .unwrap();
        composition.blend(&mut f).unwrap();
    }
    let rendered = gst::Sample::builder()
        .buffer(&rendered)
        .caps(&meta.caps().unwrap().to_owned())
        .build();
    let red = red_pixels(&rendered, layout.alerts);
    assert!(red > 40, "rendered composition: {red} red pixels");
    // The rendered panel matches the burned one closely (same drawing, blended by GStreamer).
    let (a, b) = (panel_rows(&rendered), panel_rows(&burned));
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum::<u64>() as f64
        / a.len() as f64;
    assert!(diff < 2.0, "mean difference {diff}");
    if std::env::var_os("FACEKIT_DUMP").is_some() {
        dump_png(&burned, "/tmp/overlay-burn.png");
        dump_png(&rendered, "/tmp/overlay-composition.png");
    }
}

#[test]
fn the_presenter_closes_a_lesson_at_lesson_length_and_starts_the_next() {
    use gstfacekit::LessonDocument;
    common::init();
    let report = tmp("rollover.svg");
    let history = tmp("rollover.jsonl");
    let first = tmp("rollover-1.json");
    let _ = std::fs::remove_file(&first);
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=2 ! video/x-raw,width=320,height=180 \
         ! attentionoverlay name=o lesson-length=120 report-location={} history-location={} ! fakesink",
        report.display(),
        history.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let overlay = pipeline.by_name("o").unwrap();
    // Start the element (READY → PAUSED) before the messages, as a live presenter would.
    pipeline.set_state(gst::State::Paused).unwrap();
    for m in scripted_class(1_764_000_000_000) {
        assert!(overlay.emit_by_name::<bool>("push-json", &[&m]));
    }
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(20),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    pipeline.set_state(gst::State::Null).unwrap();
    // Lesson 1 = minutes 0-2, closed when minute 3's windows arrived.
    let lesson1 = LessonDocument::from_json(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let round = |c: &[(f64, f64)]| -> Vec<(f64, f64)> {
        c.iter()
            .map(|(t, a)| (*t, (a * 1000.0).round() / 1000.0))
            .collect()
    };
    assert_eq!(
        round(&lesson1.class.curve),
        vec![(60.0, 0.667), (120.0, 0.333)]
    );
    assert_eq!(lesson1.class.distribution.windows, 6);
    // The current lesson (written at EOS) starts at minute 2 on its own clock, with lesson 1's
    // class curve behind it as history.
    let current =
        LessonDocument::from_json(&std::fs::read_to_string(report.with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(current.lesson_start_ms, 1_764_000_000_000 + 120_000);
    assert_eq!(
        round(&current.class.curve),
        vec![(60.0, 0.333), (120.0, 0.5)]
    );
    assert_eq!(round(&current.history), vec![(60.0, 0.667), (120.0, 0.333)]);
    let records = std::fs::read_to_string(&history).unwrap();
    assert_eq!(records.lines().count(), 2, "{records}");
}

#[test]
fn the_presenters_clock_closes_a_lesson_after_the_viewers_went_quiet() {
    // Two 1 s windows that end now, in a 2 s lesson: no later window will come, yet the
    // panel must not show the finished lesson until EOS. One window length after its end the
    // presenter's clock closes it: its report appears while the presenter keeps recording.
    use gstfacekit::LessonDocument;
    common::init();
    let report = tmp("clock.svg");
    let first = tmp("clock-1.json");
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=180,framerate=10/1 \
         ! attentionoverlay name=o lesson-length=2 report-location={} ! fakesink",
        report.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let overlay = pipeline.by_name("o").unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    for i in 0..2u64 {
        let r = window_report(now - 2000, "anna", 0, i, 1, 10, 1.0 - 0.5 * i as f64);
        assert!(
            overlay.emit_by_name::<bool>("push-json", &[&AttentionEvent::Attention(r).to_json()])
        );
    }
    let waited = std::time::Instant::now();
    while !first.exists() && waited.elapsed() < Duration::from_secs(6) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let closed_after = waited.elapsed();
    pipeline.set_state(gst::State::Null).unwrap();
    let lesson1 = LessonDocument::from_json(&std::fs::read_to_string(&first).unwrap_or_default())
        .unwrap_or_else(|e| panic!("lesson 1 not closed by the clock within 6 s: {e}"));
    assert!(
        closed_after >= Duration::from_millis(700),
        "closed before a window length had passed after the lesson's end ({closed_after:?})"
    );
    assert_eq!(lesson1.lesson_start_ms, now - 2000);
    assert_eq!(lesson1.class.curve.len(), 2, "{:?}", lesson1.class.curve);
}

#[test]
fn an_unsure_pose_counts_as_not_looking() {
    // Frames carrying a frontal face as facedetect writes it (through the public meta
    // writer): sure for the first second, then unsure (FaceMesh presence 0.05: a face the
    // detector found but the mesh could not read, whose angles can read 50-90 deg off).
    // The unsure second counts as not looking, not as a gaze and not as "no frame".
    use gstfacekit::{AnalysisStatus, BoundingBox, Face, FrameMarker, HeadPose};
    let (w, h, fps) = (64usize, 48usize, 10u64);
    let desc = format!(
        "appsrc name=src format=time caps=video/x-raw,format=RGB,width={w},height={h},framerate={fps}/1 \
         ! attentionmeter viewer-id=v window=1 sample-rate=5 ! appsink name=sink"
    );
    let out = run(&desc, |p| {
        let src = p
            .by_name("src")
            .unwrap()
            .downcast::<gst_app::AppSrc>()
            .unwrap();
        for i in 0..2 * fps {
            let mut buf = gst::Buffer::from_mut_slice(vec![128u8; w * h * 3]);
            let b = buf.get_mut().unwrap();
            b.set_pts(gst::ClockTime::from_nseconds(i * S / fps));
            b.set_duration(gst::ClockTime::from_nseconds(S / fps));
            let face = Face {
                track_id: 1,
                bbox: BoundingBox::new(16.0, 8.0, 32.0, 32.0),
                confidence: 0.9,
                detector: "blazeface-full".into(),
                tracked: false,
                age: i as u32,
                landmarks: None,
                head_pose: Some(HeadPose {
                    confidence: if i < fps { 0.95 } else { 0.05 },
                    ..HeadPose::default()
                }),
                params: Vec::new(),
            };
            let marker = FrameMarker {
                status: AnalysisStatus::Detected,
                faces: 1,
                detector: "blazeface-full".into(),
                error: None,
                dropped: 0,
            };
            gstfacekit::meta::write_frame(b, &marker, &[face], (w as u32, h as u32));
            src.push_buffer(buf).unwrap();
        }
        src.end_of_stream().unwrap();
    });
    assert_eq!(out.error, None);
    assert_eq!(
        windows(&out),
        vec![(0, 5, 5, 1.0, true), (1, 5, 0, 0.0, true)]
    );
}
