//! `faceanswer` element: passes the upload through, counts it, and turns the face server's
//! MQTT answers into bus messages; holds EOS until the answer is complete.

use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use super::message::{AnswerDoneMessage, AnswerPersonMessage};
use super::protocol::{ANSWER_TOPIC, Answer, END_TOPIC, UploadDone, UploadEnd, topic};
use crate::attention::mqtt::{LinkEvent, MqttLink, MqttUrl};
use crate::gst::element::post;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "faceanswer",
        gst::DebugColorFlags::empty(),
        Some("facekit face server answer"),
    )
});

const DEFAULT_TIMEOUT_MS: u32 = 30_000;

#[derive(Debug, Clone)]
struct Settings {
    location: Option<String>,
    timeout_ms: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            location: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

/// What the MQTT thread and the streaming thread share.
#[derive(Default)]
struct Answers {
    done: Option<UploadDone>,
    persons: u32,
    /// Stopping or flushing: EOS must not wait any longer.
    cancelled: bool,
}

type Shared = Arc<(Mutex<Answers>, Condvar)>;

struct State {
    answers: MqttLink,
    notices: MqttLink,
    shared: Shared,
    packets: u64,
    bytes: u64,
    first_pts: Option<gst::ClockTime>,
    last_end: Option<gst::ClockTime>,
    finished: bool,
}

#[derive(Default)]
pub struct FaceAnswer {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceAnswer {
    const NAME: &'static str = "GstFacekitFaceAnswer";
    type Type = super::FaceAnswer;
    type ParentType = gst_base::BaseTransform;
}

/// Handles one link event on the MQTT thread.
fn on_event(element: &super::FaceAnswer, shared: &Shared, event: LinkEvent) {
    match event {
        LinkEvent::Message(payload) => match Answer::parse(&payload) {
            Ok(Answer::Person(p)) => match AnswerPersonMessage::from_answer(&p) {
                Ok(m) => {
                    gst::info!(
                        CAT,
                        obj = element,
                        "person {}: {} '{}' quality {:.3}",
                        m.person,
                        m.result,
                        m.identity,
                        m.quality
                    );
                    shared.0.lock().unwrap().persons += 1;
                    post(element, gst::Structure::from(&m));
                }
                Err(e) => gst::element_warning!(element, gst::StreamError::Decode, ("{e}")),
            },
            Ok(Answer::Done(d)) => {
                let (lock, cvar) = &**shared;
                lock.lock().unwrap().done = Some(d);
                cvar.notify_all();
            }
            Err(e) => gst::element_warning!(element, gst::StreamError::Decode, ("{e}")),
        },
        LinkEvent::Down(e) => gst::element_warning!(
            element,
            gst::ResourceError::OpenReadWrite,
            ("face server broker unreachable ({e}); retrying, answers sent meanwhile are lost")
        ),
        LinkEvent::Connected | LinkEvent::Subscribed => {
            gst::debug!(CAT, obj = element, "{event:?}")
        }
    }
}

impl FaceAnswer {
    /// Ends a wait for the answer (the element stops or flushes).
    fn cancel_wait(&self) {
        if let Some(state) = self.state.lock().unwrap().as_ref() {
            let (lock, cvar) = &*state.shared;
            lock.lock().unwrap().cancelled = true;
            cvar.notify_all();
        }
    }

    /// The upload ended: tell the server, wait for its answer, post the summary.
    fn finish_upload(&self) {
        let timeout = Duration::from_millis(self.settings.lock().unwrap().timeout_ms as u64);
        let (shared, packets, bytes, duration) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else { return };
            if std::mem::replace(&mut state.finished, true) {
                return;
            }
            let end = UploadEnd {
                packets: state.packets,
                bytes: state.bytes,
            };
            if let Err(e) = state.notices.publish(end.to_json()) {
                gst::element_imp_warning!(
                    self,
                    gst::ResourceError::Write,
                    ("cannot tell the face server the upload ended: {e}")
                );
            }
            let duration = state
                .first_pts
                .zip(state.last_end)
                .map(|(a, b)| b.saturating_sub(a));
            (state.shared.clone(), state.packets, state.bytes, duration)
        };
        let (lock, cvar) = &*shared;
        let deadline = Instant::now() + timeout;
        let mut answers = lock.lock().unwrap();
        while answers.done.is_none() && !answers.cancelled {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            answers = cvar.wait_timeout(answers, left).unwrap().0;
        }
        let (done, cancelled) = (answers.done.clone(), answers.cancelled);
        drop(answers);
        if cancelled {
            gst::debug!(CAT, imp = self, "stopped while waiting for the answer");
            return;
        }
        if done.is_none() {
            gst::element_imp_warning!(
                self,
                gst::ResourceError::Read,
                (
                    "the face server did not answer within {} ms (timeout); is face-server running with the same broker and prefix?",
                    timeout.as_millis()
                )
            );
        }
        post(
            &*self.obj(),
            gst::Structure::from(&AnswerDoneMessage {
                done,
                packets_sent: packets,
                bytes_sent: bytes,
                duration,
            }),
        );
    }
}

impl ObjectImpl for FaceAnswer {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("location")
                    .nick("Location")
                    .blurb("MQTT broker and topic prefix of this camera, mqtt://HOST[:PORT]/PREFIX (e.g. mqtt://127.0.0.1:1883/facekit/upload/cam-1): answers arrive on PREFIX/answer, the end of the upload is sent on PREFIX/end")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("timeout")
                    .nick("Timeout")
                    .blurb("Milliseconds to hold EOS waiting for the server's complete answer (0: do not wait)")
                    .maximum(3_600_000)
                    .default_value(DEFAULT_TIMEOUT_MS)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt64::builder("packets")
                    .nick("Packets")
                    .blurb("Buffers passed downstream since start (RTP packets when placed before udpsink)")
                    .read_only()
                    .build(),
                glib::ParamSpecUInt64::builder("bytes")
                    .nick("Bytes")
                    .blurb("Bytes passed downstream since start")
                    .read_only()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut s = self.settings.lock().unwrap();
        match pspec.name() {
            "location" => {
                s.location = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|v| !v.trim().is_empty())
            }
            "timeout" => s.timeout_ms = value.get().expect("type checked upstream"),
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let counter =
            |f: fn(&State) -> u64| self.state.lock().unwrap().as_ref().map_or(0, f).to_value();
        match pspec.name() {
            "packets" => counter(|s| s.packets),
            "bytes" => counter(|s| s.bytes),
            "location" => self.settings.lock().unwrap().location.to_value(),
            "timeout" => self.settings.lock().unwrap().timeout_ms.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for FaceAnswer {}

impl ElementImpl for FaceAnswer {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face server answer (facekit)",
                "Filter/Network",
                "Capture side of the face-first upload: passes the upload through and counts it, tells the face server over MQTT when it ends, and posts the server's answer (per person the key image as JPEG and the identity) as 'faceanswer-person' and 'faceanswer-done' messages; EOS waits for the answer",
                "facekit developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let caps = gst::Caps::new_any();
            vec![
                gst::PadTemplate::new(
                    "src",
                    gst::PadDirection::Src,
                    gst::PadPresence::Always,
                    &caps,
                )
                .expect("src template"),
                gst::PadTemplate::new(
                    "sink",
                    gst::PadDirection::Sink,
                    gst::PadPresence::Always,
                    &caps,
                )
                .expect("sink template"),
            ]
        });
        TEMPLATES.as_ref()
    }

    fn change_state(
        &self,
        transition: gst::StateChange,
    ) -> Result<gst::StateChangeSuccess, gst::StateChangeError> {
        // A stop while EOS waits for the server must not wait for the timeout.
        if transition == gst::StateChange::PausedToReady {
            self.cancel_wait();
        }
        self.parent_change_state(transition)
    }
}

impl BaseTransformImpl for FaceAnswer {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = true;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = true;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        let location = settings.location.ok_or_else(|| {
            gst::error_msg!(
                gst::ResourceError::Settings,
                ("faceanswer needs location=mqtt://HOST[:PORT]/PREFIX, the broker and topic prefix the face server answers on")
            )
        })?;
        let url = MqttUrl::parse(&location)
            .and_then(|u| u.check_publishable().map(|_| u))
            .map_err(|e| gst::error_msg!(gst::ResourceError::Settings, ("location: {e}")))?;
        let shared: Shared = Arc::default();
        let sub_url = MqttUrl {
            topic: topic(&url.topic, ANSWER_TOPIC),
            ..url.clone()
        };
        let pub_url = MqttUrl {
            topic: topic(&url.topic, END_TOPIC),
            ..url.clone()
        };
        let weak = self.obj().downgrade();
        let thread_shared = shared.clone();
        let answers = MqttLink::subscriber(&sub_url, move |event| {
            if let Some(element) = weak.upgrade() {
                on_event(&element, &thread_shared, event);
            }
        });
        let weak = self.obj().downgrade();
        let notices = MqttLink::publisher(&pub_url, 16, move |event| {
            if let (Some(element), LinkEvent::Down(e)) = (weak.upgrade(), event) {
                gst::debug!(CAT, obj = element, "end-of-upload link down: {e}");
            }
        });
        gst::info!(
            CAT,
            imp = self,
            "answers from {sub_url}, end notices to {pub_url}"
        );
        *self.state.lock().unwrap() = Some(State {
            answers,
            notices,
            shared,
            packets: 0,
            bytes: 0,
            first_pts: None,
            last_end: None,
            finished: false,
        });
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        if let Some(state) = self.state.lock().unwrap().take() {
            state.notices.close(Duration::from_secs(2));
            state.answers.close(Duration::from_secs(1));
        }
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        match event.view() {
            gst::EventView::Eos(_) => self.finish_upload(),
            gst::EventView::FlushStart(_) => self.cancel_wait(),
            _ => {}
        }
        self.parent_sink_event(event)
    }

    fn transform_ip_passthrough(
        &self,
        buf: &gst::Buffer,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            return Err(gst::FlowError::Flushing);
        };
        state.packets += 1;
        state.bytes += buf.size() as u64;
        if let Some(pts) = buf.pts() {
            state.first_pts.get_or_insert(pts);
            let end = pts + buf.duration().unwrap_or(gst::ClockTime::ZERO);
            state.last_end = Some(state.last_end.map_or(end, |e| e.max(end)));
        }
        Ok(gst::FlowSuccess::Ok)
    }
}
