//! `facecrop` on real media: crop geometry and smoothing, dropping no-face frames, the camera
//! table from a file and from a real local HTTP service, metadata in crop coordinates,
//! renegotiation while playing, and the face-upload pipeline script.

mod common;

use common::plugin_dir;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacekit::BoundingBox;
use gstfacekit::FaceCropMessage;
use gstfacekit::FaceDetectMessage;

const TABLE: &str = r#"{"cameras": [
    {"type": "A100", "width": 60, "height": 60},
    {"type": "B200", "width": 96, "height": 128},
    {"max-width": 400, "width": 100, "height": 100},
    {"min-width": 401, "width": 160, "height": 160}
]}"#;

/// carphone decoded and scaled to `w` x `h` in `format`.
fn carphone(w: u32, h: u32, format: &str) -> String {
    format!(
        "{} ! videoconvert ! videoscale ! video/x-raw,format={format},width={w},height={h}",
        common::carphone_source()
    )
}

fn caps_size(sample: &gst::Sample) -> (u32, u32) {
    let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
    (info.width(), info.height())
}

fn crop_messages(messages: &[gst::Structure]) -> Vec<FaceCropMessage> {
    messages
        .iter()
        .filter(|s| s.name() == "facecrop")
        .map(|s| FaceCropMessage::try_from(s.as_ref()).unwrap())
        .collect()
}

/// The largest face of each facedetect message, by timestamp.
fn detected_faces(messages: &[gst::Structure]) -> Vec<(gst::ClockTime, BoundingBox)> {
    messages
        .iter()
        .filter(|s| s.name() == "facedetect")
        .filter_map(|s| {
            let m = FaceDetectMessage::try_from(s.as_ref()).unwrap();
            let f = m.faces.iter().max_by_key(|f| f.width * f.height)?;
            Some((
                m.timestamp?,
                BoundingBox::new(f.x as f32, f.y as f32, f.width as f32, f.height as f32),
            ))
        })
        .collect()
}

/// Centre path of the crop windows: (largest face-to-window-centre offset away from the frame
/// edges, largest step, total path length).
fn window_path(
    crops: &[FaceCropMessage],
    faces: &[(gst::ClockTime, BoundingBox)],
    frame: (u32, u32),
) -> (f32, f32, f32) {
    let frame = gstfacekit::Size::new(frame.0, frame.1);
    let (mut worst, mut max_step, mut path) = (0f32, 0f32, 0f32);
    let mut prev: Option<(f32, f32)> = None;
    for c in crops.iter().filter(|c| c.kept) {
        let (x, y, w, h) = c.window.unwrap();
        let win = gstfacekit::CropWindow {
            x,
            y,
            width: w,
            height: h,
        };
        let centre = win.center();
        let face = faces
            .iter()
            .find(|(t, _)| Some(*t) == c.timestamp)
            .expect("facedetect message for each kept frame")
            .1
            .center();
        if !win.touches_edge(frame) {
            worst = worst
                .max((face.0 - centre.0).abs())
                .max((face.1 - centre.1).abs());
        }
        if let Some(p) = prev {
            let step = ((centre.0 - p.0).powi(2) + (centre.1 - p.1).powi(2)).sqrt();
            max_step = max_step.max(step);
            path += step;
        }
        prev = Some(centre);
    }
    (worst, max_step, path)
}

#[test]
fn carphone_crops_are_target_sized_centred_and_smooth() {
    let run = |smoothing: f64| {
        common::run_collect(&format!(
            "{} ! facedetect landmarks=false ! facecrop size=160x160 fit=crop max-lag=0.5 smoothing={smoothing} ! appsink name=sink",
            carphone(640, 480, "I420")
        ))
    };
    let (samples, messages) = run(0.7);
    assert_eq!(samples.len(), 120, "carphone has a face in every frame");
    for s in &samples {
        assert_eq!(caps_size(s), (160, 160));
        assert!(s.buffer().unwrap().size() >= 160 * 160 * 3 / 2);
    }
    let crops = crop_messages(&messages);
    assert_eq!(crops.len(), 120);
    assert!(crops.iter().all(|c| c.kept && c.target_width == 160));
    let faces = detected_faces(&messages);
    let (worst, max_step, path) = window_path(&crops, &faces, (640, 480));
    // max-lag 0.5, at most 1 px from the even offset I420 needs, 0.5 from the message's whole-pixel box.
    assert!(worst <= 2.0, "face centre {worst} px off the crop centre");
    assert!(
        max_step <= 12.0,
        "crop centre jumped {max_step} px between frames"
    );

    let (_, raw_messages) = run(0.0);
    let (raw_worst, _, raw_path) = window_path(
        &crop_messages(&raw_messages),
        &detected_faces(&raw_messages),
        (640, 480),
    );
    assert!(raw_worst <= 1.5, "unsmoothed crop is {raw_worst} px off");
    assert!(
        path < raw_path * 0.9,
        "smoothing should shorten the crop's path: {path} vs {raw_path} unsmoothed"
    );
    eprintln!(
        "carphone 640x480 -> 160x160: worst offset {worst:.1} px, largest step {max_step:.1} px, path {path:.0} px (unsmoothed {raw_path:.0} px)"
    );
}

/// Pushes RGB frames (w, h, tightly packed) with 40 ms timestamps through `pipeline`
/// (`appsrc name=src ! ... ! appsink name=sink`); returns samples and element messages.
fn run_frames(
    frames: &[&(usize, usize, Vec<u8>)],
    pipeline: &str,
) -> (Vec<gst::Sample>, Vec<gst::Structure>) {
    let (w, h) = (frames[0].0, frames[0].1);
    let caps = gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, w as u32, h as u32)
        .fps(gst::Fraction::new(25, 1))
        .build()
        .unwrap()
        .to_caps()
        .unwrap();
    let buffers = frames.iter().enumerate().map(|(i, (_, _, data))| {
        let mut buf = common::rgb_buffer(w, h, data);
        {
            let b = buf.get_mut().unwrap();
            b.set_pts(gst::ClockTime::from_mseconds(40 * i as u64));
            b.set_duration(gst::ClockTime::from_mseconds(40));
        }
        buf
    });
    let out = common::push_buffers(pipeline, &caps, buffers);
    if let Some(e) = out.error {
        panic!("pipeline error: {e}");
    }
    (out.samples, out.messages)
}

#[test]
fn exactly_the_face_frames_come_out_with_their_timestamps() {
    let clip = common::rgb_frames(&carphone(352, 288, "I420"));
    let blank = (352usize, 288usize, vec![40u8; 352 * 288 * 3]);
    // Known layout: f = carphone frame, . = blank frame.
    let layout = "fffff.....fff..f.ff....f";
    let frames: Vec<&(usize, usize, Vec<u8>)> = layout
        .chars()
        .enumerate()
        .map(|(i, c)| if c == 'f' { &clip[i] } else { &blank })
        .collect();
    let expected: Vec<u64> = layout
        .char_indices()
        .filter(|(_, c)| *c == 'f')
        .map(|(i, _)| 40 * i as u64)
        .collect();
    let pipeline = |extra: &str| {
        format!(
            "appsrc name=src ! facedetect landmarks=false hold-frames=0 ! facecrop size=120x120 {extra} ! appsink name=sink"
        )
    };
    let (samples, messages) = run_frames(&frames, &pipeline(""));
    let pts: Vec<u64> = samples
        .iter()
        .map(|s| s.buffer().unwrap().pts().unwrap().mseconds())
        .collect();
    assert_eq!(
        pts, expected,
        "kept frames (ms) differ from the face frames"
    );
    assert!(samples.iter().all(|s| caps_size(s) == (120, 120)));
    for s in &samples {
        assert_eq!(
            s.buffer().unwrap().duration(),
            Some(gst::ClockTime::from_mseconds(40))
        );
    }
    let crops = crop_messages(&messages);
    let last = crops.last().unwrap();
    assert_eq!(
        (last.frames_in, last.frames_out, last.frames_without_face),
        (24, expected.len() as u64, 24 - expected.len() as u64)
    );
    assert_eq!(
        crops.iter().filter(|c| !c.kept).count(),
        24 - expected.len()
    );

    // keep-no-face: every frame comes out, still at the target size.
    let (all, _) = run_frames(&frames, &pipeline("keep-no-face=true"));
    assert_eq!(all.len(), 24);
    assert!(all.iter().all(|s| caps_size(s) == (120, 120)));
}

/// A small HTTP server on 127.0.0.1 (python3) serving the camera table at /table.json, a
/// malformed one at /broken.json, a slow one at /slow.json and 404 elsewhere; it logs each
/// request path with its query.
struct ConfigServer {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

const SERVER: &str = r#"
import http.server, sys, time
TABLE = sys.argv[1].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("REQ " + self.path, flush=True)
        path = self.path.split("?")[0]
        if path == "/slow.json":
            time.sleep(3)
        body = {"/table.json": TABLE, "/slow.json": TABLE, "/broken.json": b'{"cameras": [{"type": "A100", "width": 60'}.get(path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("PORT %d" % s.server_address[1], flush=True)
s.serve_forever()
"#;

impl ConfigServer {
    fn start() -> Self {
        let mut child = Command::new("python3")
            .args(["-c", SERVER, TABLE])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 for the config server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let port = first.strip_prefix("PORT ").unwrap().parse().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let l2 = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(p) = line.strip_prefix("REQ ") {
                    l2.lock().unwrap().push(p.to_string());
                }
            }
        });
        Self { child, port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for ConfigServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Crops the astronaut (one face, 512x512) with `props`; returns the output size and the size
/// source reported.
fn astronaut_crop(props: &str) -> ((u32, u32), gstfacekit::SizeSource) {
    let (samples, messages) = common::run_collect(&format!(
        "{} ! videoconvert ! facedetect landmarks=false ! facecrop {props} ! appsink name=sink",
        common::astronaut_source()
    ));
    assert_eq!(samples.len(), 1);
    let first = &crop_messages(&messages)[0];
    // A file source is no capture device: the model is the property's or none.
    let expected = if props.contains("camera-model=") {
        "property"
    } else {
        "none"
    };
    assert_eq!(first.camera_model_source, expected, "{props}");
    assert_eq!(first.camera_device, None);
    (caps_size(&samples[0]), first.size_source)
}

fn start_error(props: &str) -> String {
    common::first_error(&format!(
        "videotestsrc num-buffers=2 ! facecrop {props} ! fakesink"
    ))
    .unwrap_or_else(|| panic!("facecrop {props} started without error"))
}

#[test]
fn camera_table_from_file_and_http_service() {
    use gstfacekit::SizeSource;
    let file = std::env::temp_dir().join(format!("facecrop-table-{}.json", std::process::id()));
    std::fs::write(&file, TABLE).unwrap();
    let f = file.display();
    assert_eq!(
        astronaut_crop(&format!("config-location={f} camera-model=A100")),
        ((60, 60), SizeSource::CameraModel)
    );
    // No model: the capture-resolution rule (512 wide: min-width 401) decides.
    assert_eq!(
        astronaut_crop(&format!("config-location={f}")),
        ((160, 160), SizeSource::Resolution)
    );
    // size wins over the table.
    assert_eq!(
        astronaut_crop(&format!("config-location={f} camera-model=A100 size=64x48")),
        ((64, 48), SizeSource::Property)
    );
    let e = start_error(&format!("config-location={f} camera-model=Z9"));
    assert!(
        e.contains("camera model 'Z9' is not in the camera table (models: A100, B200)"),
        "{e}"
    );
    assert!(
        start_error("config-location=/nonexistent/table.json")
            .contains("cannot read camera table file")
    );
    std::fs::remove_file(&file).unwrap();

    let server = ConfigServer::start();
    assert_eq!(
        astronaut_crop(&format!(
            "config-location={} camera-model=B200",
            server.url("/table.json")
        )),
        ((96, 128), SizeSource::CameraModel)
    );
    assert!(
        server
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|p| p == "/table.json?model=B200"),
        "config request did not name the camera model: {:?}",
        server.log.lock().unwrap()
    );
    let e = start_error(&format!(
        "config-location={} camera-model=Z9",
        server.url("/table.json")
    ));
    assert!(
        e.contains("camera model 'Z9' is not in the camera table"),
        "{e}"
    );
    let e = start_error(&format!(
        "config-location={} camera-model=A100",
        server.url("/broken.json")
    ));
    assert!(
        e.contains("malformed camera table from http://127.0.0.1"),
        "{e}"
    );
    let e = start_error(&format!(
        "config-location={} camera-model=A100",
        server.url("/nope.json")
    ));
    assert!(e.contains("answered HTTP 404"), "{e}");
    let started = std::time::Instant::now();
    let e = start_error(&format!(
        "config-location={} camera-model=A100 config-timeout=500",
        server.url("/slow.json")
    ));
    assert!(e.contains("did not answer within 500 ms"), "{e}");
    assert!(
        started.elapsed().as_secs_f32() < 2.5,
        "timeout not honoured"
    );
    // An unreachable service with fallback-size: the fallback is used, with a warning.
    drop(server);
    assert_eq!(
        astronaut_crop(
            "config-location=http://127.0.0.1:9/t.json camera-model=A100 fallback-size=72x72"
        ),
        ((72, 72), SizeSource::Fallback)
    );
    let e = start_error("config-location=https://127.0.0.1:9/t.json camera-model=A100");
    assert!(e.contains("https is not supported"), "{e}");
}

#[test]
fn bad_settings_and_missing_metadata_are_clear_errors() {
    assert!(start_error("size=big").contains("size 'big' is not WIDTHxHEIGHT"));
    assert!(start_error("").contains("no target size"));
    let e = start_error("size=60x60");
    assert!(e.contains("facedetect never analysed it"), "{e}");
    let e = common::first_error(&format!(
        "{} ! videoconvert ! facedetect landmarks=false ! facecrop size=600x600 fit=crop ! fakesink",
        common::astronaut_source()
    ))
    .unwrap();
    assert!(e.contains("larger than the 512x512 input"), "{e}");
}

#[test]
fn output_metadata_matches_the_face_in_the_crop() {
    let (samples, _) = common::run_collect(&format!(
        "{} ! facedetect ! facecrop size=200x200 ! appsink name=sink",
        carphone(352, 288, "RGB")
    ));
    assert_eq!(samples.len(), 120);
    // Every 10th crop: what facecrop says vs a fresh detection on the cropped pixels.
    let picked: Vec<&gst::Sample> = samples.iter().step_by(10).collect();
    let frames: Vec<_> = picked.iter().map(|s| common::rgb_of(s)).collect();
    let redetected = common::detect_rgb(&frames, &[("interval", "1")]);
    for (sample, fresh) in picked.iter().zip(&redetected) {
        let carried = gstfacekit::read_frame(sample.buffer().unwrap()).unwrap();
        assert_eq!(carried.marker.as_ref().unwrap().faces, 1);
        let ours = carried.largest().expect("face metadata on the crop");
        let theirs = fresh.largest().expect("a face in the crop");
        let iou = ours.bbox.iou(&theirs.bbox);
        assert!(
            iou > 0.75,
            "box {:?} vs redetected {:?} (IoU {iou})",
            ours.bbox,
            theirs.bbox
        );
        let (a, b) = (
            ours.landmarks.as_ref().unwrap().to_pixels(&ours.bbox),
            theirs.landmarks.as_ref().unwrap().to_pixels(&theirs.bbox),
        );
        let mean: f32 = a
            .iter()
            .zip(&b)
            .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
            .sum::<f32>()
            / a.len() as f32;
        assert!(mean < 4.0, "landmarks {mean} px from the re-detected mesh");
    }

    // The default, fit=scale, on the larger frame: the whole face, with the default margin of
    // half its size on each side, is scaled into 60x60 (a 220 px face: nothing is cut), and
    // each face says by how much (the `crop` param: source pixels per crop pixel).
    let (scaled, messages) = common::run_collect(&format!(
        "{} ! facedetect landmarks=false ! facecrop size=60x60 ! appsink name=sink",
        carphone(640, 480, "I420")
    ));
    assert_eq!(scaled.len(), 120);
    let windows: Vec<_> = crop_messages(&messages)
        .iter()
        .map(|m| m.window.unwrap())
        .collect();
    for (s, window) in scaled.iter().zip(&windows) {
        assert_eq!(caps_size(s), (60, 60));
        let face = gstfacekit::read_frame(s.buffer().unwrap())
            .unwrap()
            .faces
            .remove(0);
        let b = face.bbox;
        // Face box = region / (1 + 2 * 0.5) wide, centred; the smoothed scale may be larger.
        assert!(b.width >= 24.0 && b.width <= 31.0, "{b:?}");
        assert!(b.x >= 10.0 && b.x + b.width <= 50.0, "{b:?}");
        assert!(
            b.y >= 0.0 && b.y + b.height <= 60.0,
            "forehead or chin cut: {b:?}"
        );
        let scale = gstfacekit::source_scale(&face).expect("crop param");
        assert!(
            (scale - window.2 as f64 / 60.0).abs() < 1e-9,
            "{scale} vs {window:?}"
        );
    }
}

#[test]
fn size_change_while_playing_renegotiates() {
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "{} ! facedetect landmarks=false ! facecrop name=crop size=80x80 ! appsink name=sink",
        carphone(640, 480, "NV12")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let crop = pipeline.by_name("crop").unwrap();
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let s2 = sizes.clone();
    common::on_samples(&pipeline, move |sample| {
        let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
        assert!(sample.buffer().unwrap().size() >= info.size());
        s2.lock().unwrap().push((info.width(), info.height()));
    });
    // Change the size from the streaming thread after 40 frames, while PLAYING.
    let counted = Arc::new(Mutex::new(0u32));
    let crop2 = crop.clone();
    crop.static_pad("sink")
        .unwrap()
        .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            let mut n = counted.lock().unwrap();
            *n += 1;
            if *n == 41 {
                crop2.set_property("size", "120x96");
            }
            gst::PadProbeReturn::Ok
        });
    pipeline.set_state(gst::State::Playing).unwrap();
    let posted = common::wait_eos(&pipeline, 60);
    pipeline.set_state(gst::State::Null).unwrap();
    if let Some((e, _)) = posted.error {
        panic!("{e}");
    }
    let sizes = sizes.lock().unwrap();
    assert_eq!(sizes.len(), 120);
    assert!(sizes[..40].iter().all(|s| *s == (80, 80)), "{sizes:?}");
    assert!(sizes[41..].iter().all(|s| *s == (120, 96)), "{sizes:?}");
}

#[test]
fn face_upload_script_sends_crops_over_rtp() {
    let out = std::env::temp_dir().join(format!("facekit-upload-{}.mkv", std::process::id()));
    let result = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/pipelines/face-upload.sh"
        ))
        .arg(&out)
        .env("GST_PLUGIN_PATH", plugin_dir())
        .env("FACE_UPLOAD_SIZE", "96x96")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "script failed: {stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // The server finds the face again in what it received (fit=scale keeps the whole face)
    // and answers the camera: the capture side prints the answer.
    let done = stdout
        .lines()
        .find(|l| l.starts_with("server: DONE upload 1: "))
        .unwrap_or_else(|| panic!("no server summary: {stdout}"));
    let frames: u32 = done
        .split(" bytes, ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no frame count in '{done}'"));
    assert!(frames >= 100, "the server analysed only {frames} frames");
    assert!(done.contains(": 1 persons"), "{done}");
    assert!(
        stdout.contains("faceanswer-person, upload=(guint64)1, person=(uint)0"),
        "no answer printed: {stdout}"
    );
    assert!(
        stdout.contains("facecrop, "),
        "no facecrop message printed: {stdout}"
    );
    // The saving on the wire: RTP bytes of the 96x96 crops against the full 640x480 frames
    // encoded the same way (constant quality); measured 0.08.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("upload: "))
        .unwrap_or_else(|| panic!("no upload line: {stdout}"));
    println!("{line}");
    let ratio: f64 = line
        .rsplit("ratio ")
        .next()
        .and_then(|r| r.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no ratio in '{line}'"));
    assert!(
        ratio > 0.0 && ratio < 0.3,
        "crops cost {ratio} of the full frames on the wire"
    );
    // What the server recorded: the crops, at the target size, most of the 120 frames.
    let samples = common::pull_all(&format!(
        "filesrc location={} ! matroskademux ! h264parse ! avdec_h264 ! appsink name=sink",
        out.display()
    ));
    assert!(
        samples.len() >= 100,
        "only {} frames arrived",
        samples.len()
    );
    assert!(samples.iter().all(|s| caps_size(s) == (96, 96)));
    let _ = std::fs::remove_file(out);
}

/// The visible pixels of every plane, row by row (strides dropped).
fn planes_of(sample: &gst::Sample) -> Vec<Vec<u8>> {
    let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer().unwrap(), &info)
        .unwrap();
    let finfo = info.format_info();
    (0..info.n_planes())
        .map(|p| {
            let data = frame.plane_data(p).unwrap();
            let stride = frame.plane_stride()[p as usize] as usize;
            // Bytes per row: component widths of this plane times pixel strides.
            let comp = (0..finfo.n_components())
                .find(|&c| finfo.plane()[c as usize] == p)
                .unwrap();
            let w = finfo.scale_width(comp as u8, info.width()) as usize
                * finfo.pixel_stride()[comp as usize] as usize;
            let h = finfo.scale_height(comp as u8, info.height()) as usize;
            (0..h)
                .flat_map(|y| data[y * stride..y * stride + w].iter().copied())
                .collect()
        })
        .collect()
}

#[test]
fn crops_are_pixel_exact_against_videocrop() {
    for format in ["I420", "NV12", "RGBx"] {
        // smoothing=1 with an unbounded lag freezes the window at the first face position,
        // so videocrop can cut the same window from every frame.
        let (crops, messages) = common::run_collect(&format!(
            "{} ! facedetect landmarks=false ! facecrop size=150x130 fit=crop smoothing=1 max-lag=10000 ! appsink name=sink",
            carphone(640, 480, format)
        ));
        let (x, y, w, h) = crop_messages(&messages)[0].window.unwrap();
        assert!(
            crop_messages(&messages)
                .iter()
                .all(|m| m.window == Some((x, y, w, h)))
        );
        let reference = common::pull_all(&format!(
            "{} ! videocrop left={x} top={y} right={} bottom={} ! appsink name=sink",
            carphone(640, 480, format),
            640 - x - w,
            480 - y - h
        ));
        assert_eq!(crops.len(), reference.len());
        for (i, (a, b)) in crops.iter().zip(&reference).enumerate() {
            assert_eq!(caps_size(a), (150, 130));
            assert!(
                planes_of(a) == planes_of(b),
                "{format} frame {i}: crop at ({x}, {y}) differs from videocrop"
            );
        }
    }
}
