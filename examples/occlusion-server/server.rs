//! Renditions and viewers: one encoded rendition per (level, unlocked regions), created on
//! first use and torn down when its last viewer leaves; each viewer's behaviour picks its
//! rendition through the policy. Egress per rendition: RTMP (a stream on the RTMP server)
//! and/or WebRTC (an RTP mountpoint on Janus; viewers switch with the `switch` request).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gst::prelude::*;
use gstfacekit::format_region_list;
use gstfacekit::{Behaviour, LevelPlan, Policy, Region};
use serde_json::{Value, json};

use crate::janus::{Janus, VIDEO_PT};
use crate::payment::{Refusal, Shop, format_amount};

/// Where renditions go.
pub struct Egress {
    /// `rtmp://host:port/app`; each rendition is published as `<base>/<rendition>`.
    pub rtmp: Option<String>,
    pub janus: Option<Arc<Janus>>,
}

/// One encoded rendition: a bin hanging off the tee.
struct Rendition {
    tee_pad: gst::Pad,
    bin: gst::Bin,
    encoder: gst::Element,
    viewers: usize,
    /// Janus mountpoint id (WebRTC egress).
    mountpoint: Option<u64>,
}

#[derive(Default)]
struct Viewer {
    behaviour: Behaviour,
    /// Empty while the viewer watches nothing.
    rendition: String,
    /// Janus handle of the viewer's PeerConnection (WebRTC egress).
    handle: Option<u64>,
    /// Watching time: the current connection since, and earlier connections.
    watching_since: Option<Instant>,
    watched: Duration,
}

impl Viewer {
    fn watch_seconds(&self) -> f64 {
        let now = self.watching_since.map_or(Duration::ZERO, |t| t.elapsed());
        (self.watched + now).as_secs() as f64
    }
}

pub struct Server {
    pipeline: gst::Pipeline,
    tee: gst::Element,
    egress: Egress,
    priority: Vec<Region>,
    policy: Policy,
    viewers: BTreeMap<String, Viewer>,
    renditions: BTreeMap<String, Rendition>,
    /// Renditions being torn down, by name.
    teardowns: Vec<(String, std::thread::JoinHandle<()>)>,
    /// Frames the ingest delivered to the renditions' tee (for `stats`).
    frames: Arc<AtomicU64>,
    shop: Shop,
    /// Regions each viewer bought; kept when the viewer leaves (a reload keeps them).
    purchases: BTreeMap<String, Vec<Region>>,
    /// Each viewer's last payment outcome, for their page.
    last_payment: BTreeMap<String, Value>,
}

/// Viewer names travel in URLs and stream names: keep them plain.
fn check_name(viewer: &str) -> Result<(), String> {
    let ok = !viewer.is_empty()
        && viewer.len() <= 64
        && viewer
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "viewer name '{viewer}' must be 1-64 characters of A-Z a-z 0-9 - _ ."
        ))
    }
}

/// An upstream force-key-unit event: the rendition's next frame is a key frame (with SPS
/// and PPS), so a viewer just switched to it decodes from its first frame.
fn force_keyframe(encoder: &gst::Element) {
    let event = gst_video::UpstreamForceKeyUnitEvent::builder()
        .all_headers(true)
        .build();
    let Some(pad) = encoder.static_pad("src") else {
        return;
    };
    // Logged: how long the key frame took (frames in between were not decodable for the
    // switched viewer).
    let (asked, frames) = (Instant::now(), AtomicU64::new(0));
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let frames = frames.fetch_add(1, Ordering::Relaxed) + 1;
        let key = info
            .buffer()
            .is_some_and(|b| !b.flags().contains(gst::BufferFlags::DELTA_UNIT));
        if key || frames > 90 {
            eprintln!(
                "key frame {} after {frames} frame(s), {} ms",
                if key { "came" } else { "did not come" },
                asked.elapsed().as_millis()
            );
            return gst::PadProbeReturn::Remove;
        }
        gst::PadProbeReturn::Ok
    });
    if !pad.send_event(event) {
        eprintln!("the encoder refused the key frame request");
    }
}

impl Server {
    pub fn new(
        pipeline: gst::Pipeline,
        tee: gst::Element,
        egress: Egress,
        priority: Vec<Region>,
        policy: Policy,
        shop: Shop,
    ) -> Server {
        let frames = Arc::new(AtomicU64::new(0));
        let counter = frames.clone();
        if let Some(pad) = tee.static_pad("sink") {
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                counter.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
        }
        Server {
            pipeline,
            tee,
            egress,
            priority,
            policy,
            viewers: BTreeMap::new(),
            renditions: BTreeMap::new(),
            teardowns: Vec::new(),
            frames,
            shop,
            purchases: BTreeMap::new(),
            last_payment: BTreeMap::new(),
        }
    }

    fn plan(&self, level: u32, unlock: &[Region]) -> LevelPlan {
        LevelPlan {
            priority: self.priority.clone(),
            unlock: unlock.to_vec(),
            level,
            level_step: 0.1,
        }
    }

    /// The rendition (stream name) a viewer's behaviour and bought regions map to.
    fn rendition_for(&self, behaviour: &Behaviour, paid: &[Region]) -> (String, u32, Vec<Region>) {
        let max_level = self.plan(0, &[]).max_level();
        let decision = self.policy.evaluate(behaviour);
        let level = decision.level.unwrap_or(0).min(max_level);
        let mut unlock: Vec<Region> = decision
            .unlock
            .into_iter()
            .chain(paid.iter().copied())
            .filter(|r| !self.priority[..level as usize].contains(r))
            .collect();
        unlock.sort();
        unlock.dedup();
        let name = if unlock.is_empty() || level == max_level {
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
        // The same rendition wanted again while its old bin is still being torn down (a
        // viewer left and came back): its bin name, RTMP stream and mountpoint are still
        // taken, so wait for the teardown (bounded: it gives up after 5 s).
        let (pending, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.teardowns)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.teardowns = rest;
        for (_, teardown) in pending {
            let _ = teardown.join();
        }
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
        let encoder = make("x264enc")?;
        encoder.set_property_from_str("tune", "zerolatency");
        encoder.set_property_from_str("speed-preset", "ultrafast");
        encoder.set_property("key-int-max", 30u32);
        encoder.set_property("bitrate", 800u32);
        // Constrained baseline: what every WebRTC H.264 decoder takes (Janus' fmtp says so).
        let profile = gst::ElementFactory::make("capsfilter")
            .property(
                "caps",
                gst::Caps::builder("video/x-h264")
                    .field("profile", "constrained-baseline")
                    .build(),
            )
            .build()
            .map_err(|e| e.to_string())?;
        let out = make("tee")?;
        let bin = gst::Bin::with_name(name);
        let chain = [
            queue,
            occlude,
            convert,
            encoder.clone(),
            profile,
            out.clone(),
        ];
        bin.add_many(&chain).map_err(|e| e.to_string())?;
        gst::Element::link_many(&chain).map_err(|e| e.to_string())?;

        let mut branches: Vec<Vec<gst::Element>> = Vec::new();
        if let Some(base) = &self.egress.rtmp {
            let mux = make("flvmux")?;
            mux.set_property("streamable", true);
            let sink = make("rtmpsink")?;
            sink.set_property("location", format!("{base}/{name}"));
            branches.push(vec![make("queue")?, mux, sink]);
        }
        let mut mountpoint = None;
        if let Some(janus) = &self.egress.janus {
            let (id, port) = janus.create_mountpoint(name)?;
            mountpoint = Some(id);
            let pay = make("rtph264pay")?;
            // SPS/PPS in front of every key frame: a switched viewer needs them.
            pay.set_property("config-interval", -1i32);
            pay.set_property("pt", VIDEO_PT);
            let sink = make("udpsink")?;
            sink.set_property("host", "127.0.0.1");
            sink.set_property("port", port as i32);
            // Paced by the ingest's own sink (see main.rs), not by the clock here: a
            // rendition added later would wait for the tee's lead over the clock (up to its
            // queue) before sending its first frame, a freeze after each switch.
            sink.set_property("sync", false);
            branches.push(vec![make("queue")?, pay, sink]);
        }
        // Logged: how long a new rendition takes to produce its first encoded frame.
        let created_at = Instant::now();
        let label = name.to_string();
        encoder
            .static_pad("src")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                eprintln!(
                    "rendition {label}: first encoded frame {} ms after creation",
                    created_at.elapsed().as_millis()
                );
                gst::PadProbeReturn::Remove
            });
        for branch in &branches {
            bin.add_many(branch).map_err(|e| e.to_string())?;
            gst::Element::link_many(branch).map_err(|e| e.to_string())?;
            out.link(&branch[0]).map_err(|e| e.to_string())?;
        }
        let ghost = gst::GhostPad::with_target(&chain[0].static_pad("sink").unwrap())
            .map_err(|e| e.to_string())?;
        bin.add_pad(&ghost).map_err(|e| e.to_string())?;
        self.pipeline.add(&bin).map_err(|e| e.to_string())?;
        bin.sync_state_with_parent().map_err(|e| e.to_string())?;
        // Linked to the tee by `start_rendition`, once viewers are switched to it.
        let tee_pad = self.tee.request_pad_simple("src_%u").ok_or("no tee pad")?;
        match mountpoint {
            Some(id) => eprintln!("rendition {name} created (Janus mountpoint {id})"),
            None => eprintln!("rendition {name} created"),
        }
        self.renditions.insert(
            name.to_string(),
            Rendition {
                tee_pad,
                bin,
                encoder,
                viewers: 0,
                mountpoint,
            },
        );
        Ok(())
    }

    /// Frames start flowing into the rendition; its encoder's first frame is a key frame.
    fn start_rendition(&mut self, name: &str) -> Result<(), String> {
        let r = &self.renditions[name];
        let sink = r
            .bin
            .static_pad("sink")
            .ok_or("rendition without a sink pad")?;
        r.tee_pad.link(&sink).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn remove_rendition(&mut self, name: &str) {
        let Some(r) = self.renditions.remove(name) else {
            return;
        };
        // Unlink at an idle point of the tee pad so no buffer is in flight, then stop the
        // bin (sinks first) off the streaming thread, drop it from the pipeline and only
        // then destroy its mountpoint (no packets sent to a closed port).
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
        let janus = self.egress.janus.clone();
        let mountpoint = r.mountpoint;
        self.teardowns.retain(|(_, t)| !t.is_finished());
        let label = name.clone();
        self.teardowns.push((
            label,
            std::thread::spawn(move || {
                let _ = done_rx.recv_timeout(std::time::Duration::from_secs(5));
                let _ = bin.set_state(gst::State::Null);
                let _ = pipeline.remove(&bin);
                if let (Some(janus), Some(id)) = (janus, mountpoint) {
                    janus.destroy_mountpoint(id);
                }
                eprintln!("rendition {name} torn down");
            }),
        ));
    }

    /// Puts `viewer` on the rendition its behaviour maps to; a WebRTC viewer's handle is
    /// switched there. Answers the RTMP URL (RTMP egress) or the rendition name.
    fn assign(&mut self, viewer: &str) -> Result<String, String> {
        check_name(viewer)?;
        let received = Instant::now();
        let behaviour = self
            .viewers
            .get(viewer)
            .map(|v| v.behaviour)
            .unwrap_or_default();
        let paid = self.purchases.get(viewer).cloned().unwrap_or_default();
        let (name, level, unlock) = self.rendition_for(&behaviour, &paid);
        let entry = self.viewers.entry(viewer.to_string()).or_default();
        if entry.watching_since.is_none() {
            entry.watching_since = Some(received);
        }
        let (old, handle) = (entry.rendition.clone(), entry.handle);
        if old != name {
            let created = !self.renditions.contains_key(&name);
            if created {
                self.add_rendition(&name, level, &unlock)?;
            }
            let new = self.renditions.get_mut(&name).unwrap();
            new.viewers += 1;
            let (mountpoint, encoder) = (new.mountpoint, new.encoder.clone());
            if let (Some(handle), Some(janus), Some(id)) =
                (handle, self.egress.janus.clone(), mountpoint)
            {
                match janus.call(handle, json!({"request": "switch", "id": id}), None) {
                    Ok(_) => {
                        // A new rendition starts with a key frame after the switch (below);
                        // a running one is asked for one now.
                        if !created {
                            force_keyframe(&encoder);
                        }
                        eprintln!(
                            "viewer {viewer}: switched {old} -> {name} in {} ms (same PeerConnection)",
                            received.elapsed().as_millis()
                        );
                    }
                    Err(e) => {
                        // Fail closed: a viewer who cannot be switched loses the stream
                        // rather than keep one that is not theirs; the page reconnects.
                        eprintln!("viewer {viewer}: switch to {name} failed ({e}); hanging up");
                        janus.detach(handle);
                        self.viewers.get_mut(viewer).unwrap().handle = None;
                    }
                }
            }
            if created {
                self.start_rendition(&name)?;
            }
            if !old.is_empty() {
                self.leave_rendition(&old);
            }
        }
        let entry = self.viewers.get_mut(viewer).unwrap();
        entry.behaviour = behaviour;
        entry.rendition = name.clone();
        Ok(match &self.egress.rtmp {
            Some(base) => format!("{base}/{name}"),
            None => name,
        })
    }

    fn leave_rendition(&mut self, name: &str) {
        if let Some(r) = self.renditions.get_mut(name) {
            r.viewers -= 1;
            if r.viewers == 0 {
                self.remove_rendition(name);
            }
        }
    }

    /// The viewer stops watching (left, or their PeerConnection is gone); their behaviour
    /// is kept when `forget` is false, so a reconnect comes back at the same level.
    fn stop_watching(&mut self, viewer: &str, forget: bool) -> Result<(), String> {
        let entry = self
            .viewers
            .get_mut(viewer)
            .ok_or_else(|| format!("unknown viewer '{viewer}'"))?;
        let rendition = std::mem::take(&mut entry.rendition);
        if let Some(since) = entry.watching_since.take() {
            entry.watched += since.elapsed();
        }
        if let (Some(handle), Some(janus)) = (entry.handle.take(), &self.egress.janus) {
            janus.detach(handle);
        }
        if forget {
            self.viewers.remove(viewer);
        }
        if !rendition.is_empty() {
            self.leave_rendition(&rendition);
        }
        Ok(())
    }

    /// WebRTC: a new PeerConnection for `viewer` on their rendition's mountpoint; answers
    /// Janus' JSEP offer (the page answers it with [`Server::webrtc_answer`]).
    pub fn webrtc_offer(&mut self, viewer: &str) -> Result<Value, String> {
        let janus = self
            .egress
            .janus
            .clone()
            .ok_or("WebRTC egress is off (start the server with --egress webrtc)")?;
        check_name(viewer)?;
        // A reload: the old PeerConnection goes, the behaviour stays.
        if self.viewers.get(viewer).is_some_and(|v| v.handle.is_some()) {
            self.stop_watching(viewer, false)?;
        }
        self.assign(viewer)?;
        let name = self.viewers[viewer].rendition.clone();
        let id = self.renditions[&name]
            .mountpoint
            .ok_or("rendition without a mountpoint")?;
        let handle = janus.attach()?;
        let (_, jsep) = match janus.call(handle, json!({"request": "watch", "id": id}), None) {
            Ok(answer) => answer,
            Err(e) => {
                janus.detach(handle);
                return Err(e);
            }
        };
        self.viewers.get_mut(viewer).unwrap().handle = Some(handle);
        eprintln!("viewer {viewer}: watching {name} (Janus handle {handle})");
        jsep.ok_or_else(|| "Janus sent no offer for watch".to_string())
    }

    pub fn webrtc_answer(&mut self, viewer: &str, sdp: &str) -> Result<String, String> {
        let janus = self.egress.janus.clone().ok_or("WebRTC egress is off")?;
        let handle = self
            .viewers
            .get(viewer)
            .and_then(|v| v.handle)
            .ok_or_else(|| format!("viewer '{viewer}' has no pending offer"))?;
        janus.call(
            handle,
            json!({"request": "start"}),
            Some(json!({"type": "answer", "sdp": sdp})),
        )?;
        Ok("started".into())
    }

    fn viewer_of(&self, handle: u64) -> Option<String> {
        self.viewers
            .iter()
            .find(|(_, v)| v.handle == Some(handle))
            .map(|(name, _)| name.clone())
    }

    pub fn webrtc_up(&self, handle: u64) {
        if let Some(viewer) = self.viewer_of(handle) {
            eprintln!("viewer {viewer}: PeerConnection up (ICE + DTLS done)");
        }
    }

    /// Janus hung up a viewer's PeerConnection (page closed, ICE failed).
    pub fn hangup(&mut self, handle: u64, reason: &str) {
        if let Some(viewer) = self.viewer_of(handle) {
            eprintln!("viewer {viewer}: PeerConnection closed ({reason})");
            let _ = self.stop_watching(&viewer, false);
        }
    }

    /// What the viewer page shows: level, regions unlocked and still covered, bought
    /// regions, the last payment's outcome, watching time.
    pub fn state(&self, viewer: &str) -> Result<Value, String> {
        let v = self
            .viewers
            .get(viewer)
            .ok_or_else(|| format!("unknown viewer '{viewer}'"))?;
        let paid = self.purchases.get(viewer).cloned().unwrap_or_default();
        let (name, level, unlock) = self.rendition_for(&v.behaviour, &paid);
        let plan = self.plan(level, &unlock);
        let coverage = plan.coverage();
        let names = |rs: &[Region]| rs.iter().map(|r| r.name()).collect::<Vec<_>>();
        Ok(json!({
            "viewer": viewer,
            "rendition": name,
            "level": level,
            "max_level": plan.max_level(),
            "uncovered": names(&coverage.uncovered),
            "covered": names(&coverage.covered),
            "connected": v.handle.is_some(),
            "paid": names(&paid),
            "last_payment": self.last_payment.get(viewer),
            "watch_seconds": v.watch_seconds(),
        }))
    }

    /// `POST /viewers/{viewer}/unlock?region=R`: the viewer buys region R with `receipt`
    /// (the payment provider's receipt, as sent) and its `signature`. Success uncovers R for
    /// this viewer on top of their level (another rendition; a WebRTC viewer is switched);
    /// a refusal changes nothing. Answers the HTTP status and the JSON reply.
    pub fn unlock(
        &mut self,
        viewer: &str,
        region: &str,
        receipt: &[u8],
        signature: &str,
    ) -> (u16, Value) {
        if let Err(e) = check_name(viewer) {
            return (
                400,
                json!({"result": "payment unsuccessful", "code": "bad-viewer", "reason": e}),
            );
        }
        let before = self.viewers.get(viewer).map(|v| v.rendition.clone());
        let (status, reply) = match self.shop.check(viewer, region, receipt, signature) {
            Err(refusal) => {
                eprintln!(
                    "payment unsuccessful: viewer {viewer} region {region}: {} ({})",
                    refusal.reason(),
                    refusal.code()
                );
                let status = match refusal {
                    Refusal::NotConfigured => 503,
                    Refusal::UnknownRegion(_) | Refusal::NotForSale(_) => 400,
                    _ => 402,
                };
                (
                    status,
                    json!({"result": "payment unsuccessful", "code": refusal.code(),
                           "reason": refusal.reason(), "viewer": viewer, "region": region,
                           "rendition": before}),
                )
            }
            Ok((bought, receipt)) => {
                let paid = self.purchases.entry(viewer.to_string()).or_default();
                if !paid.contains(&bought) {
                    paid.push(bought);
                }
                eprintln!(
                    "payment: viewer {viewer} bought {region} with receipt {} ({} {})",
                    receipt.id,
                    format_amount(receipt.amount),
                    receipt.currency
                );
                // The viewer's stream changes now if they watch; otherwise on their next
                // play or offer.
                let watching = before.as_ref().is_some_and(|r| !r.is_empty());
                let switched = if watching {
                    Some(self.assign(viewer))
                } else {
                    None
                };
                let state = self.state(viewer).ok();
                let mut reply = json!({"result": "unlocked", "viewer": viewer, "region": region,
                    "receipt": receipt.id, "amount": format_amount(receipt.amount),
                    "currency": receipt.currency, "state": state});
                match switched {
                    Some(Ok(stream)) => {
                        reply["stream"] = stream.into();
                        (200, reply)
                    }
                    // Paid and recorded: the next play or offer gets it.
                    Some(Err(e)) => {
                        reply["error"] = format!("the stream could not be switched: {e}").into();
                        (500, reply)
                    }
                    None => (200, reply),
                }
            }
        };
        self.last_payment.insert(viewer.to_string(), reply.clone());
        (status, reply)
    }

    /// Feeds every watching viewer's `watch-seconds` (whole seconds of watching time) and
    /// moves them when the policy now gives them another rendition. Called every second.
    pub fn tick_watch_time(&mut self) {
        let watching: Vec<String> = self
            .viewers
            .iter()
            .filter(|(_, v)| !v.rendition.is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        for viewer in watching {
            let v = self.viewers.get_mut(&viewer).unwrap();
            let seconds = v.watch_seconds();
            let _ = v.behaviour.record("watch-seconds", seconds);
            let (behaviour, current) = (v.behaviour, v.rendition.clone());
            let paid = self.purchases.get(&viewer).cloned().unwrap_or_default();
            if self.rendition_for(&behaviour, &paid).0 != current {
                match self.assign(&viewer) {
                    Ok(stream) => eprintln!("viewer {viewer}: {seconds} s watched -> {stream}"),
                    Err(e) => eprintln!("viewer {viewer}: {seconds} s watched, move failed: {e}"),
                }
            }
        }
    }

    /// Payment outcomes, prices and currency (`GET /payments`).
    pub fn payments(&self) -> Value {
        self.shop.stats()
    }

    pub fn command(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            ["play", viewer] => self.assign(viewer),
            ["event", viewer, kind, amount] => {
                let amount: f64 = match amount.parse() {
                    Ok(a) => a,
                    Err(_) => return format!("error: amount '{amount}' is not a number"),
                };
                if let Err(e) = check_name(viewer) {
                    return format!("error: {e}");
                }
                let entry = self.viewers.entry(viewer.to_string()).or_default();
                match entry.behaviour.record(kind, amount) {
                    Ok(()) => self.assign(viewer),
                    Err(e) => Err(e),
                }
            }
            ["reset", viewer] => match self.viewers.get_mut(*viewer) {
                // Entitlement over (a subscription ends, a refund): back to what the policy
                // gives no behaviour, i.e. level 0 in the usual policies.
                Some(v) => {
                    v.behaviour = Behaviour::default();
                    // Watching time starts again too; bought regions stay (a purchase).
                    v.watched = Duration::ZERO;
                    if v.watching_since.is_some() {
                        v.watching_since = Some(Instant::now());
                    }
                    self.assign(viewer)
                }
                None => Err(format!("unknown viewer '{viewer}'")),
            },
            ["leave", viewer] => self.stop_watching(viewer, true).map(|_| "bye".into()),
            ["stats"] => {
                let payments = self.shop.stats();
                Ok(format!(
                    "frames {} renditions {} viewers {} unlocked {} refused {}",
                    self.frames.load(Ordering::Relaxed),
                    self.renditions.len(),
                    self.viewers.len(),
                    payments["unlocked"],
                    payments["refused"]
                ))
            }
            ["list"] => Ok(self
                .renditions
                .iter()
                .map(|(n, r)| match r.mountpoint {
                    Some(id) => format!("{n}: {} viewer(s), mountpoint {id}", r.viewers),
                    None => format!("{n}: {} viewer(s)", r.viewers),
                })
                .collect::<Vec<_>>()
                .join("\n")),
            _ => Err(format!(
                "unknown command '{line}' (play, event, reset, leave, list, stats)"
            )),
        };
        result.unwrap_or_else(|e| format!("error: {e}"))
    }

    /// Waits for the renditions being torn down (at exit).
    pub fn finish_teardowns(&mut self) -> Vec<std::thread::JoinHandle<()>> {
        std::mem::take(&mut self.teardowns)
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }
}
