//! `attentionmeter` element: wires properties, buffers and the bus to [`crate::attention`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::*;
use gst_base::subclass::prelude::*;

use super::settings::*;
use crate::attention::cue::{CueState, ViewerCueLayout, draw_cue};
use crate::attention::history;
use crate::attention::mqtt::{LinkEvent, MqttLink, MqttUrl};
use crate::attention::paint::{self, Painter, TextFont};
use crate::attention::{FrameTime, GazeCone, Meter, MeterOutput, Observation, Threshold, Unseen};
use crate::face::PrimaryFace;
use crate::gst::element::{WarnOnce, post};
use crate::gst::meta;
use crate::gst::video::draw_on;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "attentionmeter",
        gst::DebugColorFlags::empty(),
        Some("facekit attention meter"),
    )
});

/// How long stopping waits for queued MQTT messages to go out.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The settings `process` reads per buffer.
struct Live {
    track_id: i32,
    sample_rate: f64,
    threshold: Threshold,
}

struct State {
    cone: GazeCone,
    meter: Meter,
    history: Option<PathBuf>,
    info: Option<gst_video::VideoInfo>,
    font: Option<Result<TextFont, ()>>,
    warned: WarnOnce,
    /// Warnings to post once the state lock is released.
    warnings: Vec<String>,
}

#[derive(Default)]
pub struct AttentionMeter {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    link: Mutex<Option<MqttLink>>,
    dropped: Arc<AtomicU64>,
}

#[glib::object_subclass]
impl ObjectSubclass for AttentionMeter {
    const NAME: &'static str = "GstFacekitAttentionMeter";
    type Type = super::AttentionMeter;
    type ParentType = gst_base::BaseTransform;
}

impl AttentionMeter {
    /// Posts the messages on the bus, publishes them and appends finished lessons to the
    /// history (no lock held).
    fn emit(&self, output: MeterOutput, history: Option<PathBuf>) {
        if let Some(path) = history {
            for record in &output.lessons {
                if let Err(e) = history::append(&path, record) {
                    gst::element_imp_warning!(self, gst::ResourceError::Write, ("{e}"));
                }
            }
        }
        let events = output.events;
        if events.is_empty() {
            return;
        }
        for event in &events {
            gst::debug!(CAT, imp = self, "{}", event.to_json());
            post(&*self.obj(), gst::Structure::from(event));
        }
        let link = self.link.lock().unwrap();
        if let Some(link) = link.as_ref() {
            for event in &events {
                if link.publish(event.to_json()).is_err() {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn observe(&self, state: &mut State, buf: &gst::BufferRef, rule: PrimaryFace) -> Observation {
        let frame = match meta::read_frame(buf) {
            Ok(f) => f,
            Err(e) => {
                gst::warning!(CAT, imp = self, "unreadable face metadata: {e}");
                return Observation::Unknown;
            }
        };
        let (seen, unseen) = state.cone.observe(&frame, rule);
        if let Some(why) = unseen
            && state.warned.first("missing")
        {
            state.warnings.push(match why {
                Unseen::NoMetadata => "buffers reach attentionmeter without face metadata: put facedetect (with landmarks=true) before attentionmeter; such frames are not counted",
                Unseen::NoPose => "faces carry no head pose: set landmarks=true on facedetect; such frames are not counted",
            }.into());
        }
        seen
    }

    fn process(&self, buf: &gst::BufferRef) {
        // Only the values that may change while playing (no string copies per buffer).
        let settings = {
            let s = self.settings.lock().unwrap();
            Live {
                track_id: s.track_id,
                sample_rate: s.sample_rate,
                threshold: Threshold {
                    value: s.threshold,
                    low_at_threshold: s.low_at_threshold,
                },
            }
        };
        let rule = if settings.track_id >= 0 {
            PrimaryFace::Track(settings.track_id)
        } else {
            PrimaryFace::Largest
        };
        let (running_time, end_time) = {
            let segment = self.obj().segment();
            let segment = segment.downcast_ref::<gst::ClockTime>();
            let pts = buf.pts();
            let end = pts.map(|p| p + buf.duration().unwrap_or(gst::ClockTime::ZERO));
            (
                segment.and_then(|s| s.to_running_time(pts?)),
                segment.and_then(|s| s.to_running_time(end?)),
            )
        };
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            return;
        };
        let config = *state.meter.config();
        if (settings.threshold, settings.sample_rate) != (config.threshold, config.sample_rate)
            && let Err(e) = state
                .meter
                .set_live(settings.sample_rate, settings.threshold)
            && state.warned.first("config")
        {
            // Changed while playing: the new values are taken only when they are valid.
            state.warnings.push(format!(
                "{e}; keeping sample-rate {} and threshold {}",
                config.sample_rate, config.threshold.value
            ));
        }
        let mut output = MeterOutput::default();
        if let Some(rt) = running_time.map(gst::ClockTime::nseconds) {
            let time = FrameTime {
                running_time: rt,
                end: end_time.map(gst::ClockTime::nseconds),
                unix_ms: crate::attention::unix_now_ms(),
            };
            let mut meter = std::mem::replace(&mut state.meter, Meter::new(config, "", ""));
            output = meter.frame(time, || self.observe(state, buf, rule));
            state.meter = meter;
        } else if state.warned.first("no-time") {
            state.warnings.push("buffers without timestamps cannot be sampled in running time; such frames are not counted".into());
        }
        let warnings = std::mem::take(&mut state.warnings);
        let history = state.history.clone();
        drop(guard);
        for w in warnings {
            gst::element_imp_warning!(self, gst::StreamError::Format, ("{w}"));
        }
        self.emit(output, history);
    }

    fn draw_cue(&self, state: &mut State, buf: &mut gst::BufferRef) {
        let Some(info) = state.info.clone() else {
            return;
        };
        if state.font.is_none() {
            let font = TextFont::load(std::path::Path::new(paint::DEFAULT_FONT));
            if let Err(e) = &font {
                state
                    .warnings
                    .push(format!("{e}; the reminder banner is drawn without text"));
            }
            state.font = Some(font.map_err(|_| ()));
        }
        let l = ViewerCueLayout::new(info.width(), info.height());
        let cue = CueState::of(&state.meter);
        let font = match &state.font {
            Some(Ok(f)) => Some(f),
            _ => None,
        };
        if let Err(e) = draw_on(buf, &info, |canvas| {
            draw_cue(&mut Painter::new(canvas), font, &l, &cue)
        }) {
            gst::warning!(CAT, imp = self, "reminder cue not drawn: {e}");
        }
    }

    fn finish_lesson(&self) {
        let (output, history) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return;
            };
            (state.meter.finish(), state.history.clone())
        };
        self.emit(output, history);
    }
}

impl ObjectImpl for AttentionMeter {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("pitch-range")
                    .nick("Pitch range")
                    .blurb("MIN,MAX head pitch in degrees (positive: face tilted up) for a gaze frame")
                    .default_value(Some(DEFAULT_PITCH_RANGE))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("yaw-range")
                    .nick("Yaw range")
                    .blurb("MIN,MAX head yaw in degrees (positive: face turned to the image's right) for a gaze frame")
                    .default_value(Some(DEFAULT_YAW_RANGE))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecInt::builder("track-id")
                    .nick("Track id")
                    .blurb("Follow the face with this facedetect track id (-1: the largest face in each frame)")
                    .minimum(-1)
                    .default_value(DEFAULT_TRACK_ID)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("sample-rate")
                    .nick("Sample rate")
                    .blurb("Frames sampled per second of running time (must be above 0 and sample at least once per window)")
                    .minimum(0.0)
                    .maximum(1000.0)
                    .default_value(DEFAULT_SAMPLE_RATE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("window")
                    .nick("Window")
                    .blurb("Seconds of running time per attention value (must be above 0)")
                    .minimum(0.0)
                    .maximum(86400.0)
                    .default_value(DEFAULT_WINDOW)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("threshold")
                    .nick("Threshold")
                    .blurb("Attention (gaze frames / sampled frames) below this is low: reminder, then alert")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_THRESHOLD)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("stats-interval")
                    .nick("Statistics interval")
                    .blurb("Seconds of running time per attention-stats message (must be above 0)")
                    .minimum(0.0)
                    .maximum(86400.0)
                    .default_value(DEFAULT_STATS_INTERVAL)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("lesson-length")
                    .nick("Lesson length")
                    .blurb("Seconds of running time per lesson: then the statistics close (final attention-stats, history record) and a new lesson starts (0: one lesson until EOS)")
                    .minimum(0.0)
                    .maximum(86400.0 * 7.0)
                    .default_value(DEFAULT_LESSON_LENGTH)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoolean::builder("low-at-threshold")
                    .nick("Low at threshold")
                    .blurb("Attention exactly at the threshold counts as low (attention <= threshold); default: only below (attention < threshold)")
                    .default_value(DEFAULT_LOW_AT_THRESHOLD)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("single-stage")
                    .nick("Single stage")
                    .blurb("Alert the presenter on the first low window, without a reminder for the viewer first")
                    .default_value(DEFAULT_SINGLE_STAGE)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("viewer-id")
                    .nick("Viewer id")
                    .blurb("Who is watching, as the presenter sees it (default: the element's name)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("course")
                    .nick("Course")
                    .blurb("Course the lesson belongs to; history records are kept per course")
                    .default_value(Some(DEFAULT_COURSE))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("history-location")
                    .nick("History location")
                    .blurb("JSON Lines file the lesson's attention curve is appended to at EOS (default: none)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("publish")
                    .nick("Publish")
                    .blurb("Also publish every message as JSON to this MQTT URL, mqtt://HOST[:PORT]/TOPIC (default: none)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("publish-queue")
                    .nick("Publish queue")
                    .blurb("Messages that may wait for the broker; beyond that they are dropped (with a warning)")
                    .minimum(1)
                    .maximum(100_000)
                    .default_value(DEFAULT_PUBLISH_QUEUE)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoolean::builder("draw")
                    .nick("Draw")
                    .blurb("Draw the viewer's cue: a labelled attention bar with the number and a threshold tick (bottom left) and, while reminded, a banner (amber; red once the presenter was alerted)")
                    .default_value(DEFAULT_DRAW)
                    .mutable_playing()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut s = self.settings.lock().unwrap();
        let text = || {
            value
                .get::<Option<String>>()
                .expect("type checked upstream")
                .filter(|v| !v.is_empty())
        };
        match pspec.name() {
            "pitch-range" => s.pitch_range = text().unwrap_or_default(),
            "yaw-range" => s.yaw_range = text().unwrap_or_default(),
            "track-id" => s.track_id = value.get().expect("type checked upstream"),
            "sample-rate" => s.sample_rate = value.get().expect("type checked upstream"),
            "window" => s.window = value.get().expect("type checked upstream"),
            "threshold" => s.threshold = value.get().expect("type checked upstream"),
            "stats-interval" => s.stats_interval = value.get().expect("type checked upstream"),
            "lesson-length" => s.lesson_length = value.get().expect("type checked upstream"),
            "low-at-threshold" => s.low_at_threshold = value.get().expect("type checked upstream"),
            "single-stage" => s.single_stage = value.get().expect("type checked upstream"),
            "viewer-id" => s.viewer_id = text(),
            "course" => s.course = text().unwrap_or_else(|| DEFAULT_COURSE.into()),
            "history-location" => s.history_location = text(),
            "publish" => s.publish = text(),
            "publish-queue" => s.publish_queue = value.get().expect("type checked upstream"),
            "draw" => {
                s.draw = value.get().expect("type checked upstream");
                let draw = s.draw;
                drop(s);
                // Read-only (passthrough) unless drawing: attentionmeter only reads metadata.
                self.obj().set_passthrough(!draw);
            }
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "pitch-range" => s.pitch_range.to_value(),
            "yaw-range" => s.yaw_range.to_value(),
            "track-id" => s.track_id.to_value(),
            "sample-rate" => s.sample_rate.to_value(),
            "window" => s.window.to_value(),
            "threshold" => s.threshold.to_value(),
            "stats-interval" => s.stats_interval.to_value(),
            "lesson-length" => s.lesson_length.to_value(),
            "low-at-threshold" => s.low_at_threshold.to_value(),
            "single-stage" => s.single_stage.to_value(),
            "viewer-id" => s.viewer_id.to_value(),
            "course" => s.course.to_value(),
            "history-location" => s.history_location.to_value(),
            "publish" => s.publish.to_value(),
            "publish-queue" => s.publish_queue.to_value(),
            "draw" => s.draw.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }

    fn constructed(&self) {
        self.parent_constructed();
        self.obj().set_passthrough(!DEFAULT_DRAW);
    }
}

impl GstObjectImpl for AttentionMeter {}

impl ElementImpl for AttentionMeter {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Attention meter (facekit)",
                "Filter/Analyzer/Video",
                "Measures the viewer's attention from facedetect's head pose (gaze frames per window); posts attention, reminder, alert, recovered and stats messages, optionally publishes them over MQTT",
                "facekit developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> =
            LazyLock::new(crate::gst::video::raw_video_pad_templates);
        TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for AttentionMeter {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = true;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let s = self.settings.lock().unwrap().clone();
        let bad = |e: String| gst::error_msg!(gst::LibraryError::Settings, ("{e}"));
        let cone = s.cone().map_err(bad)?;
        let config = s.meter_config();
        config.validate().map_err(bad)?;
        let url = s
            .publish
            .as_deref()
            .map(|u| {
                MqttUrl::parse(u)
                    .and_then(|url| url.check_publishable().map(|_| url))
                    .map_err(|e| bad(format!("publish: {e}")))
            })
            .transpose()?;
        let history = s.history_location.as_ref().map(PathBuf::from);
        let history = match history {
            Some(path) => match history::check_writable(&path) {
                Ok(()) => Some(path),
                Err(e) => {
                    gst::element_imp_warning!(
                        self,
                        gst::ResourceError::OpenWrite,
                        ("{e}; attention is measured but no history is kept")
                    );
                    None
                }
            },
            None => None,
        };
        let viewer_id = s
            .viewer_id
            .clone()
            .unwrap_or_else(|| self.obj().name().to_string());
        *self.state.lock().unwrap() = Some(State {
            cone,
            meter: Meter::new(config, &viewer_id, &s.course),
            history,
            info: None,
            font: None,
            warned: WarnOnce::default(),
            warnings: Vec::new(),
        });
        if let Some(url) = url {
            let weak = self.obj().downgrade();
            let shown = url.to_string();
            let dropped = self.dropped.clone();
            dropped.store(0, Ordering::Relaxed);
            let link = MqttLink::publisher(&url, s.publish_queue as usize, move |event| {
                let Some(obj) = weak.upgrade() else { return };
                match event {
                    LinkEvent::Down(e) => gst::element_warning!(
                        obj,
                        gst::ResourceError::OpenWrite,
                        ("cannot reach the MQTT broker of {shown}: {e}; attention messages are dropped while it is down (retrying every second), video keeps flowing")
                    ),
                    LinkEvent::Connected => {
                        let lost = dropped.swap(0, Ordering::Relaxed);
                        gst::info!(
                            CAT,
                            obj = obj,
                            "connected to {shown} ({lost} messages dropped before)"
                        );
                    }
                    _ => {}
                }
            });
            *self.link.lock().unwrap() = Some(link);
        }
        gst::info!(CAT, imp = self, "started: {s:?}");
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        // A pipeline stopped before EOS still posts its last window and keeps its history.
        self.finish_lesson();
        *self.state.lock().unwrap() = None;
        if let Some(link) = self.link.lock().unwrap().take()
            && !link.close(FLUSH_TIMEOUT)
        {
            gst::warning!(CAT, imp = self, "MQTT link did not close in time");
        }
        Ok(())
    }

    fn set_caps(&self, incaps: &gst::Caps, _outcaps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let info = gst_video::VideoInfo::from_caps(incaps)
            .map_err(|_| gst::loggable_error!(CAT, "invalid caps {incaps}"))?;
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            state.info = Some(info);
        }
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        if let gst::EventView::Eos(_) = event.view() {
            self.finish_lesson();
        }
        self.parent_sink_event(event)
    }

    fn transform_ip_passthrough(
        &self,
        buf: &gst::Buffer,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.process(buf);
        Ok(gst::FlowSuccess::Ok)
    }

    fn transform_ip(&self, buf: &mut gst::BufferRef) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.process(buf);
        if self.settings.lock().unwrap().draw {
            let mut guard = self.state.lock().unwrap();
            let warnings = match guard.as_mut() {
                Some(state) => {
                    self.draw_cue(state, buf);
                    std::mem::take(&mut state.warnings)
                }
                None => Vec::new(),
            };
            drop(guard);
            for w in warnings {
                gst::element_imp_warning!(self, gst::ResourceError::NotFound, ("{w}"));
            }
        }
        Ok(gst::FlowSuccess::Ok)
    }
}
