//! Shared helpers for the integration tests: plugin registration, sample media, pipelines.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gst::prelude::*;
use gst_video::prelude::*;

pub fn init() {
    use std::sync::Once;
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        gst::init().unwrap();
        gstfacekit::plugin_register_static().expect("register facekit");
    });
}

/// The folder holding the freshly built plugin, for scripts run with `GST_PLUGIN_PATH`.
pub fn plugin_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let release = root.join("target/release");
    if release.join("libgstfacekit.so").exists() {
        release
    } else {
        root.join("target/debug")
    }
}

/// A sample file fetched by `scripts/setup.sh`; panics with the fix when it is missing.
pub fn sample(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    assert!(p.is_file(), "{} missing: run scripts/setup.sh", p.display());
    p
}

/// Runs a gst-launch style pipeline ending in `appsink name=sink` and returns every sample.
pub fn pull_all(description: &str) -> Vec<gst::Sample> {
    let (samples, _) = run_collect(description);
    samples
}

/// Hands every sample `appsink name=sink` receives (with sync off) to `each`; nothing when
/// the pipeline has no such sink.
pub fn on_samples(pipeline: &gst::Pipeline, mut each: impl FnMut(gst::Sample) + Send + 'static) {
    let Some(sink) = pipeline.by_name("sink") else {
        return;
    };
    let sink = sink.downcast::<gst_app::AppSink>().unwrap();
    sink.set_property("sync", false);
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                each(sink.pull_sample().map_err(|_| gst::FlowError::Eos)?);
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
}

/// The samples `appsink name=sink` receives, kept.
pub fn keep_samples(pipeline: &gst::Pipeline) -> Arc<Mutex<Vec<gst::Sample>>> {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let kept = samples.clone();
    on_samples(pipeline, move |s| kept.lock().unwrap().push(s));
    samples
}

/// What a pipeline posted on its bus until end of stream, its first error, or a timeout.
#[derive(Debug, Default)]
pub struct Posted {
    /// Element messages, in bus order.
    pub messages: Vec<gst::Structure>,
    /// Warning texts, in bus order.
    pub warnings: Vec<String>,
    /// The first error (it ends the wait): its text and debug string.
    pub error: Option<(String, Option<String>)>,
}

impl Posted {
    /// The error as "text (debug)".
    pub fn error_with_debug(&self) -> Option<String> {
        let (text, debug) = self.error.as_ref()?;
        Some(format!("{text} ({debug:?})"))
    }
}

/// Reads the bus of a started `pipeline` until end of stream or the first error, at most
/// `seconds` long.
pub fn wait_eos(pipeline: &impl IsA<gst::Element>, seconds: u64) -> Posted {
    let bus = pipeline.bus().unwrap();
    let mut out = Posted::default();
    for msg in bus.iter_timed(gst::ClockTime::from_seconds(seconds)) {
        match msg.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(e) => {
                out.error = Some((e.error().to_string(), e.debug().map(|d| d.to_string())));
                break;
            }
            gst::MessageView::Warning(w) => out.warnings.push(w.error().to_string()),
            gst::MessageView::Element(e) => {
                if let Some(s) = e.structure() {
                    out.messages.push(s.to_owned());
                }
            }
            _ => {}
        }
    }
    out
}

/// Runs a pipeline ending in `appsink name=sink`; returns its samples and the bus's element
/// messages, panicking on an error message.
pub fn run_collect(description: &str) -> (Vec<gst::Sample>, Vec<gst::Structure>) {
    init();
    let pipeline = gst::parse::launch(description)
        .unwrap_or_else(|e| panic!("bad pipeline '{description}': {e}"))
        .downcast::<gst::Pipeline>()
        .unwrap();
    let samples = keep_samples(&pipeline);
    pipeline.set_state(gst::State::Playing).unwrap();
    let posted = wait_eos(&pipeline, 120);
    pipeline.set_state(gst::State::Null).unwrap();
    if let Some(e) = posted.error_with_debug() {
        panic!("pipeline error: {e}");
    }
    let samples = std::mem::take(&mut *samples.lock().unwrap());
    (samples, posted.messages)
}

/// Starts a pipeline and returns the first error message text (or `None` on EOS).
pub fn first_error(description: &str) -> Option<String> {
    init();
    let pipeline = gst::parse::launch(description).unwrap();
    let _ = pipeline.set_state(gst::State::Playing);
    let posted = wait_eos(&pipeline, 60);
    pipeline.set_state(gst::State::Null).unwrap();
    posted.error.map(|(text, _)| text)
}

/// A buffer of tightly packed RGB rows (`w` x `h`), rows padded to 4 bytes as GStreamer
/// lays out RGB.
pub fn rgb_buffer(w: usize, h: usize, data: &[u8]) -> gst::Buffer {
    let stride = (w * 3).div_ceil(4) * 4;
    let mut padded = vec![0u8; stride * h];
    for y in 0..h {
        padded[y * stride..y * stride + w * 3].copy_from_slice(&data[y * w * 3..(y + 1) * w * 3]);
    }
    gst::Buffer::from_mut_slice(padded)
}

/// Caps for `w` x `h` RGB at 25 fps.
pub fn rgb_caps(w: usize, h: usize) -> gst::Caps {
    gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, w as u32, h as u32)
        .fps(gst::Fraction::new(25, 1))
        .build()
        .unwrap()
        .to_caps()
        .unwrap()
}

/// An RGB sample's frame as (width, height, bytes with stride = 3 * width).
pub fn rgb_of(sample: &gst::Sample) -> (usize, usize, Vec<u8>) {
    let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer().unwrap(), &info)
        .unwrap();
    let (w, h) = (info.width() as usize, info.height() as usize);
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).unwrap();
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        out.extend_from_slice(&data[y * stride..y * stride + w * 3]);
    }
    (w, h, out)
}

/// The raw RGB frames of a sample, as (width, height, bytes with stride = 3 * width).
pub fn rgb_frames(source: &str) -> Vec<(usize, usize, Vec<u8>)> {
    pull_all(&format!(
        "{source} ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink"
    ))
    .iter()
    .map(rgb_of)
    .collect()
}

pub fn carphone_source() -> String {
    format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264",
        sample("carphone_pristine.mp4").display()
    )
}

pub fn astronaut_source() -> String {
    format!(
        "filesrc location={} ! pngdec ! imagefreeze num-buffers=1",
        sample("astronaut.png").display()
    )
}

/// Pushes RGB frames through a `facedetect` configured by `props` and returns the face
/// metadata of each output buffer.
pub fn detect_rgb(
    frames: &[(usize, usize, Vec<u8>)],
    props: &[(&str, &str)],
) -> Vec<gstfacekit::FrameFaces> {
    init();
    let mut h = gst_check::Harness::new("facedetect");
    {
        let el = h.element().unwrap();
        for (k, v) in props {
            el.set_property_from_str(k, v);
        }
    }
    let mut out = Vec::new();
    let mut current = None;
    for (i, (w, hh, data)) in frames.iter().enumerate() {
        if current != Some((*w, *hh)) {
            let caps =
                gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, *w as u32, *hh as u32)
                    .fps(gst::Fraction::new(30, 1))
                    .build()
                    .unwrap()
                    .to_caps()
                    .unwrap();
            h.set_src_caps(caps);
            current = Some((*w, *hh));
        }
        let mut buf = rgb_buffer(*w, *hh, data);
        buf.get_mut()
            .unwrap()
            .set_pts(gst::ClockTime::from_mseconds(33 * i as u64));
        let result = h.push_and_pull(buf).expect("facedetect output");
        out.push(gstfacekit::read_frame(&result).unwrap());
    }
    out
}

/// Rotates an RGB image about its centre by `degrees` clockwise (as seen), bilinear, black fill.
pub fn rotate_rgb(w: usize, h: usize, data: &[u8], degrees: f64) -> Vec<u8> {
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            // Inverse map: output pixel -> source pixel (rotate back).
            let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
            let sx = c * dx + s * dy + cx - 0.5;
            let sy = -s * dx + c * dy + cy - 0.5;
            if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f64 || sy >= (h - 1) as f64 {
                continue;
            }
            let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
            let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
            for ch in 0..3 {
                let p = |xx: usize, yy: usize| data[(yy * w + xx) * 3 + ch] as f64;
                let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
                let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
                out[(y * w + x) * 3 + ch] = (top * (1.0 - fy) + bottom * fy).round() as u8;
            }
        }
    }
    out
}

pub fn mirror_rgb(w: usize, h: usize, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let (src, dst) = ((y * w + x) * 3, (y * w + (w - 1 - x)) * 3);
            out[dst..dst + 3].copy_from_slice(&data[src..src + 3]);
        }
    }
    out
}

/// The release binary of `examples/NAME/` (a folder example). `cargo test` builds the examples;
/// a test run of one file does not, so say how to build it when it is missing or stale.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join(name);
    let built = std::fs::metadata(&bin).and_then(|m| m.modified());
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let newest_source = std::fs::read_dir(sources)
        .unwrap()
        .flatten()
        // What goes into the binary (Rust sources, included pages), not scripts beside it.
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".rs") || name.ends_with(".html")
        })
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .max()
        .unwrap();
    match built {
        Ok(t) if t >= newest_source => bin,
        _ => panic!(
            "{} missing or older than its sources: cargo build --release --example {name} \
             (a full `cargo test` builds it)",
            bin.display()
        ),
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An X server (Xvfb, 1280x720) started for one test on a free display; killed on drop.
pub struct Xvfb {
    child: std::process::Child,
    /// `:N`, for `DISPLAY`.
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Self {
        use std::io::BufRead;
        let bin = "/usr/bin/Xvfb";
        assert!(
            std::path::Path::new(bin).exists(),
            "Xvfb missing: run scripts/setup.sh (Debian package xvfb)"
        );
        // -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
        let mut child = std::process::Command::new(bin)
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x720x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut number = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut number)
            .expect("Xvfb's display number");
        assert!(
            number.trim().parse::<u32>().is_ok(),
            "Xvfb did not start (display {number:?})"
        );
        Self {
            child,
            display: format!(":{}", number.trim()),
        }
    }

    /// What the screen shows now, as packed RGB (1280x720).
    pub fn screenshot(&self) -> gst::Sample {
        pull_all(&format!(
            "ximagesrc display-name={} use-damage=false num-buffers=1 ! videoconvert \
             ! video/x-raw,format=RGB ! appsink name=sink",
            self.display
        ))
        .into_iter()
        .next()
        .expect("a screenshot")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mosquitto started for one test on 127.0.0.1 and a free port; killed on drop.
pub struct Broker {
    child: std::process::Child,
    pub port: u16,
}

impl Broker {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// A broker on a given port (also to restart one where clients expect it).
    pub fn start_on(port: u16) -> Self {
        let conf = std::env::temp_dir().join(format!(
            "facekit-mosquitto-{}-{port}.conf",
            std::process::id()
        ));
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        )
        .unwrap();
        let bin = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("mosquitto missing: run scripts/setup.sh (Debian package mosquitto)");
        let child = std::process::Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start mosquitto");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { child, port }
    }

    pub fn url(&self, topic: &str) -> String {
        format!("mqtt://127.0.0.1:{}/{topic}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What came out of [`push_buffers`].
#[derive(Default)]
pub struct Pushed {
    pub samples: Vec<gst::Sample>,
    /// Element messages, in bus order.
    pub messages: Vec<gst::Structure>,
    /// The first error posted (it stops the pipeline): text and debug string.
    pub error: Option<String>,
    /// Warnings posted, as text.
    pub warnings: Vec<String>,
}

/// Pushes `buffers` with `caps` through `pipeline` (`appsrc name=src ! ... ! appsink
/// name=sink`), then end of stream; collects the samples that come out, the element
/// messages and the first error, waiting up to 60 s for end of stream.
pub fn push_buffers(
    pipeline: &str,
    caps: &gst::Caps,
    buffers: impl IntoIterator<Item = gst::Buffer>,
) -> Pushed {
    init();
    let pipeline = gst::parse::launch(pipeline)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let src = pipeline
        .by_name("src")
        .unwrap()
        .downcast::<gst_app::AppSrc>()
        .unwrap();
    src.set_caps(Some(caps));
    src.set_format(gst::Format::Time);
    let samples = keep_samples(&pipeline);
    pipeline.set_state(gst::State::Playing).unwrap();
    // A push fails once an element has stopped the pipeline: the error is on the bus.
    for buf in buffers {
        let _ = src.push_buffer(buf);
    }
    let _ = src.end_of_stream();
    let posted = wait_eos(&pipeline, 60);
    pipeline.set_state(gst::State::Null).unwrap();
    Pushed {
        samples: std::mem::take(&mut *samples.lock().unwrap()),
        error: posted.error_with_debug(),
        messages: posted.messages,
        warnings: posted.warnings,
    }
}
