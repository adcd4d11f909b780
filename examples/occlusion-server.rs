//! A live-occlusion server for media engineers: one ingest, detection once, one encoded
//! rendition per (level, unlocked regions) shared by every viewer there, pushed to an RTMP
//! server. Viewers' behaviour events raise their level through a policy; renditions are
//! created on first use and torn down when their last viewer leaves.
//!
//!   cargo run --release --example occlusion-server -- [--start-nginx] [--port 19350]
//!       [--http 127.0.0.1:8089] [--source carphone|astronaut|rtmp://...]
//!       [--policy "likes >= 1 -> level 1; ..."] [--priority eyes,mouth,...]
//!
//! Commands, one per line on stdin or as HTTP GETs on the --http address:
//!   play VIEWER                 -> the RTMP URL VIEWER should play   (GET /play?viewer=V)
//!   event VIEWER KIND AMOUNT    -> records behaviour, answers the URL (GET /event?viewer=V&kind=K&amount=A)
//!   leave VIEWER                                                      (GET /leave?viewer=V)
//!   list                        -> renditions and their viewers       (GET /list)
//! KIND: interactions likes comments shares tips reading payment.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex};

use gst::prelude::*;
use gstfacekit::faceocclude::regions::{format_region_list, parse_region_list};
use gstfacekit::faceocclude::{Behaviour, LevelPlan, Policy, Region};

const DEFAULT_POLICY: &str = "interactions >= 1 -> level 1; likes >= 1 -> level 2; \
    comments >= 1 -> level 3; shares >= 1 -> level 4; reading >= 50 -> level 5; \
    tips >= 5 -> level 6; payment >= 5 -> unlock eyes; payment >= 20 -> level max";
const DEFAULT_PRIORITY: &str = "eyes,mouth,nose,brows,cheeks,forehead,chin,face";

/// One encoded rendition: a bin hanging off the tee.
struct Rendition {
    tee_pad: gst::Pad,
    bin: gst::Bin,
    viewers: usize,
}

struct Server {
    pipeline: gst::Pipeline,
    tee: gst::Element,
    rtmp_base: String,
    priority: Vec<Region>,
    policy: Policy,
    viewers: BTreeMap<String, (Behaviour, String)>,
    renditions: BTreeMap<String, Rendition>,
    teardowns: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    /// The rendition (stream name) a viewer's behaviour maps to.
    fn rendition_for(&self, behaviour: &Behaviour) -> (String, u32, Vec<Region>) {
        let plan = LevelPlan {
            priority: self.priority.clone(),
            unlock: vec![],
            level: 0,
            level_step: 0.1,
        };
        let decision = self.policy.evaluate(behaviour);
        let level = decision.level.unwrap_or(0).min(plan.max_level());
        let mut unlock: Vec<Region> = decision
            .unlock
            .into_iter()
            .filter(|r| !self.priority[..level as usize].contains(r))
            .collect();
        unlock.sort();
        let name = if unlock.is_empty() || level == plan.max_level() {
            format!("level-{level}")
        } else {
            format!(
                "level-{level}+{}",
                format_region_list(&unlock).replace(',', "+")
            )
        };
        (name, level, unlock)
    }

    fn add_rendition(&mut self, name: &str, level: u32, unlock: &[Region]) -> Result<(), String> {
        let make = |factory: &str| {
            gst::ElementFactory::make(factory)
                .build()
                .map_err(|e| format!("{factory}: {e}"))
        };
        let queue = make("queue")?;
        let occlude = make("faceocclude")?;
        occlude.set_property("priority", format_region_list(&self.priority));
        occlude.set_property("level", level);
        occlude.set_property("unlock", format_region_list(unlock));
        let convert = make("videoconvert")?;
        let enc = make("x264enc")?;
        enc.set_property_from_str("tune", "zerolatency");
        enc.set_property_from_str("speed-preset", "ultrafast");
        enc.set_property("key-int-max", 30u32);
        let mux = make("flvmux")?;
        mux.set_property("streamable", true);
        let sink = make("rtmpsink")?;
        sink.set_property("location", format!("{}/{name}", self.rtmp_base));
        let elements = vec![queue, occlude, convert, enc, mux, sink];
        let bin = gst::Bin::with_name(name);
        bin.add_many(&elements).map_err(|e| e.to_string())?;
        gst::Element::link_many(&elements).map_err(|e| e.to_string())?;
        let ghost = gst::GhostPad::with_target(&elements[0].static_pad("sink").unwrap())
            .map_err(|e| e.to_string())?;
        bin.add_pad(&ghost).map_err(|e| e.to_string())?;
        self.pipeline.add(&bin).map_err(|e| e.to_string())?;
        bin.sync_state_with_parent().map_err(|e| e.to_string())?;
        let tee_pad = self.tee.request_pad_simple("src_%u").ok_or("no tee pad")?;
        tee_pad.link(&ghost).map_err(|e| e.to_string())?;
        eprintln!("rendition {name} created");
        self.renditions.insert(
            name.to_string(),
            Rendition {
                tee_pad,
                bin,
                viewers: 0,
            },
        );
        Ok(())
    }

    fn remove_rendition(&mut self, name: &str) {
        let Some(r) = self.renditions.remove(name) else {
            return;
        };
        // Unlink at an idle point of the tee pad so no buffer is in flight, then stop the
        // bin (sinks first) off the streaming thread and drop it from the pipeline.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let tee = self.tee.clone();
        let sink_pad = r.bin.static_pad("sink").unwrap();
        r.tee_pad.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
            let _ = pad.unlink(&sink_pad);
            tee.release_request_pad(pad);
            let _ = done_tx.send(());
            gst::PadProbeReturn::Remove
        });
        let (pipeline, bin, name) = (self.pipeline.clone(), r.bin, name.to_string());
        self.teardowns.push(std::thread::spawn(move || {
            let _ = done_rx.recv_timeout(std::time::Duration::from_secs(5));
            let _ = bin.set_state(gst::State::Null);
            let _ = pipeline.remove(&bin);
            eprintln!("rendition {name} torn down");
        }));
    }

    fn assign(&mut self, viewer: &str) -> Result<String, String> {
        let behaviour = self.viewers.get(viewer).map(|v| v.0).unwrap_or_default();
        let (name, level, unlock) = self.rendition_for(&behaviour);
        let old = self.viewers.get(viewer).map(|v| v.1.clone());
        if old.as_deref() != Some(name.as_str()) {
            if !self.renditions.contains_key(&name) {
                self.add_rendition(&name, level, &unlock)?;
            }
            self.renditions.get_mut(&name).unwrap().viewers += 1;
            if let Some(old) = old {
                self.leave_rendition(&old);
            }
        }
        self.viewers
            .insert(viewer.to_string(), (behaviour, name.clone()));
        Ok(format!("{}/{name}", self.rtmp_base))
    }

    fn leave_rendition(&mut self, name: &str) {
        if let Some(r) = self.renditions.get_mut(name) {
            r.viewers -= 1;
            if r.viewers == 0 {
                self.remove_rendition(name);
            }
        }
    }

    fn command(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            ["play", viewer] => self.assign(viewer),
            ["event", viewer, kind, amount] => {
                let amount: f64 = match amount.parse() {
                    Ok(a) => a,
                    Err(_) => return format!("error: amount '{amount}' is not a number"),
                };
                let entry = self
                    .viewers
                    .entry(viewer.to_string())
                    .or_insert_with(|| (Behaviour::default(), String::new()));
                match entry.0.record(kind, amount) {
                    Ok(()) => self.assign(viewer),
                    Err(e) => Err(e),
                }
            }
            ["leave", viewer] => match self.viewers.remove(*viewer) {
                Some((_, name)) => {
                    self.leave_rendition(&name);
                    Ok("bye".into())
                }
                None => Err(format!("unknown viewer '{viewer}'")),
            },
            ["list"] => Ok(self
                .renditions
                .iter()
                .map(|(n, r)| format!("{n}: {} viewer(s)", r.viewers))
                .collect::<Vec<_>>()
                .join("\n")),
            _ => Err(format!(
                "unknown command '{line}' (play, event, leave, list)"
            )),
        };
        result.unwrap_or_else(|e| format!("error: {e}"))
    }
}

fn http_to_command(request: &str) -> Option<String> {
    let target = request.lines().next()?.split_whitespace().nth(1)?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: BTreeMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let p = |k: &str| params.get(k).copied().unwrap_or("");
    Some(match path {
        "/play" => format!("play {}", p("viewer")),
        "/event" => format!("event {} {} {}", p("viewer"), p("kind"), p("amount")),
        "/leave" => format!("leave {}", p("viewer")),
        "/list" => "list".into(),
        _ => return None,
    })
}

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let port: u16 = opt("--port")
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(19350);
    let policy = Policy::parse(&opt("--policy").unwrap_or_else(|| DEFAULT_POLICY.into()))?;
    let priority =
        parse_region_list(&opt("--priority").unwrap_or_else(|| DEFAULT_PRIORITY.into()))?;
    let source = opt("--source").unwrap_or_else(|| "astronaut".into());
    let root = env!("CARGO_MANIFEST_DIR");
    let ingest = match source.as_str() {
        "astronaut" => format!(
            "filesrc location={root}/samples/astronaut.png ! pngdec ! imagefreeze ! videorate ! video/x-raw,framerate=30/1"
        ),
        "carphone" => format!(
            "filesrc location={root}/samples/carphone_pristine.mp4 ! qtdemux ! h264parse ! avdec_h264"
        ),
        url => format!("rtmpsrc location={url} ! flvdemux ! h264parse ! avdec_h264"),
    };
    let nginx = if args.iter().any(|a| a == "--start-nginx") {
        Some(start_nginx(port)?)
    } else {
        None
    };

    gst::init()?;
    gstfacekit::plugin_register_static()?;
    // A fakesink branch keeps the tee flowing while no viewer is connected.
    let pipeline = gst::parse::launch(&format!(
        "{ingest} ! videoconvert ! video/x-raw,format=I420 ! facedetect updates=none ! tee name=t allow-not-linked=true \
         t. ! queue ! fakesink sync=true"
    ))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline")?;
    let tee = pipeline.by_name("t").ok_or("no tee")?;
    let server = Arc::new(Mutex::new(Server {
        pipeline: pipeline.clone(),
        tee,
        rtmp_base: format!("rtmp://127.0.0.1:{port}/live"),
        priority,
        policy,
        viewers: BTreeMap::new(),
        renditions: BTreeMap::new(),
        teardowns: Vec::new(),
    }));
    pipeline.set_state(gst::State::Playing)?;

    if let Some(addr) = opt("--http") {
        let listener = std::net::TcpListener::bind(&addr)?;
        eprintln!("HTTP on http://{addr}/play?viewer=NAME");
        let server = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 2048];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = match http_to_command(&request) {
                    Some(cmd) => ("200 OK", server.lock().unwrap().command(&cmd)),
                    None => (
                        "404 Not Found",
                        "try /play, /event, /leave, /list".to_string(),
                    ),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
                    body.len() + 1
                );
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
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(200)) {
            match msg.view() {
                gst::MessageView::Error(e) => {
                    eprintln!("error: {} ({:?})", e.error(), e.debug());
                    break;
                }
                gst::MessageView::Eos(_) => break,
                _ => {}
            }
        }
    }
    let teardowns = std::mem::take(&mut server.lock().unwrap().teardowns);
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
    Ok(())
}
