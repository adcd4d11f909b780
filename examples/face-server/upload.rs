//! The upload half of the face server: receives a camera's cropped stream (H.264 over
//! RTP/UDP), runs `facedetect ! facequality ! faceidentify` on it, and when the upload ends
//! answers the camera over MQTT: per person the best key frame of the whole upload (JPEG)
//! and the identity.
//!
//! One upload at a time: it ends when the camera says so on `PREFIX/end` (and its last
//! packets are in), or after `idle` without packets; then the pipeline drains (EOS), the
//! per-track key frames and identities are merged into persons, the answers go out on
//! `PREFIX/answer`, and a fresh pipeline waits for the next upload on the same port.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gst::prelude::*;
use gst_video::prelude::*;
use gstfacekit::upload::{
    ANSWER_TOPIC, Answer, END_TOPIC, PersonAnswer, TrackResult, UploadDone, UploadEnd,
    group_persons, topic,
};
use gstfacekit::{IdentityMessage, KeyframeMessage, LinkEvent, MqttLink, MqttUrl};

pub struct UploadOptions {
    pub address: String,
    pub port: u16,
    /// Broker and topic prefix of the camera.
    pub answers: MqttUrl,
    pub gallery: Option<String>,
    /// Key frame window per track in ns (0: the whole track; persons merge tracks anyway).
    pub window_ns: u64,
    pub threshold: f64,
    pub idle: Duration,
    /// Record what arrived (Matroska, no re-encode); `{upload}` is the upload number.
    pub record: Option<String>,
}

/// The key frame of a track: what the answer needs of it.
struct Keyframe {
    timestamp: Option<gst::ClockTime>,
    sample: gst::Sample,
}

struct Counters {
    packets: AtomicU64,
    bytes: AtomicU64,
    frames: AtomicU64,
    last_packet: Mutex<Option<Instant>>,
}

/// What one upload gave.
struct Outcome {
    keyframes: BTreeMap<i32, (KeyframeMessage, Keyframe)>,
    identities: BTreeMap<i32, IdentityMessage>,
    packets: u64,
    bytes: u64,
    frames: u64,
    reason: &'static str,
}

fn description(o: &UploadOptions, port: u16, upload: u64) -> String {
    let record = o
        .record
        .as_ref()
        .map(|r| {
            format!(
                "t. ! queue ! matroskamux ! filesink location=\"{}\"",
                r.replace("{upload}", &upload.to_string())
            )
        })
        .unwrap_or_default();
    let gallery = o
        .gallery
        .as_ref()
        .map(|g| format!("gallery=\"{g}\""))
        .unwrap_or_default();
    format!(
        "udpsrc name=src address={addr} port={port} \
           caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96\" \
         ! rtpjitterbuffer latency=200 ! rtph264depay ! h264parse ! tee name=t {record} \
         t. ! queue ! avdec_h264 ! videoconvert ! facedetect landmarks=true \
         ! facequality message-interval=0 keyframe-window={w} \
         ! faceidentify {gallery} window={w} threshold={t} ! fakesink name=sink sync=false",
        addr = o.address,
        w = o.window_ns,
        t = o.threshold,
    )
}

fn jpeg_of(sample: &gst::Sample) -> Result<(u32, u32, Vec<u8>), String> {
    let caps = sample.caps().ok_or("key frame without caps")?;
    let info = gst_video::VideoInfo::from_caps(caps).map_err(|e| e.to_string())?;
    let buffer = sample.buffer().ok_or("key frame without buffer")?;
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
        .map_err(|e| e.to_string())?;
    let (w, h) = (info.width(), info.height());
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).map_err(|e| e.to_string())?;
    let row = w as usize * 3;
    let mut rgb = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        rgb.extend_from_slice(&data[y * stride..y * stride + row]);
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok((w, h, jpeg))
}

pub struct UploadServer {
    options: UploadOptions,
    ends: mpsc::Receiver<UploadEnd>,
    answers: MqttLink,
    _ends_link: MqttLink,
    port: u16,
    uploads: u64,
}

impl UploadServer {
    pub fn new(options: UploadOptions) -> Self {
        let (tx, ends) = mpsc::channel();
        let end_url = MqttUrl {
            topic: topic(&options.answers.topic, END_TOPIC),
            ..options.answers.clone()
        };
        let answer_url = MqttUrl {
            topic: topic(&options.answers.topic, ANSWER_TOPIC),
            ..options.answers.clone()
        };
        let shown = end_url.to_string();
        let ends_link = MqttLink::subscriber(&end_url, move |event| match event {
            LinkEvent::Message(payload) => match UploadEnd::parse(&payload) {
                Ok(end) => {
                    let _ = tx.send(end);
                }
                Err(e) => eprintln!("face-server: {e}"),
            },
            LinkEvent::Down(e) => eprintln!("face-server: broker {shown}: {e}"),
            _ => {}
        });
        let shown = answer_url.to_string();
        let answers = MqttLink::publisher(&answer_url, 256, move |event| {
            if let LinkEvent::Down(e) = event {
                eprintln!("face-server: broker {shown}: {e}");
            }
        });
        let port = options.port;
        Self {
            options,
            ends,
            answers,
            _ends_link: ends_link,
            port,
            uploads: 0,
        }
    }

    /// Runs uploads one after another; `ready` is called with the bound port once the first
    /// pipeline listens.
    pub fn run(mut self, ready: impl FnOnce(u16)) -> Result<(), String> {
        let mut ready = Some(ready);
        loop {
            self.uploads += 1;
            let upload = self.uploads;
            let (pipeline, counters) = self.listen(upload)?;
            if let Some(ready) = ready.take() {
                ready(self.port);
            }
            let outcome = self.receive(&pipeline, &counters);
            let _ = pipeline.set_state(gst::State::Null);
            match outcome {
                Ok(outcome) => self.answer(upload, outcome),
                Err(e) => {
                    // The camera still gets its done (with the reason) instead of a timeout.
                    eprintln!("face-server: upload {upload} failed: {e}");
                    let done = Answer::Done(UploadDone {
                        upload,
                        persons: 0,
                        packets: counters.packets.load(Ordering::Relaxed),
                        bytes: counters.bytes.load(Ordering::Relaxed),
                        frames: counters.frames.load(Ordering::Relaxed),
                        reason: format!("error: {e}"),
                    });
                    if let Err(e) = self.answers.publish(done.to_json()) {
                        eprintln!("face-server: answer not sent: {e}");
                    }
                }
            }
        }
    }

    fn listen(&mut self, upload: u64) -> Result<(gst::Pipeline, Arc<Counters>), String> {
        // An end notice left from an earlier upload must not end this one.
        while self.ends.try_recv().is_ok() {}
        let text = description(&self.options, self.port, upload);
        let pipeline = gst::parse::launch(&text)
            .map_err(|e| format!("server pipeline: {e}"))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| "server pipeline is not a pipeline")?;
        let counters = Arc::new(Counters {
            packets: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            last_packet: Mutex::new(None),
        });
        let src = pipeline.by_name("src").expect("named udpsrc");
        let c = counters.clone();
        src.static_pad("src").expect("udpsrc pad").add_probe(
            gst::PadProbeType::BUFFER,
            move |_, info| {
                if let Some(b) = info.buffer() {
                    c.packets.fetch_add(1, Ordering::Relaxed);
                    c.bytes.fetch_add(b.size() as u64, Ordering::Relaxed);
                    *c.last_packet.lock().unwrap() = Some(Instant::now());
                }
                gst::PadProbeReturn::Ok
            },
        );
        let c = counters.clone();
        pipeline
            .by_name("sink")
            .expect("named sink")
            .static_pad("sink")
            .expect("sink pad")
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                c.frames.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
        if pipeline.set_state(gst::State::Playing).is_err() {
            let bus = pipeline.bus().expect("bus");
            let why = bus
                .timed_pop_filtered(gst::ClockTime::from_seconds(5), &[gst::MessageType::Error])
                .and_then(|m| match m.view() {
                    gst::MessageView::Error(e) => Some(e.error().to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "cannot start".into());
            let _ = pipeline.set_state(gst::State::Null);
            return Err(format!("server pipeline: {why}"));
        }
        // udpsrc port=0 binds a free port and reports it; later uploads reuse it.
        self.port = src.property::<i32>("port") as u16;
        Ok((pipeline, counters))
    }

    fn receive(&self, pipeline: &gst::Pipeline, counters: &Counters) -> Result<Outcome, String> {
        let bus = pipeline.bus().expect("bus");
        let mut outcome = Outcome {
            keyframes: BTreeMap::new(),
            identities: BTreeMap::new(),
            packets: 0,
            bytes: 0,
            frames: 0,
            reason: "end",
        };
        let mut end: Option<(UploadEnd, Instant)> = None;
        let mut draining: Option<Instant> = None;
        loop {
            if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(50)) {
                match msg.view() {
                    gst::MessageView::Eos(_) => break,
                    gst::MessageView::Error(e) => {
                        return Err(format!("{} ({:?})", e.error(), e.debug()));
                    }
                    gst::MessageView::Element(e) => {
                        let Some(s) = e.structure() else { continue };
                        if let Ok(k) = KeyframeMessage::try_from(s) {
                            let keyframe = Keyframe {
                                timestamp: k.timestamp,
                                sample: k.sample.clone(),
                            };
                            outcome.keyframes.insert(k.track_id, (k, keyframe));
                        } else if let Ok(m) = IdentityMessage::try_from(s) {
                            outcome.identities.insert(m.track_id, m);
                        }
                    }
                    _ => {}
                }
            }
            if let Ok(e) = self.ends.try_recv() {
                end = Some((e, Instant::now()));
            }
            if draining.is_none() {
                let received = counters.packets.load(Ordering::Relaxed);
                let last = *counters.last_packet.lock().unwrap();
                let quiet = |since: Instant, d: Duration| {
                    last.map_or(since, |l| l.max(since)).elapsed() >= d
                };
                let close = match &end {
                    // The camera's last packets are in (or stopped coming for a second).
                    Some((e, at)) => {
                        (received >= e.packets && received > 0)
                            || quiet(*at, Duration::from_secs(1))
                    }
                    None => last.is_some_and(|l| l.elapsed() >= self.options.idle),
                };
                if close {
                    if end.is_none() {
                        outcome.reason = "idle";
                    }
                    if received == 0 {
                        break;
                    }
                    // Let the jitter buffer hand out what it holds, then drain.
                    std::thread::sleep(Duration::from_millis(300));
                    pipeline.send_event(gst::event::Eos::new());
                    draining = Some(Instant::now());
                }
            } else if draining.is_some_and(|d| d.elapsed() > Duration::from_secs(120)) {
                return Err("the pipeline did not drain within 120 s".into());
            }
        }
        outcome.packets = counters.packets.load(Ordering::Relaxed);
        outcome.bytes = counters.bytes.load(Ordering::Relaxed);
        outcome.frames = counters.frames.load(Ordering::Relaxed);
        Ok(outcome)
    }

    fn answer(&self, upload: u64, outcome: Outcome) {
        let mut tracks = Vec::new();
        for (track, (k, keyframe)) in outcome.keyframes {
            let id = outcome.identities.get(&track);
            if let Some(id) = id
                && id.timestamp != k.timestamp
            {
                eprintln!(
                    "face-server: track {track}: facequality and faceidentify chose different frames ({:?} vs {:?})",
                    k.timestamp, id.timestamp
                );
            }
            tracks.push(TrackResult {
                track_id: track,
                identity: id.map(|m| m.identity.clone()).unwrap_or_default(),
                result: id.map_or("unknown", |m| m.result.as_str()).to_string(),
                distance: id.map_or(-1.0, |m| m.distance),
                descriptor: id.and_then(|m| m.descriptor),
                quality: k.quality.overall,
                frames: k.frames,
                keyframe,
            });
        }
        let persons = group_persons(tracks, self.options.threshold);
        let mut sent = 0u32;
        for (i, p) in persons.iter().enumerate() {
            let (w, h, jpeg) = match jpeg_of(&p.best.keyframe.sample) {
                Ok(j) => j,
                Err(e) => {
                    eprintln!("face-server: person {i}: key image: {e}");
                    continue;
                }
            };
            let answer = Answer::Person(PersonAnswer {
                upload,
                person: i as u32,
                identity: p.identity.clone(),
                result: p.result.clone(),
                distance: p.distance,
                threshold: self.options.threshold,
                quality: p.best.quality,
                tracks: p.tracks.clone(),
                frames: p.frames,
                timestamp_ns: p.best.keyframe.timestamp.map(|t| t.nseconds()),
                image_width: w,
                image_height: h,
                jpeg: PersonAnswer::encode_jpeg(&jpeg),
            });
            match self.answers.publish(answer.to_json()) {
                Ok(()) => sent += 1,
                Err(e) => eprintln!("face-server: answer not sent: {e}"),
            }
            println!(
                "ANSWER upload {upload} person {i}: {} '{}' distance {:.3} quality {:.4} tracks {:?} ({}x{} JPEG, {} bytes)",
                p.result,
                p.identity,
                p.distance,
                p.best.quality,
                p.tracks,
                w,
                h,
                jpeg.len()
            );
        }
        let done = UploadDone {
            upload,
            persons: sent,
            packets: outcome.packets,
            bytes: outcome.bytes,
            frames: outcome.frames,
            reason: outcome.reason.into(),
        };
        if let Err(e) = self.answers.publish(Answer::Done(done.clone()).to_json()) {
            eprintln!("face-server: answer not sent: {e}");
        }
        println!(
            "DONE upload {upload}: {} persons, {} packets, {} bytes, {} frames ({})",
            done.persons, done.packets, done.bytes, done.frames, done.reason
        );
    }
}

/// Parses `--window SECONDS`.
pub fn window_ns(text: &str) -> Result<u64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| (s * 1e9) as u64)
        .ok_or_else(|| format!("--window '{text}' is not a number of seconds >= 0"))
}
