//! Janus (streaming plugin) for the occlusion server: a local Janus started on loopback
//! with a generated config, and a client of its plain HTTP API that creates and destroys
//! RTP mountpoints and drives one handle per viewer (`watch`, `start`, `switch`).
//!
//! Janus terminates WebRTC (ICE, DTLS-SRTP) and fans each mountpoint out to its viewers;
//! this module only does signalling. One Janus session holds the control handle and every
//! viewer handle; one long-poll thread delivers its events.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PLUGIN: &str = "janus.plugin.streaming";
/// What every rendition's encoder produces, so that `switch` keeps the negotiated codec.
pub const VIDEO_PT: u32 = 96;
pub const VIDEO_FMTP: &str = "profile-level-id=42e01f;packetization-mode=1";

/// A Janus process on 127.0.0.1 with a generated config folder; stopped when dropped.
pub struct JanusProcess {
    child: Child,
    dir: PathBuf,
    pub url: String,
    pub admin_key: String,
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The folder holding Janus' plugin `name` (e.g. `plugins/libjanus_streaming.so`).
fn janus_lib(kind: &str, name: &str) -> Result<PathBuf, String> {
    let candidates = [
        format!("/usr/lib/x86_64-linux-gnu/janus/{kind}/{name}"),
        format!("/usr/lib/aarch64-linux-gnu/janus/{kind}/{name}"),
        format!("/usr/lib/janus/{kind}/{name}"),
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| format!("Janus' {name} not found (run scripts/setup.sh: Debian janus)"))
}

impl JanusProcess {
    /// Starts `janus` with only the streaming plugin and the HTTP transport, the HTTP API on
    /// a free port of 127.0.0.1, mountpoint creation guarded by a random admin key.
    pub fn start() -> Result<JanusProcess, String> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("facekit-janus-{}-{port}", std::process::id()));
        for sub in ["plugins", "transports", "none"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
        }
        // Janus loads every library in its folders: link in only the two we use.
        for (kind, name) in [
            ("plugins", "libjanus_streaming.so"),
            ("transports", "libjanus_http.so"),
        ] {
            let link = dir.join(kind).join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(janus_lib(kind, name)?, link).map_err(|e| e.to_string())?;
        }
        let admin_key = format!(
            "{:016x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64
                ^ ((std::process::id() as u64) << 32)
        );
        let d = dir.display();
        let files = [
            (
                "janus.jcfg",
                format!(
                    "general: {{ configs_folder = \"{d}\" plugins_folder = \"{d}/plugins\" \
                     transports_folder = \"{d}/transports\" events_folder = \"{d}/none\" \
                     loggers_folder = \"{d}/none\" debug_level = 3 session_timeout = 60 }}\n"
                ),
            ),
            (
                "janus.plugin.streaming.jcfg",
                format!("general: {{ admin_key = \"{admin_key}\" }}\n"),
            ),
            (
                "janus.transport.http.jcfg",
                format!(
                    "general: {{ json = \"plain\" base_path = \"/janus\" http = true port = {port} \
                     ip = \"127.0.0.1\" }}\nadmin: {{ admin_http = false }}\n\
                     cors: {{ allow_origin = \"*\" }}\n"
                ),
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
        }
        let log = std::fs::File::create(dir.join("janus.log")).map_err(|e| e.to_string())?;
        let child = Command::new("janus")
            .arg("-F")
            .arg(&dir)
            .arg("-C")
            .arg(dir.join("janus.jcfg"))
            .args(["--disable-colors"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start janus (run scripts/setup.sh: Debian janus): {e}"))?;
        let mut process = JanusProcess {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}/janus"),
            admin_key,
        };
        let start = Instant::now();
        loop {
            if ureq::get(&format!("{}/info", process.url))
                .timeout(Duration::from_secs(2))
                .call()
                .is_ok()
            {
                return Ok(process);
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!("janus exited ({status}): {}", process.log_tail()));
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(format!(
                    "janus did not answer in 20 s: {}",
                    process.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("janus.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for JanusProcess {
    fn drop(&mut self) {
        // SIGTERM: Janus' orderly stop; SIGKILL if it is still there after 5 s.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Events Janus sends on its own (not answers to a request of ours).
#[derive(Debug)]
pub enum Notice {
    /// The PeerConnection of this handle is up (ICE and DTLS done).
    WebrtcUp(u64),
    /// The PeerConnection of this handle is gone (closed, ICE failed, DTLS alert).
    Hangup(u64, String),
}

type Pending = Arc<Mutex<HashMap<String, Sender<Value>>>>;

/// A client of Janus' HTTP API: one session, a control handle, events by long poll.
pub struct Janus {
    url: String,
    session: u64,
    control: u64,
    admin_key: String,
    agent: ureq::Agent,
    pending: Pending,
    next: AtomicU64,
    stop: Arc<AtomicBool>,
}

fn id_of(answer: &Value) -> Result<u64, String> {
    answer["data"]["id"]
        .as_u64()
        .ok_or_else(|| format!("Janus answered without an id: {answer}"))
}

/// The plugin's answer inside a Janus message, or its error.
fn plugin_data(answer: &Value) -> Result<Value, String> {
    if answer["janus"] == "error" {
        return Err(format!("Janus error: {}", answer["error"]));
    }
    let data = &answer["plugindata"]["data"];
    if let Some(e) = data.get("error") {
        return Err(format!(
            "streaming plugin error {}: {e}",
            data["error_code"]
        ));
    }
    Ok(data.clone())
}

impl Janus {
    /// Opens a session on the Janus HTTP API at `url` (`http://host:port/janus`); Janus'
    /// own events go to `notices`.
    pub fn connect(
        url: &str,
        admin_key: &str,
        notices: Sender<Notice>,
    ) -> Result<Arc<Janus>, String> {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .build();
        let mut janus = Janus {
            url: url.trim_end_matches('/').to_string(),
            session: 0,
            control: 0,
            admin_key: admin_key.to_string(),
            agent,
            pending: Arc::default(),
            next: AtomicU64::new(1),
            stop: Arc::default(),
        };
        janus.session = id_of(&janus.post("", json!({"janus": "create"}))?)?;
        janus.control = janus.attach()?;
        let janus = Arc::new(janus);
        janus.spawn_event_loop(notices);
        Ok(janus)
    }

    fn post(&self, path: &str, mut body: Value) -> Result<Value, String> {
        let tx = format!("t{}", self.next.fetch_add(1, Ordering::SeqCst));
        body["transaction"] = json!(tx);
        self.post_tx(path, body)
    }

    fn post_tx(&self, path: &str, body: Value) -> Result<Value, String> {
        let url = if path.is_empty() {
            self.url.clone()
        } else {
            format!("{}/{path}", self.url)
        };
        let text = self
            .agent
            .post(&url)
            .timeout(Duration::from_secs(10))
            .send_string(&body.to_string())
            .map_err(|e| format!("Janus at {url}: {e}"))?
            .into_string()
            .map_err(|e| e.to_string())?;
        let answer: Value =
            serde_json::from_str(&text).map_err(|e| format!("Janus answered '{text}': {e}"))?;
        if answer["janus"] == "error" {
            return Err(format!("Janus error: {}", answer["error"]));
        }
        Ok(answer)
    }

    /// A new handle on the streaming plugin (one per viewer: one PeerConnection each).
    pub fn attach(&self) -> Result<u64, String> {
        id_of(&self.post(
            &self.session.to_string(),
            json!({"janus": "attach", "plugin": PLUGIN}),
        )?)
    }

    /// Drops a handle; Janus closes its PeerConnection.
    pub fn detach(&self, handle: u64) {
        if let Err(e) = self.post(
            &format!("{}/{handle}", self.session),
            json!({"janus": "detach"}),
        ) {
            eprintln!("janus: detach {handle}: {e}");
        }
    }

    /// A synchronous plugin request (`create`, `destroy`, `list`) on the control handle.
    fn request(&self, body: Value) -> Result<Value, String> {
        plugin_data(&self.post(
            &format!("{}/{}", self.session, self.control),
            json!({"janus": "message", "body": body}),
        )?)
    }

    /// An asynchronous plugin request on a viewer's handle; waits for its event and returns
    /// the plugin's data and the JSEP attached to it, if any.
    pub fn call(
        &self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<(Value, Option<Value>), String> {
        let tx = format!("t{}", self.next.fetch_add(1, Ordering::SeqCst));
        let (send, receive) = channel();
        self.pending.lock().unwrap().insert(tx.clone(), send);
        let mut message = json!({"janus": "message", "body": body, "transaction": tx});
        if let Some(jsep) = jsep {
            message["jsep"] = jsep;
        }
        let result = self
            .post_tx(&format!("{}/{handle}", self.session), message)
            .and_then(|_ack| {
                receive
                    .recv_timeout(Duration::from_secs(10))
                    .map_err(|_| format!("no answer from Janus in 10 s to {body}"))
            });
        self.pending.lock().unwrap().remove(&tx);
        let event = result?;
        Ok((plugin_data(&event)?, event.get("jsep").cloned()))
    }

    /// Creates an RTP mountpoint for one H.264 rendition; returns its id and the UDP port
    /// on 127.0.0.1 Janus listens on for it.
    pub fn create_mountpoint(&self, name: &str) -> Result<(u64, u16), String> {
        let data = self.request(json!({
            "request": "create", "admin_key": self.admin_key, "type": "rtp",
            "name": name, "description": name, "is_private": true,
            "media": [{"type": "video", "mid": "v", "port": 0, "iface": "127.0.0.1",
                       "pt": VIDEO_PT, "codec": "h264", "fmtp": VIDEO_FMTP}],
        }))?;
        let stream = &data["stream"];
        let id = stream["id"].as_u64();
        let port = stream["ports"][0]["port"].as_u64();
        match (id, port) {
            (Some(id), Some(port)) => Ok((id, port as u16)),
            _ => Err(format!(
                "Janus created a mountpoint without id or port: {data}"
            )),
        }
    }

    pub fn destroy_mountpoint(&self, id: u64) {
        if let Err(e) = self.request(json!({"request": "destroy", "id": id})) {
            eprintln!("janus: destroy mountpoint {id}: {e}");
        }
    }

    /// Long-polls the session: answers go to the waiting `call`, the rest to `notices`.
    /// A keep-alive every 20 s holds the session open.
    fn spawn_event_loop(self: &Arc<Self>, notices: Sender<Notice>) {
        let (url, agent) = (format!("{}/{}", self.url, self.session), self.agent.clone());
        let (pending, stop) = (self.pending.clone(), self.stop.clone());
        std::thread::spawn(move || {
            let mut last_keepalive = Instant::now();
            while !stop.load(Ordering::SeqCst) {
                if last_keepalive.elapsed() > Duration::from_secs(20) {
                    let _ = agent
                        .post(&url)
                        .send_string(r#"{"janus":"keepalive","transaction":"k"}"#);
                    last_keepalive = Instant::now();
                }
                let events = agent
                    .get(&format!("{url}?maxev=20"))
                    .timeout(Duration::from_secs(45))
                    .call()
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.into_string().map_err(|e| e.to_string()))
                    .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()));
                let events = match events {
                    Ok(Value::Array(list)) => list,
                    Ok(one) => vec![one],
                    Err(e) => {
                        if !stop.load(Ordering::SeqCst) {
                            eprintln!("janus: event poll: {e}");
                            std::thread::sleep(Duration::from_millis(500));
                        }
                        continue;
                    }
                };
                for event in events {
                    let handle = event["sender"].as_u64().unwrap_or(0);
                    let waiting = event["transaction"]
                        .as_str()
                        .and_then(|tx| pending.lock().unwrap().remove(tx));
                    match (event["janus"].as_str(), waiting) {
                        (Some("event"), Some(waiting)) => {
                            let _ = waiting.send(event);
                        }
                        (Some("webrtcup"), _) => {
                            let _ = notices.send(Notice::WebrtcUp(handle));
                        }
                        (Some("hangup"), _) => {
                            let reason = event["reason"].as_str().unwrap_or("").to_string();
                            let _ = notices.send(Notice::Hangup(handle, reason));
                        }
                        _ => {}
                    }
                }
            }
        });
    }

    /// Receiver half for [`Janus::connect`]'s notices.
    pub fn notices() -> (Sender<Notice>, Receiver<Notice>) {
        channel()
    }
}

impl Janus {
    /// Ends the session (Janus closes every viewer's PeerConnection) and the event loop.
    pub fn close(&self) {
        if !self.stop.swap(true, Ordering::SeqCst) {
            let _ = self.post(&self.session.to_string(), json!({"janus": "destroy"}));
        }
    }
}

impl Drop for Janus {
    fn drop(&mut self) {
        self.close();
    }
}
