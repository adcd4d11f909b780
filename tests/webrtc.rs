//! WebRTC egress end to end: the occlusion server (examples/occlusion-server) on the looped
//! talking-head clip, a real Janus it starts on loopback, and two viewers in headless
//! Chromium playing the viewer page. The page draws each decoded frame of its `<video>` to
//! a `<canvas>` and posts the sharpness (mean luma gradient) of the face region to this test.
//! At level 0 both faces are blurred; after one viewer's payment event that viewer's face is
//! sharp within the measured switch time, the other's stays blurred, and neither page
//! created a second PeerConnection or received a second offer (no ICE restart).

mod common;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A child started as the leader of its own process group (Chromium's helpers, Janus under
/// the server): dropping it stops the whole group, gently first.
struct Group {
    child: Child,
}

impl Group {
    fn spawn(cmd: &mut Command) -> Group {
        let child = cmd
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e} (run scripts/setup.sh)"));
        Group { child }
    }

    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Closing stdin stops the occlusion server cleanly (it stops Janus); everything
        // else gets SIGTERM; whatever is left after 10 s gets SIGKILL.
        drop(self.child.stdin.take());
        let start = Instant::now();
        let mut termed = false;
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if !termed && start.elapsed() > Duration::from_secs(3) {
                self.signal_group("-TERM");
                termed = true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.signal_group("-KILL");
        let _ = self.child.wait();
    }
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The face region of the clip as the server scales it (352x288), from facedetect on the
/// clip itself: the median box over the first seconds, shrunk to its inner part so that the
/// probe stays on the face while it moves. Fractions of the frame: x, y, w, h.
fn face_probe() -> [f64; 4] {
    let samples = common::pull_all(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! videoscale \
         ! video/x-raw,format=I420,width=352,height=288 ! facedetect ! appsink name=sink",
        common::sample("carphone_pristine.mp4").display()
    ));
    let mut boxes: Vec<[f64; 4]> = samples
        .iter()
        .filter_map(|s| {
            let faces = gstfacekit::read_frame(s.buffer().unwrap()).ok()?.faces;
            let b = faces.first()?.bbox;
            Some([b.x as f64, b.y as f64, b.width as f64, b.height as f64])
        })
        .collect();
    assert!(
        boxes.len() * 2 > samples.len(),
        "facedetect found the face in only {}/{} frames of the clip",
        boxes.len(),
        samples.len()
    );
    let median = |i: usize, boxes: &mut Vec<[f64; 4]>| {
        boxes.sort_by(|a, b| a[i].total_cmp(&b[i]));
        boxes[boxes.len() / 2][i]
    };
    let (x, y, w, h) = (
        median(0, &mut boxes),
        median(1, &mut boxes),
        median(2, &mut boxes),
        median(3, &mut boxes),
    );
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (pw, ph) = (w * 0.6, h * 0.6);
    [
        (cx - pw / 2.0) / 352.0,
        (cy - ph / 2.0) / 288.0,
        pw / 352.0,
        ph / 288.0,
    ]
}

/// One frame as a page measured it (`n`: the page's frame number).
#[derive(Clone, Copy, Debug)]
struct Frame {
    n: u64,
    t: f64,
    sharpness: f64,
}

/// How many decoded frames each page keeps for [`Rig::save_frames`] (15 s at 30 fps).
const KEPT_FRAMES: usize = 450;

#[derive(Default)]
struct Reports {
    /// Every report per viewer (the page's state and stats), newest last.
    pages: std::collections::BTreeMap<String, Vec<Value>>,
    frames: std::collections::BTreeMap<String, Vec<Frame>>,
    /// Snapshots taken from now on are named `-after`.
    switched: bool,
    /// Kept frames to ask each page for (by number), and what came back: a PNG path, or
    /// None when the page no longer had the frame.
    wanted: std::collections::BTreeMap<String, Vec<u64>>,
    saved: std::collections::BTreeMap<(String, u64), Option<PathBuf>>,
}

impl Reports {
    fn last(&self, viewer: &str) -> Option<&Value> {
        self.pages.get(viewer).and_then(|v| v.last())
    }
    fn frames(&self, viewer: &str) -> Vec<Frame> {
        self.frames.get(viewer).cloned().unwrap_or_default()
    }
}

/// The local endpoint the pages post to; snapshots and asked-for frames (PNG) go to
/// `snapshots`.
fn report_endpoint(snapshots: PathBuf) -> (u16, Arc<Mutex<Reports>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let reports = Arc::new(Mutex::new(Reports::default()));
    let r = reports.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = Vec::new();
            let _ = request.as_reader().take(8 << 20).read_to_end(&mut body);
            let url = request.url().to_string();
            let param = |k: &str| {
                url.split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .map(str::to_string)
            };
            let mut reply = None;
            if let (Some(viewer), Some(n)) = (param("frame"), param("n")) {
                let n: u64 = n.parse().unwrap_or(u64::MAX);
                let path = snapshots.join(format!("frame-{viewer}-{n}.png"));
                let saved = (param("gone").is_none() && std::fs::write(&path, &body).is_ok())
                    .then_some(path);
                r.lock().unwrap().saved.insert((viewer, n), saved);
            } else if let Some(viewer) = param("snapshot") {
                let phase = if r.lock().unwrap().switched {
                    "after"
                } else {
                    "before"
                };
                let _ = std::fs::write(snapshots.join(format!("{viewer}-{phase}.png")), &body);
            } else if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                let viewer = v["viewer"].as_str().unwrap_or("").to_string();
                let mut r = r.lock().unwrap();
                let frames = r.frames.entry(viewer.clone()).or_default();
                for f in v["frames"].as_array().into_iter().flatten() {
                    frames.push(Frame {
                        n: f["n"].as_u64().unwrap_or(u64::MAX),
                        t: f["t"].as_f64().unwrap_or(0.0),
                        sharpness: f["sharpness"].as_f64().unwrap_or(0.0),
                    });
                }
                if let Some(send) = r.wanted.remove(&viewer) {
                    reply = Some(serde_json::json!({ "send": send }).to_string());
                }
                r.pages.entry(viewer).or_default().push(v);
            }
            // The page is on another origin: it may read the reply.
            let cors =
                tiny_http::Header::from_bytes(&b"Access-Control-Allow-Origin"[..], &b"*"[..])
                    .unwrap();
            let _ = match reply {
                Some(json) => {
                    request.respond(tiny_http::Response::from_string(json).with_header(cors))
                }
                None => request.respond(tiny_http::Response::empty(204).with_header(cors)),
            };
        }
    });
    (port, reports)
}

fn get(url: &str) -> Result<String, String> {
    ureq::get(url)
        .timeout(Duration::from_secs(20))
        .call()
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|e| e.to_string())
}

/// The `p` quantile (0..1) of the values.
fn quantile(mut v: Vec<f64>, p: f64) -> f64 {
    assert!(!v.is_empty(), "no frames to take a quantile of");
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// The server loops the 4 s clip: the blurred face's sharpness varies with the clip's
/// content (0.5 to 1.8 over one loop), so covered and uncovered are compared over windows
/// of at least one whole loop, never over a part of one.
const CLIP_LOOP_MS: f64 = 4000.0 + 500.0;

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty(), "no frames to take a median of");
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn chromium(url: &str, profile: &Path) -> Group {
    Group::spawn(
        Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--allow-loopback-in-peer-connection",
                "--autoplay-policy=no-user-gesture-required",
                "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

/// Waits (bounded) until `ready` holds; panics with `what` and the server log otherwise.
fn wait_for(what: &str, limit: Duration, log: &Path, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > limit {
            panic!(
                "timed out after {limit:?} waiting for {what}\nserver log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A Janus streaming request on a fresh session (to check mountpoints independently).
fn janus_info(janus: &str, mountpoint: u64) -> Value {
    let post = |url: &str, body: Value| -> Value {
        serde_json::from_str(
            &ureq::post(url)
                .timeout(Duration::from_secs(10))
                .send_string(&body.to_string())
                .unwrap()
                .into_string()
                .unwrap(),
        )
        .unwrap()
    };
    let session = post(
        janus,
        serde_json::json!({"janus": "create", "transaction": "s"}),
    )["data"]["id"]
        .as_u64()
        .unwrap();
    let url = format!("{janus}/{session}");
    let handle = post(
        &url,
        serde_json::json!({"janus": "attach", "plugin": "janus.plugin.streaming", "transaction": "a"}),
    )["data"]["id"]
        .as_u64()
        .unwrap();
    let answer = post(
        &format!("{url}/{handle}"),
        serde_json::json!({"janus": "message", "transaction": "i",
                           "body": {"request": "info", "id": mountpoint}}),
    );
    post(
        &url,
        serde_json::json!({"janus": "destroy", "transaction": "d"}),
    );
    answer["plugindata"]["data"].clone()
}

/// The occlusion server (with its Janus) and one headless Chromium page per viewer, all
/// reporting to this test; everything is stopped when dropped (pages first).
struct Rig {
    pages: Vec<Group>,
    server: Option<Group>,
    base: String,
    janus: String,
    work: PathBuf,
    log: PathBuf,
    reports: Arc<Mutex<Reports>>,
}

impl Rig {
    fn start(name: &str, viewers: &[&str]) -> Rig {
        common::init();
        let probe = face_probe();
        let work = root().join(format!("target/{name}"));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let (report_port, reports) = report_endpoint(work.clone());
        let http_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = work.join("server.log");
        let server = Group::spawn(
            Command::new(common::example_binary("occlusion-server"))
                .args([
                    "--egress",
                    "webrtc",
                    "--start-janus",
                    "--source",
                    "carphone",
                ])
                .args(["--http", &format!("127.0.0.1:{http_port}")])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap()),
        );
        let base = format!("http://127.0.0.1:{http_port}");
        let mut rig = Rig {
            pages: Vec::new(),
            server: Some(server),
            base,
            janus: String::new(),
            work: work.clone(),
            log,
            reports,
        };
        wait_for(
            "the occlusion server's HTTP",
            Duration::from_secs(90),
            &rig.log,
            || get(&format!("{}/list", rig.base)).is_ok(),
        );
        rig.janus = std::fs::read_to_string(&rig.log)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("janus on "))
            .and_then(|l| l.split_whitespace().next())
            .expect("server did not say where Janus is")
            .to_string();
        for viewer in viewers {
            let url = format!(
                "{}/viewer?viewer={viewer}&report=http://127.0.0.1:{report_port}/&snapshot=1&keep={KEPT_FRAMES}&probe={}",
                rig.base,
                probe.map(|v| format!("{v:.4}")).join(",")
            );
            rig.pages
                .push(chromium(&url, &work.join(format!("profile-{viewer}"))));
        }
        // Every page plays: a whole loop of the clip measured on a connected PeerConnection.
        wait_for(
            "the pages to play",
            Duration::from_secs(120),
            &rig.log,
            || {
                let r = rig.reports.lock().unwrap();
                viewers.iter().all(|v| {
                    let frames = r.frames(v);
                    frames.len() >= 90
                        && frames.last().unwrap().t - frames[0].t > CLIP_LOOP_MS + 1000.0
                        && r.last(v).is_some_and(|p| {
                            p["stats"]["iceConnectionState"] == "connected"
                                || p["stats"]["iceConnectionState"] == "completed"
                        })
                })
            },
        );
        std::thread::sleep(Duration::from_secs(1));
        rig
    }

    fn get(&self, path: &str) -> String {
        get(&format!("{}{path}", self.base)).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Face sharpness of each of the viewer's frames over the last loop of the clip, and
    /// the page's last report.
    fn recent(&self, viewer: &str) -> (Vec<f64>, Value) {
        let r = self.reports.lock().unwrap();
        let frames = r.frames(viewer);
        let last_t = frames.last().unwrap().t;
        let sharpness = frames
            .iter()
            .filter(|f| f.t > last_t - CLIP_LOOP_MS)
            .map(|f| f.sharpness)
            .collect();
        (sharpness, r.last(viewer).unwrap().clone())
    }

    fn frames_since(&self, viewer: &str, t: f64) -> Vec<Frame> {
        let r = self.reports.lock().unwrap();
        r.frames(viewer).into_iter().filter(|f| f.t > t).collect()
    }

    /// Asks the viewer's page for these kept frames and waits (bounded) until they are
    /// saved as PNGs under the rig's folder; answers each frame with its path if it came.
    fn save_frames(&self, viewer: &str, frames: &[Frame]) -> Vec<(Frame, Option<PathBuf>)> {
        self.reports
            .lock()
            .unwrap()
            .wanted
            .insert(viewer.to_string(), frames.iter().map(|f| f.n).collect());
        let start = Instant::now();
        let key = |f: &Frame| (viewer.to_string(), f.n);
        while start.elapsed() < Duration::from_secs(20) {
            let r = self.reports.lock().unwrap();
            if frames.iter().all(|f| r.saved.contains_key(&key(f))) {
                break;
            }
            drop(r);
            std::thread::sleep(Duration::from_millis(200));
        }
        let r = self.reports.lock().unwrap();
        frames
            .iter()
            .map(|f| (*f, r.saved.get(&key(f)).cloned().flatten()))
            .collect()
    }
}

/// One row of frames side by side in one PNG, to look at; answers its path.
fn contact_sheet(path: &Path, frames: &[PathBuf]) -> Option<PathBuf> {
    let images: Vec<image::RgbaImage> = frames
        .iter()
        .filter_map(|p| image::open(p).ok().map(|i| i.to_rgba8()))
        .collect();
    let (w, h) = (images.first()?.width(), images.first()?.height());
    let columns = images.len().min(6) as u32;
    let rows = (images.len() as u32).div_ceil(columns);
    let mut sheet = image::RgbaImage::new(columns * (w + 4), rows * (h + 4));
    for (i, img) in images.iter().enumerate() {
        let (c, r) = (i as u32 % columns, i as u32 / columns);
        image::imageops::overlay(&mut sheet, img, (c * (w + 4)) as i64, (r * (h + 4)) as i64);
    }
    sheet.save(path).ok()?;
    Some(path.to_path_buf())
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.pages.clear();
        self.server.take();
    }
}

/// The time of the first of five frames in a row on the given side of `threshold`.
fn first_run(frames: &[Frame], above: bool, threshold: f64) -> Option<f64> {
    (0..frames.len().saturating_sub(5))
        .find(|&i| {
            frames[i..i + 5]
                .iter()
                .all(|f| (f.sharpness > threshold) == above)
        })
        .map(|i| frames[i].t)
}

#[test]
fn webrtc_viewers_switch_level_on_the_same_peerconnection() {
    let rig = Rig::start("webrtc-test", &["a", "b"]);
    let (base, janus, reports) = (rig.base.clone(), rig.janus.clone(), rig.reports.clone());
    let (before_a, page_a0) = rig.recent("a");
    let (before_b, page_b0) = rig.recent("b");
    let (covered_a, covered_b) = (median(before_a), median(before_b.clone()));
    assert_eq!(page_a0["shown"]["level"], "0 of 8", "{page_a0}");
    assert_eq!(page_b0["shown"]["level"], "0 of 8", "{page_b0}");

    // The payment: viewer a goes to the top level.
    let sent = now_ms();
    let answer = get(&format!("{base}/event?viewer=a&kind=payment&amount=20")).unwrap();
    assert_eq!(answer.trim(), "level-8");
    reports.lock().unwrap().switched = true;
    // Ten seconds of both pages after the switch (bounded by time, not by frames).
    std::thread::sleep(Duration::from_secs(10));
    let (frames_a, frames_b) = (rig.frames_since("a", sent), rig.frames_since("b", sent));
    assert!(
        frames_a.len() >= 60 && frames_b.len() >= 60,
        "pages stalled after the switch: {} / {} frames in 10 s",
        frames_a.len(),
        frames_b.len()
    );
    // a settled on the new rendition: its last whole loop of the clip.
    let uncovered_a = median(
        frames_a
            .iter()
            .filter(|f| f.t > sent + 10000.0 - CLIP_LOOP_MS)
            .map(|f| f.sharpness)
            .collect(),
    );
    let threshold = (covered_a + uncovered_a) / 2.0;
    assert!(
        uncovered_a > 1.5 * covered_a && uncovered_a > 1.5 * covered_b,
        "viewer a's face is not uncovered after the switch: sharpness {covered_a:.2} -> {uncovered_a:.2}"
    );
    // The first frame of the new rendition: the first of five sharp frames in a row.
    let first = first_run(&frames_a, true, threshold)
        .expect("viewer a never showed five uncovered frames in a row");
    println!(
        "switch time (event sent -> first uncovered frame drawn in the browser): {:.0} ms",
        first - sent
    );
    // b stays covered: not one frame past the midpoint to a's uncovered face (a leak of
    // a's rendition), and b's sharper frames (90th percentile over whole loops of the clip)
    // no sharper than before (a partial leak: b on a rendition with some region uncovered).
    let leaked = frames_b.iter().filter(|f| f.sharpness > threshold).count();
    let (high_before, high_after) = (
        quantile(before_b, 0.9),
        quantile(frames_b.iter().map(|f| f.sharpness).collect(), 0.9),
    );
    println!(
        "face-region sharpness (median over a loop of the clip): viewer a {covered_a:.2} -> {uncovered_a:.2}, \
         threshold {threshold:.2}; viewer b {covered_b:.2}, 90th percentile {high_before:.2} -> {high_after:.2}, \
         {leaked} frame(s) of {} past the threshold",
        frames_b.len()
    );
    let b_covered = leaked == 0 && high_after < 1.3 * high_before;
    if !b_covered || std::env::var("WEBRTC_SAVE_FRAMES").is_ok() {
        save_suspects(&rig, sent, &frames_a, &frames_b, threshold);
    }
    assert!(
        b_covered,
        "viewer b's face was uncovered although b did not pay: {leaked} frame(s) above {threshold:.2}, \
         90th percentile {high_before:.2} -> {high_after:.2} (frames saved under {})",
        rig.work.display()
    );

    // Same PeerConnection, no renegotiation, no ICE restart; the pages show the levels.
    let (page_a, page_b) = {
        let r = reports.lock().unwrap();
        (r.last("a").unwrap().clone(), r.last("b").unwrap().clone())
    };
    for (page0, page) in [(&page_a0, &page_a), (&page_b0, &page_b)] {
        assert_eq!(
            page["pcId"], page0["pcId"],
            "PeerConnection re-created: {page}"
        );
        assert_eq!(page["pcCreated"], 1, "{page}");
        assert_eq!(page["remoteDescriptions"], 1, "renegotiated: {page}");
        assert_eq!(page["ufrags"].as_array().unwrap().len(), 1, "{page}");
        assert_eq!(page["samePc"], true, "{page}");
        assert_eq!(page["stats"]["connectionState"], "connected", "{page}");
        assert!(page["error"].is_null(), "{page}");
    }
    let decoded = |p: &Value, k: &str| p["stats"][k].as_u64().unwrap_or(0);
    assert!(
        decoded(&page_a, "keyFramesDecoded") > decoded(&page_a0, "keyFramesDecoded"),
        "no key frame decoded after the switch: {page_a}"
    );
    println!(
        "viewer a: {} frames decoded, {} key frames, {} freezes, {} dropped; viewer b: {} frames decoded",
        decoded(&page_a, "framesDecoded"),
        decoded(&page_a, "keyFramesDecoded"),
        decoded(&page_a, "freezeCount"),
        decoded(&page_a, "framesDropped"),
        decoded(&page_b, "framesDecoded"),
    );
    assert_eq!(page_a["shown"]["level"], "8 of 8", "{page_a}");
    assert_eq!(page_a["shown"]["covered"], "nothing", "{page_a}");
    assert_eq!(page_b["shown"]["level"], "0 of 8", "{page_b}");

    // The emptied rendition's mountpoint is destroyed on Janus when a leaves.
    let list = get(&format!("{base}/list")).unwrap();
    let mountpoint: u64 = list
        .lines()
        .find(|l| l.starts_with("level-8:"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no level-8 mountpoint in /list: {list}"));
    assert!(
        !list.contains("level-0: 2"),
        "a still counted on level 0: {list}"
    );
    assert_eq!(janus_info(&janus, mountpoint)["info"]["id"], mountpoint);
    assert_eq!(
        get(&format!("{base}/leave?viewer=a")).unwrap().trim(),
        "bye"
    );
    wait_for(
        "level-8's mountpoint to go",
        Duration::from_secs(20),
        &rig.log,
        || janus_info(&janus, mountpoint).get("error").is_some(),
    );
    assert!(!get(&format!("{base}/list")).unwrap().contains("level-8"));
}

/// Saves viewer b's sharpest frames since the switch (and a few of a's, uncovered, for
/// comparison) as PNGs and contact sheets, and prints b's sharpness frame by frame: what to
/// look at when b's face measured uncovered.
fn save_suspects(rig: &Rig, sent: f64, frames_a: &[Frame], frames_b: &[Frame], threshold: f64) {
    let mut suspects = frames_b.to_vec();
    suspects.sort_by(|x, y| y.sharpness.total_cmp(&x.sharpness));
    suspects.truncate(12);
    suspects.sort_by_key(|f| f.n);
    let step = (frames_a.len() / 6).max(1);
    let references: Vec<Frame> = frames_a.iter().step_by(step).copied().collect();
    for (viewer, frames) in [("b", &suspects), ("a", &references)] {
        let saved = rig.save_frames(viewer, frames);
        for (f, path) in &saved {
            eprintln!(
                "viewer {viewer} frame {} at +{:.0} ms: sharpness {:.2} (threshold {threshold:.2}) {}",
                f.n,
                f.t - sent,
                f.sharpness,
                path.as_ref()
                    .map_or("(no longer kept)".into(), |p| p.display().to_string())
            );
        }
        let paths: Vec<PathBuf> = saved.into_iter().filter_map(|(_, p)| p).collect();
        if let Some(sheet) = contact_sheet(&rig.work.join(format!("sheet-{viewer}.png")), &paths) {
            eprintln!("viewer {viewer}: contact sheet {}", sheet.display());
        }
    }
    let series: Vec<String> = frames_b
        .iter()
        .map(|f| format!("{:.0}:{:.2}", f.t - sent, f.sharpness))
        .collect();
    eprintln!(
        "viewer b, ms after the event : sharpness\n{}",
        series.join(" ")
    );
}

/// Not a test but the switch-time benchmark (bench/webrtc-switch.sh runs it): one viewer
/// switched up (payment) and back down (reset) SWITCHES times (default 10); prints every
/// switch time and the medians. Alone, each switch creates the target rendition and tears
/// the old one down.
#[test]
#[ignore]
fn webrtc_switch_time_bench() {
    let switches: usize = std::env::var("SWITCHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    // COMPANIONS=1: two more pages hold level 0 and level 8, so that every switch is between
    // two running renditions (nothing created or torn down, the key frame is forced).
    let companions = std::env::var("COMPANIONS").is_ok_and(|v| v == "1");
    let viewers: &[&str] = if companions {
        &["s", "k0", "k8"]
    } else {
        &["s"]
    };
    let rig = Rig::start("webrtc-switch-bench", viewers);
    if companions {
        rig.get("/event?viewer=k8&kind=payment&amount=20");
        std::thread::sleep(Duration::from_secs(3));
    }
    let covered = median(rig.recent("s").0);
    let mut threshold = None;
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for round in 0..switches {
        for (path, raise) in [
            ("/event?viewer=s&kind=payment&amount=20", true),
            ("/reset?viewer=s", false),
        ] {
            let sent = now_ms();
            let answer = rig.get(path);
            assert_eq!(answer.trim(), if raise { "level-8" } else { "level-0" });
            std::thread::sleep(Duration::from_secs(4));
            let frames = rig.frames_since("s", sent);
            let t = *threshold.get_or_insert_with(|| {
                let uncovered = median(rig.recent("s").0);
                assert!(
                    uncovered > 1.5 * covered,
                    "no uncovered face: {covered:.2} -> {uncovered:.2}"
                );
                (covered + uncovered) / 2.0
            });
            let first = first_run(&frames, raise, t)
                .unwrap_or_else(|| panic!("round {round}: no switch seen in 4 s"));
            let ms = first - sent;
            if std::env::var("DEBUG_FRAMES").is_ok() {
                for f in frames.iter().take(45) {
                    eprintln!("  +{:.0} ms sharpness {:.2}", f.t - sent, f.sharpness);
                }
            }
            let way = if raise {
                "up (uncovered)"
            } else {
                "down (covered)"
            };
            println!("round {round}: {way} {ms:.0} ms");
            if raise { up.push(ms) } else { down.push(ms) }
        }
    }
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    println!(
        "switch time, event sent -> first frame of the new rendition drawn in the browser, \
         {switches} switches each way: median up {:.0} ms (max {:.0}), median down {:.0} ms (max {:.0})",
        median(up.clone()),
        max(&up),
        median(down.clone()),
        max(&down)
    );
}
