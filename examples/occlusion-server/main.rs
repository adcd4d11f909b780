//! A live-occlusion server for media engineers: one ingest, detection once, one encoded
//! rendition per (level, unlocked regions) shared by every viewer there, delivered over
//! RTMP (a stream per rendition on an RTMP server) and/or WebRTC (an RTP mountpoint per
//! rendition on Janus). Viewers' behaviour events raise their level through a policy;
//! renditions are created on first use and torn down when their last viewer leaves. A
//! WebRTC viewer changes rendition on the same PeerConnection (Janus' `switch`).
//!
//!   cargo run --release --example occlusion-server -- [--egress rtmp|webrtc|rtmp,webrtc]
//!       [--start-nginx] [--port 19350] [--start-janus | --janus URL --janus-admin-key KEY]
//!       [--http 127.0.0.1:8089] [--source carphone|astronaut|rtmp://...]
//!       [--policy "likes >= 1 -> level 1; ..."] [--priority eyes,mouth,...]
//!       [--prices eyes=4.99,mouth=2.99] [--currency EUR] [--payment-secret-file PATH]
//!       [--used-receipts PATH]
//!
//! Commands, one per line on stdin (the server stops when stdin closes) or as HTTP GETs on
//! the --http address:
//!   play VIEWER                 -> the RTMP URL (or rendition) of VIEWER (GET /play?viewer=V)
//!   event VIEWER KIND AMOUNT    -> records behaviour, answers as play   (GET /event?viewer=V&kind=K&amount=A)
//!   reset VIEWER                -> behaviour cleared (entitlement over), answers as play (GET /reset?viewer=V)
//!   leave VIEWER                                                      (GET /leave?viewer=V)
//!   list                        -> renditions and their viewers       (GET /list)
//!   stats                       -> frames ingested, renditions, viewers (GET /stats)
//! KIND: interactions likes comments shares tips reading payment.
//!
//! WebRTC (on the --http address): GET /viewer?viewer=V is the viewer page; it signals
//! through POST /webrtc/offer?viewer=V (Janus' offer) and POST /webrtc/answer?viewer=V
//! (the page's answer), and shows GET /state?viewer=V (level, regions). Viewers never talk
//! to Janus' API, so a viewer cannot pick a mountpoint; media flows browser <-> Janus.
//!
//! Paid unlocks (payment.rs): POST /viewers/V/unlock?region=R with the payment provider's
//! receipt as the body and its `Payment-Signature: sha256=<hex HMAC-SHA256>` header
//! uncovers region R for V on top of their level, or answers "payment unsuccessful" and
//! why; GET /payments counts the outcomes. The webhook secret comes from the environment
//! (FACEKIT_PAYMENT_SECRET) or --payment-secret-file, never the command line (other users
//! see it); prices from --prices or FACEKIT_PRICES, in --currency (default EUR).
//! --used-receipts PATH keeps used receipt ids across restarts.
//!
//! Watching time: every second the server records each watching viewer's `watch-seconds`
//! (from their play or WebRTC offer until they leave or hang up), so policy rules such as
//! `watch-seconds >= 600 -> level 1` apply while they watch.

mod janus;
mod payment;
mod server;

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

use gst::prelude::*;
use gstfacekit::Policy;
use gstfacekit::parse_region_list;

use janus::{Janus, JanusProcess, Notice};
use server::{Egress, Server};

const DEFAULT_POLICY: &str = "interactions >= 1 -> level 1; likes >= 1 -> level 2; \
    comments >= 1 -> level 3; shares >= 1 -> level 4; reading >= 50 -> level 5; \
    tips >= 5 -> level 6; payment >= 5 -> unlock eyes; payment >= 20 -> level max; \
    watch-seconds >= 600 -> level 1";
const DEFAULT_PRIORITY: &str = "eyes,mouth,nose,brows,cheeks,forehead,chin,face";
const VIEWER_PAGE: &str = include_str!("viewer.html");

fn start_nginx(port: u16) -> Result<(std::process::Child, std::path::PathBuf), String> {
    let dir = std::env::temp_dir().join(format!("facekit-occlusion-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let conf = format!(
        "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\nevents {{ worker_connections 1024; }}\n\
         rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record off; }} }} }}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
    let child = std::process::Command::new("nginx")
        .args([
            "-p",
            &dir.display().to_string(),
            "-e",
            &dir.join("error.log").display().to_string(),
        ])
        .args([
            "-c",
            &dir.join("nginx.conf").display().to_string(),
            "-g",
            "daemon off;",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start nginx (run scripts/setup.sh): {e}"))?;
    std::thread::sleep(std::time::Duration::from_millis(500));
    Ok((child, dir))
}

/// The ingest: a gst-launch fragment producing raw video, and the size to scale it to.
/// The sample clip is decoded once into `work` and looped as raw frames (continuous
/// timestamps, no decoder restart).
fn ingest(source: &str, work: &std::path::Path) -> Result<(String, u32, u32), String> {
    let root = env!("CARGO_MANIFEST_DIR");
    Ok(match source {
        "astronaut" => (
            format!(
                "filesrc location={root}/samples/astronaut.png ! pngdec ! imagefreeze ! videorate ! video/x-raw,framerate=30/1"
            ),
            512,
            512,
        ),
        "carphone" => {
            let raw = work.join("carphone.i420");
            let decode = gst::parse::launch(&format!(
                "filesrc location={root}/samples/carphone_pristine.mp4 ! qtdemux ! h264parse ! avdec_h264 \
                 ! videoconvert ! video/x-raw,format=I420,width=176,height=144 ! filesink location={}",
                raw.display()
            ))
            .map_err(|e| format!("cannot decode the sample clip (run scripts/setup.sh): {e}"))?;
            decode
                .set_state(gst::State::Playing)
                .map_err(|e| e.to_string())?;
            let bus = decode.bus().unwrap();
            let done = bus.timed_pop_filtered(
                gst::ClockTime::from_seconds(60),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            );
            let _ = decode.set_state(gst::State::Null);
            match done.as_ref().map(|m| m.view()) {
                Some(gst::MessageView::Eos(_)) => {}
                Some(gst::MessageView::Error(e)) => {
                    return Err(format!(
                        "decoding samples/carphone_pristine.mp4: {}",
                        e.error()
                    ));
                }
                _ => return Err("decoding samples/carphone_pristine.mp4 timed out".into()),
            }
            (
                format!(
                    "multifilesrc location={} loop=true ! rawvideoparse format=i420 width=176 height=144 framerate=30/1",
                    raw.display()
                ),
                352,
                288,
            )
        }
        url if url.starts_with("rtmp://") => (
            format!("rtmpsrc location={url} ! flvdemux ! h264parse ! avdec_h264"),
            1280,
            720,
        ),
        other => {
            return Err(format!(
                "unknown --source '{other}' (carphone, astronaut, rtmp://...)"
            ));
        }
    })
}

fn query(url: &str) -> (String, BTreeMap<String, String>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let params = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (path.to_string(), params)
}

fn http_to_command(path: &str, p: &BTreeMap<String, String>) -> Option<String> {
    let p = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    Some(match path {
        "/play" => format!("play {}", p("viewer")),
        "/event" => format!("event {} {} {}", p("viewer"), p("kind"), p("amount")),
        "/leave" => format!("leave {}", p("viewer")),
        "/reset" => format!("reset {}", p("viewer")),
        "/list" => "list".into(),
        "/stats" => "stats".into(),
        _ => return None,
    })
}

fn handle_http(server: &Mutex<Server>, mut request: tiny_http::Request) {
    let (path, params) = query(request.url());
    let viewer = params.get("viewer").cloned().unwrap_or_default();
    let text = |body: String| ("text/plain; charset=utf-8", body);
    let json = |r: Result<serde_json::Value, String>| match r {
        Ok(v) => (200, ("application/json", v.to_string())),
        Err(e) => (400, ("text/plain; charset=utf-8", format!("error: {e}"))),
    };
    let (status, (kind, body)) = match (request.method(), path.as_str()) {
        (tiny_http::Method::Get, "/" | "/viewer" | "/viewer.html") => {
            (200, ("text/html; charset=utf-8", VIEWER_PAGE.to_string()))
        }
        (tiny_http::Method::Get, "/state") => json(server.lock().unwrap().state(&viewer)),
        (tiny_http::Method::Get, "/payments") => json(Ok(server.lock().unwrap().payments())),
        (tiny_http::Method::Post, path)
            if path.starts_with("/viewers/") && path.ends_with("/unlock") =>
        {
            let viewer = &path["/viewers/".len()..path.len() - "/unlock".len()];
            let signature = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Payment-Signature"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let mut receipt = Vec::new();
            let _ = request.as_reader().take(64 << 10).read_to_end(&mut receipt);
            let region = params.get("region").map(String::as_str).unwrap_or("");
            let (status, reply) = server
                .lock()
                .unwrap()
                .unlock(viewer, region, &receipt, &signature);
            (status, ("application/json", reply.to_string()))
        }
        (tiny_http::Method::Post, "/webrtc/offer") => {
            json(server.lock().unwrap().webrtc_offer(&viewer))
        }
        (tiny_http::Method::Post, "/webrtc/answer") => {
            let mut sdp = String::new();
            let _ = request.as_reader().take(1 << 20).read_to_string(&mut sdp);
            json(
                server
                    .lock()
                    .unwrap()
                    .webrtc_answer(&viewer, &sdp)
                    .map(serde_json::Value::from),
            )
        }
        (_, path) => match http_to_command(path, &params) {
            Some(cmd) => {
                let answer = server.lock().unwrap().command(&cmd);
                let status = if answer.starts_with("error:") {
                    400
                } else {
                    200
                };
                (status, text(answer + "\n"))
            }
            None => (
                404,
                text(
                    "try /viewer, /play, /event, /reset, /leave, /list, /stats, /state, \
                     /payments, POST /viewers/V/unlock?region=R\n"
                        .into(),
                ),
            ),
        },
    };
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], kind.as_bytes()).unwrap();
    let _ = request.respond(
        tiny_http::Response::from_string(body)
            .with_status_code(status)
            .with_header(header),
    );
}

/// The shop from the environment and the command line (see the module doc). Without a
/// secret, paid unlocks answer "not configured".
fn shop(opt: &dyn Fn(&str) -> Option<String>) -> Result<payment::Shop, String> {
    let secret = match (
        std::env::var("FACEKIT_PAYMENT_SECRET").ok(),
        opt("--payment-secret-file"),
    ) {
        (_, Some(path)) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| format!("--payment-secret-file {path}: {e}"))?
                .trim()
                .to_string(),
        ),
        (Some(secret), None) => Some(secret),
        (None, None) => None,
    };
    let verifier = secret
        .map(|s| payment::HmacReceipts::new(s.as_bytes()))
        .transpose()?
        .map(|v| Box::new(v) as Box<dyn payment::PaymentVerifier>);
    let prices = opt("--prices")
        .or_else(|| std::env::var("FACEKIT_PRICES").ok())
        .unwrap_or_default();
    let prices = payment::parse_prices(&prices).map_err(|e| format!("--prices: {e}"))?;
    let currency = opt("--currency").unwrap_or_else(|| "EUR".into());
    if verifier.is_some() && prices.is_empty() {
        eprintln!("payments: a secret but no --prices: nothing is for sale");
    }
    payment::Shop::new(
        verifier,
        prices,
        &currency,
        opt("--used-receipts").map(Into::into),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let flag = |name: &str| args.iter().any(|a| a == name);
    let port: u16 = opt("--port")
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(19350);
    let policy = Policy::parse(&opt("--policy").unwrap_or_else(|| DEFAULT_POLICY.into()))?;
    let priority =
        parse_region_list(&opt("--priority").unwrap_or_else(|| DEFAULT_PRIORITY.into()))?;
    let source = opt("--source").unwrap_or_else(|| "astronaut".into());
    let shop = shop(&opt)?;
    let egress_names = opt("--egress").unwrap_or_else(|| "rtmp".into());
    let (mut rtmp, mut webrtc) = (false, false);
    for e in egress_names.split(',') {
        match e {
            "rtmp" => rtmp = true,
            "webrtc" => webrtc = true,
            other => return Err(format!("unknown --egress '{other}' (rtmp, webrtc)").into()),
        }
    }

    gst::init()?;
    gstfacekit::plugin_register_static()?;
    let work = std::env::temp_dir().join(format!("facekit-occlusion-work-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let (ingest, width, height) = ingest(&source, &work)?;

    let nginx = if rtmp && flag("--start-nginx") {
        Some(start_nginx(port)?)
    } else {
        None
    };
    let janus_process = if webrtc && flag("--start-janus") {
        let j = JanusProcess::start()?;
        eprintln!("janus on {} (pid {})", j.url, j.pid());
        Some(j)
    } else {
        None
    };
    let (notice_tx, notices) = Janus::notices();
    let janus = if webrtc {
        let (url, key) = match &janus_process {
            Some(j) => (j.url.clone(), j.admin_key.clone()),
            None => (
                opt("--janus").ok_or("--egress webrtc needs --start-janus or --janus URL")?,
                opt("--janus-admin-key").unwrap_or_default(),
            ),
        };
        Some(Janus::connect(&url, &key, notice_tx)?)
    } else {
        None
    };

    // A fakesink branch keeps the tee flowing while no viewer is connected and paces it to
    // the clock; its short queue keeps the tee from running ahead of real time.
    let pipeline = gst::parse::launch(&format!(
        "{ingest} ! videoconvert ! videoscale ! video/x-raw,format=I420,width={width},height={height} \
         ! facedetect updates=none ! tee name=t allow-not-linked=true \
         t. ! queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 ! fakesink sync=true"
    ))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline")?;
    let tee = pipeline.by_name("t").ok_or("no tee")?;
    let janus_client = janus.clone();
    let egress = Egress {
        rtmp: rtmp.then(|| format!("rtmp://127.0.0.1:{port}/live")),
        janus,
    };
    let server = Arc::new(Mutex::new(Server::new(
        pipeline.clone(),
        tee,
        egress,
        priority,
        policy,
        shop,
    )));
    pipeline.set_state(gst::State::Playing)?;
    {
        let server = server.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                server.lock().unwrap().tick_watch_time();
            }
        });
    }

    {
        let server = server.clone();
        std::thread::spawn(move || {
            for notice in notices {
                match notice {
                    Notice::Hangup(handle, reason) => {
                        server.lock().unwrap().hangup(handle, &reason)
                    }
                    Notice::WebrtcUp(handle) => server.lock().unwrap().webrtc_up(handle),
                }
            }
        });
    }
    if let Some(addr) = opt("--http") {
        let http = tiny_http::Server::http(&addr).map_err(|e| format!("--http {addr}: {e}"))?;
        eprintln!("HTTP on http://{addr}/ (viewer page: /viewer?viewer=NAME)");
        let server = server.clone();
        std::thread::spawn(move || {
            for request in http.incoming_requests() {
                let server = server.clone();
                std::thread::spawn(move || handle_http(&server, request));
            }
        });
    }

    let bus = pipeline.bus().ok_or("no bus")?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (stop, server) = (stop.clone(), server.clone());
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                println!("{}", server.lock().unwrap().command(line.trim()));
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        });
    }
    let mut failed = None;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(200)) {
            match msg.view() {
                gst::MessageView::Error(e) => {
                    failed = Some(format!("{} ({:?})", e.error(), e.debug()));
                    break;
                }
                gst::MessageView::Eos(_) => break,
                _ => {}
            }
        }
    }
    let teardowns = server.lock().unwrap().finish_teardowns();
    for t in teardowns {
        let _ = t.join();
    }
    pipeline.set_state(gst::State::Null)?;
    if let Some((mut child, dir)) = nginx {
        // SIGQUIT: nginx's graceful stop, which also ends its worker.
        let _ = std::process::Command::new("kill")
            .args(["-QUIT", &child.id().to_string()])
            .status();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Some(janus) = janus_client {
        janus.close();
    }
    drop(janus_process);
    let _ = std::fs::remove_dir_all(&work);
    match failed {
        Some(e) => Err(format!("pipeline error: {e}").into()),
        None => Ok(()),
    }
}
