//! The server of the face-first upload (scenario 3).
//!
//! * Camera config service: `GET /camera-config?model=M` answers the camera model's target
//!   crop size (`{"type": "A100", "width": 60, "height": 60}`) from a SQLite table seeded
//!   from a camera table file; without `model` it lists every camera. facecrop's
//!   `config-location=http://HOST:PORT/camera-config` with `camera-model=M` asks it.
//!
//! * Upload (with `--rtp-port`): receives the camera's cropped stream (H.264, RTP/UDP),
//!   runs `facedetect ! facequality ! faceidentify` on it and, when the upload ends, answers
//!   the camera over MQTT: per person the best key frame of the whole upload (JPEG) and the
//!   identity (see `upload.rs`; the camera's `faceanswer` element posts them as messages).
//!
//! ```text
//! cargo run --release --example face-server -- [--listen 127.0.0.1:0]
//!     [--cameras SEED.json] [--db cameras.sqlite]
//!     [--rtp-port PORT (0: a free one) [--rtp-address 127.0.0.1]
//!      --answers mqtt://HOST:PORT/PREFIX [--gallery DIR|FILE.sqlite] [--threshold 0.6]
//!      [--window SECONDS (0: whole upload)] [--idle MS (3000)] [--record FILE{upload}.mkv]]
//! ```
//!
//! Prints `LISTENING http://ADDR` once it serves, then with an upload
//! `UPLOAD udp://ADDR:PORT answers mqtt://...` once it receives, and per upload one
//! `ANSWER ...` line per person and a `DONE ...` line.

mod cameras;
mod upload;

use std::path::PathBuf;

use cameras::CameraStore;
use gstfacekit::MqttUrl;

struct Options {
    listen: String,
    cameras: Option<PathBuf>,
    db: String,
    upload: Option<upload::UploadOptions>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:0".into(),
        cameras: None,
        db: ":memory:".into(),
        upload: None,
    };
    let (mut port, mut answers, mut address) = (None, None, "127.0.0.1".to_string());
    let (mut gallery, mut threshold, mut window, mut idle, mut record) = (None, 0.6, 0, 3000, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--listen" => o.listen = value()?,
            "--cameras" => o.cameras = Some(PathBuf::from(value()?)),
            "--db" => o.db = value()?,
            "--rtp-port" => {
                let v = value()?;
                port = Some(
                    v.parse::<u16>()
                        .map_err(|_| format!("--rtp-port '{v}' is not 0..65535"))?,
                )
            }
            "--rtp-address" => address = value()?,
            "--answers" => answers = Some(MqttUrl::parse(&value()?)?),
            "--gallery" => gallery = Some(value()?),
            "--threshold" => {
                let v = value()?;
                threshold = v
                    .parse::<f64>()
                    .ok()
                    .filter(|t| (0.0..=2.0).contains(t))
                    .ok_or(format!("--threshold '{v}' is not 0..2"))?
            }
            "--window" => window = upload::window_ns(&value()?)?,
            "--idle" => {
                let v = value()?;
                idle = v
                    .parse::<u64>()
                    .map_err(|_| format!("--idle '{v}' is not milliseconds"))?
            }
            "--record" => {
                let v = value()?;
                if !v.contains("{upload}") {
                    return Err(format!(
                        "--record '{v}' must contain {{upload}} (the upload number) so that uploads do not overwrite each other, e.g. /var/lib/uploads/upload-{{upload}}.mkv"
                    ));
                }
                record = Some(v)
            }
            _ => return Err(format!("unknown argument '{a}' (see the source's header)")),
        }
    }
    match (port, answers) {
        (Some(port), Some(answers)) => {
            answers.check_publishable()?;
            o.upload = Some(upload::UploadOptions {
                address,
                port,
                answers,
                gallery,
                window_ns: window,
                threshold,
                idle: std::time::Duration::from_millis(idle),
                record,
            })
        }
        (None, None) => {}
        _ => {
            return Err(
                "--rtp-port and --answers go together (the upload and where to answer it)".into(),
            );
        }
    }
    Ok(o)
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .map_err(|_| ())
                    .and_then(|h| u8::from_str_radix(h, 16).map_err(|_| ()))
                {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_response(
    status: u16,
    body: &serde_json::Value,
) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_data(body.to_string().into_bytes())
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
                .expect("static header"),
        )
}

fn main() {
    if let Err(e) = run() {
        eprintln!("face-server: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let o = options()?;
    let store = CameraStore::open(&o.db, o.cameras.as_deref())?;
    let server = tiny_http::Server::http(&o.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", o.listen))?;
    let addr = server.server_addr().to_ip().ok_or("no IP address")?;
    println!("LISTENING http://{addr}");
    if let Some(options) = o.upload {
        gst::init().map_err(|e| format!("GStreamer: {e}"))?;
        gstfacekit::plugin_register_static().map_err(|e| format!("facekit: {e}"))?;
        let line = format!("{}", options.answers);
        let address = options.address.clone();
        let server = upload::UploadServer::new(options);
        std::thread::spawn(move || {
            let ready = |port| println!("UPLOAD udp://{address}:{port} answers {line}");
            if let Err(e) = server.run(ready) {
                eprintln!("face-server: {e}");
                std::process::exit(1);
            }
        });
    }
    for request in server.incoming_requests() {
        let url = request.url().to_string();
        let path = url.split('?').next().unwrap_or("");
        let (status, body) = match (request.method(), path) {
            (tiny_http::Method::Get, "/camera-config") => {
                store.answer(query_param(&url, "model").as_deref())
            }
            _ => (
                404,
                serde_json::json!({"error": format!("no such endpoint: {path}")}),
            ),
        };
        let _ = request.respond(json_response(status, &body));
    }
    Ok(())
}
