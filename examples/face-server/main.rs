//! The server of the face-first upload (scenario 3).
//!
//! * Camera config service: `GET /camera-config?model=M` answers the camera model's target
//!   crop size (`{"type": "A100", "width": 60, "height": 60}`) from a SQLite table seeded
//!   from a camera table file; without `model` it lists every camera. facecrop's
//!   `config-location=http://HOST:PORT/camera-config` with `camera-model=M` asks it.
//!
//! ```text
//! cargo run --release --example face-server -- [--listen 127.0.0.1:0]
//!     [--cameras SEED.json] [--db cameras.sqlite]
//! ```
//!
//! Prints `LISTENING http://ADDR` once it serves.

mod cameras;

use std::path::PathBuf;

use cameras::CameraStore;

struct Options {
    listen: String,
    cameras: Option<PathBuf>,
    db: String,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:0".into(),
        cameras: None,
        db: ":memory:".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--listen" => o.listen = value()?,
            "--cameras" => o.cameras = Some(PathBuf::from(value()?)),
            "--db" => o.db = value()?,
            _ => return Err(format!("unknown argument '{a}' (see the source's header)")),
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
