//! `attentionoverlay` element: subscribes to attention messages, draws the class view on the
//! presenter's frames, writes the lesson report.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use crate::attention::history::{self, CLASS_VIEWER, LessonRecord};
use crate::attention::messages::AttentionEvent;
use crate::attention::mqtt::{LinkEvent, MqttLink, MqttUrl};
use crate::attention::paint::{self, OverlayLayout, Painter, TextFont};
use crate::attention::{ClassBoard, report};
use crate::gst::video::{canvas, layout_of};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "attentionoverlay",
        gst::DebugColorFlags::empty(),
        Some("facekit presenter attention overlay"),
    )
});

/// Element message posted once the subscription is in place.
pub const SUBSCRIBED_MESSAGE: &str = "attentionoverlay-subscribed";
/// Element message posted after the report was written.
pub const REPORT_MESSAGE: &str = "attentionoverlay-report";

const DEFAULT_DRAW: bool = true;

#[derive(Debug, Clone)]
struct Settings {
    subscribe: Option<String>,
    course: Option<String>,
    history_location: Option<String>,
    report_location: Option<String>,
    font: String,
    draw: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            subscribe: None,
            course: None,
            history_location: None,
            report_location: None,
            font: paint::DEFAULT_FONT.into(),
            draw: DEFAULT_DRAW,
        }
    }
}

/// What the MQTT thread and the streaming thread share.
#[derive(Default)]
struct Shared {
    board: ClassBoard,
    threshold: Option<f64>,
    course_seen: Option<String>,
    bad_messages: u64,
}

struct State {
    font: TextFont,
    info: Option<gst_video::VideoInfo>,
    history_curve: Vec<(f64, f64)>,
    started_unix: u64,
    finished: bool,
}

#[derive(Default)]
pub struct AttentionOverlay {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    shared: Arc<Mutex<Shared>>,
    link: Mutex<Option<MqttLink>>,
}

#[glib::object_subclass]
impl ObjectSubclass for AttentionOverlay {
    const NAME: &'static str = "GstFacekitAttentionOverlay";
    type Type = super::AttentionOverlay;
    type ParentType = gst_base::BaseTransform;
}

/// Applies one JSON message; returns false when it is not an attention message of the course.
fn apply_json(shared: &Mutex<Shared>, course: Option<&str>, text: &[u8]) -> bool {
    let parsed = std::str::from_utf8(text)
        .map_err(|e| e.to_string())
        .and_then(AttentionEvent::from_json);
    let mut s = shared.lock().unwrap();
    match parsed {
        Ok(event) => {
            let event_course = match &event {
                AttentionEvent::Stats(r) => &r.course,
                AttentionEvent::Attention(r)
                | AttentionEvent::Reminder(r)
                | AttentionEvent::Alert(r)
                | AttentionEvent::Recovered(r) => {
                    s.threshold = Some(r.threshold);
                    &r.course
                }
            };
            if course.is_some_and(|c| c != event_course) {
                return false;
            }
            s.course_seen.get_or_insert_with(|| event_course.clone());
            s.board.apply(&event);
            true
        }
        Err(_) => {
            s.bad_messages += 1;
            false
        }
    }
}

impl AttentionOverlay {
    fn course(&self) -> String {
        let settings = self.settings.lock().unwrap();
        settings
            .course
            .clone()
            .or_else(|| self.shared.lock().unwrap().course_seen.clone())
            .unwrap_or_else(|| "default".into())
    }

    /// Writes the report picture; `Ok(None)` when no report-location is set.
    fn write_report(&self) -> Result<Option<(PathBuf, usize)>, String> {
        let Some(path) = self.settings.lock().unwrap().report_location.clone() else {
            return Ok(None);
        };
        let history = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| s.history_curve.clone())
            .unwrap_or_default();
        let course = self.course();
        let (svg, series) = {
            let shared = self.shared.lock().unwrap();
            let svg = report::render_svg(
                &course,
                &shared.board,
                &history,
                shared.threshold.unwrap_or(0.5),
            );
            let series = svg.matches("class=\"series").count();
            (svg, series)
        };
        let path = PathBuf::from(path);
        report::write(&path, &svg)?;
        let _ = self.obj().post_message(
            gst::message::Element::builder(
                gst::Structure::builder(REPORT_MESSAGE)
                    .field("location", path.display().to_string())
                    .field("series", series as u32)
                    .build(),
            )
            .src(&*self.obj())
            .build(),
        );
        Ok(Some((path, series)))
    }

    fn finish_lesson(&self) {
        {
            let mut state = self.state.lock().unwrap();
            let Some(state) = state.as_mut() else { return };
            if state.finished {
                return;
            }
            state.finished = true;
        }
        if let Err(e) = self.write_report() {
            gst::element_imp_warning!(self, gst::ResourceError::Write, ("{e}"));
        }
        let history_location = self.settings.lock().unwrap().history_location.clone();
        let curve: Vec<f64> = {
            let shared = self.shared.lock().unwrap();
            shared.board.class_curve().iter().map(|p| p.1).collect()
        };
        if let Some(path) = history_location
            && !curve.is_empty()
        {
            let (started, step) = {
                let shared = self.shared.lock().unwrap();
                let curve = shared.board.class_curve();
                let step = curve.first().map_or(60.0, |p| p.0);
                drop(shared);
                let state = self.state.lock().unwrap();
                (state.as_ref().map_or(0, |s| s.started_unix), step)
            };
            let record = LessonRecord::new(&self.course(), CLASS_VIEWER, started, step, curve);
            if let Err(e) = history::append(std::path::Path::new(&path), &record) {
                gst::element_imp_warning!(self, gst::ResourceError::Write, ("{e}"));
            }
        }
    }

    fn draw(&self, state: &State, buf: &mut gst::BufferRef) {
        let Some(info) = state.info.as_ref() else {
            return;
        };
        let Some(layout) = layout_of(info.format()) else {
            return;
        };
        let Ok(mut frame) = gst_video::VideoFrameRef::from_buffer_ref_writable(buf, info) else {
            gst::warning!(CAT, imp = self, "cannot map frame writable for drawing");
            return;
        };
        let (average, viewers, alerted, class_curve, threshold) = {
            let s = self.shared.lock().unwrap();
            (
                s.board.class_average(),
                s.board.viewers.len(),
                s.board.alerted(),
                s.board.class_curve(),
                s.threshold.unwrap_or(0.5),
            )
        };
        let l = OverlayLayout::new(info.width(), info.height());
        let mut canvas = canvas(&mut frame, layout);
        let mut p = Painter::new(&mut canvas);
        let font = &state.font;
        let px = l.font_px;
        p.fill(l.panel, [0, 0, 0], 0.7);
        let header = match average {
            Some(a) => format!(
                "Class attention {:.0}% · {viewers} viewer{}",
                a * 100.0,
                if viewers == 1 { "" } else { "s" }
            ),
            None => "Attention: waiting for viewers".to_string(),
        };
        p.text_shadowed(font, l.header.x, l.header.y, px, &header, paint::WHITE);
        let line = l.alerts.h / l.alert_lines as f32;
        if alerted.is_empty() {
            p.text_shadowed(
                font,
                l.alerts.x,
                l.alerts.y,
                px,
                "No alerts",
                [170, 170, 170],
            );
        }
        let shown = if alerted.len() > l.alert_lines {
            l.alert_lines - 1
        } else {
            alerted.len()
        };
        for (i, (id, a)) in alerted.iter().take(shown).enumerate() {
            let y = l.alerts.y + i as f32 * line;
            let text = format!("● {id}  {:.0}%", a * 100.0);
            p.text_shadowed(font, l.alerts.x, y, px, &text, paint::ALERT_RED);
        }
        if alerted.len() > shown {
            let y = l.alerts.y + shown as f32 * line;
            let text = format!("+{} more alerted", alerted.len() - shown);
            p.text_shadowed(font, l.alerts.x, y, px, &text, paint::ALERT_RED);
        }
        // The chart: history behind, the live class curve on top, the threshold dashed.
        let c = l.chart;
        p.fill(c, [20, 20, 30], 0.5);
        let t_max = class_curve
            .iter()
            .chain(state.history_curve.iter())
            .map(|p| p.0)
            .fold(1.0f64, f64::max);
        let to_px = |&(t, a): &(f64, f64)| {
            (
                c.x + (t / t_max) as f32 * (c.w - 1.0),
                c.y + (1.0 - a.clamp(0.0, 1.0) as f32) * (c.h - 1.0),
            )
        };
        let ty = c.y + (1.0 - threshold as f32) * (c.h - 1.0);
        p.line(
            (c.x, ty),
            (c.x + c.w - 1.0, ty),
            paint::THRESHOLD_AMBER,
            1.0,
            4.0,
        );
        let thick = (px / 8.0).max(1.5);
        let history: Vec<(f32, f32)> = state.history_curve.iter().map(to_px).collect();
        p.polyline(&history, paint::HISTORY_GREY, thick * 2.0);
        let live: Vec<(f32, f32)> = class_curve.iter().map(to_px).collect();
        p.polyline(&live, paint::CLASS_GREEN, thick);
    }
}

impl ObjectImpl for AttentionOverlay {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("subscribe")
                    .nick("Subscribe")
                    .blurb("MQTT URL the viewers' attentionmeter elements publish to, mqtt://HOST[:PORT]/TOPIC (default: none; messages can also be given with the push-json action signal)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("course")
                    .nick("Course")
                    .blurb("Only show messages of this course (default: any; the first seen names the report and history)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("history-location")
                    .nick("History location")
                    .blurb("JSON Lines history file (as attentionmeter writes): previous lessons of the course are drawn behind the live curve, and the class curve is appended at EOS (default: none)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("report-location")
                    .nick("Report location")
                    .blurb("SVG file the lesson report (attention over time per viewer, class mean, history) is written to at EOS and on the write-report action signal (default: none)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("font")
                    .nick("Font")
                    .blurb("TrueType/OpenType font file for the text")
                    .default_value(Some(paint::DEFAULT_FONT))
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoolean::builder("draw")
                    .nick("Draw")
                    .blurb("Draw the class view on the video (off: only collect and write the report)")
                    .default_value(DEFAULT_DRAW)
                    .mutable_playing()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn signals() -> &'static [glib::subclass::Signal] {
        static SIGNALS: LazyLock<Vec<glib::subclass::Signal>> = LazyLock::new(|| {
            vec![
                glib::subclass::Signal::builder("write-report")
                    .action()
                    .return_type::<bool>()
                    .class_handler(|args| {
                        let obj = args[0].get::<super::AttentionOverlay>().ok()?;
                        let ok = match obj.imp().write_report() {
                            Ok(Some(_)) => true,
                            Ok(None) => {
                                gst::warning!(
                                    CAT,
                                    obj = obj,
                                    "write-report: no report-location set"
                                );
                                false
                            }
                            Err(e) => {
                                gst::element_warning!(obj, gst::ResourceError::Write, ("{e}"));
                                false
                            }
                        };
                        Some(ok.to_value())
                    })
                    .build(),
                glib::subclass::Signal::builder("push-json")
                    .action()
                    .param_types([String::static_type()])
                    .return_type::<bool>()
                    .class_handler(|args| {
                        let obj = args[0].get::<super::AttentionOverlay>().ok()?;
                        let text = args[1].get::<String>().ok()?;
                        let imp = obj.imp();
                        let course = imp.settings.lock().unwrap().course.clone();
                        Some(apply_json(&imp.shared, course.as_deref(), text.as_bytes()).to_value())
                    })
                    .build(),
            ]
        });
        SIGNALS.as_ref()
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
            "subscribe" => s.subscribe = text(),
            "course" => s.course = text(),
            "history-location" => s.history_location = text(),
            "report-location" => s.report_location = text(),
            "font" => s.font = text().unwrap_or_else(|| paint::DEFAULT_FONT.into()),
            "draw" => s.draw = value.get().expect("type checked upstream"),
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "subscribe" => s.subscribe.to_value(),
            "course" => s.course.to_value(),
            "history-location" => s.history_location.to_value(),
            "report-location" => s.report_location.to_value(),
            "font" => s.font.to_value(),
            "draw" => s.draw.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for AttentionOverlay {}

impl ElementImpl for AttentionOverlay {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Attention overlay (facekit)",
                "Filter/Effect/Video",
                "Presenter side of attentionmeter: subscribes to the viewers' attention messages over MQTT and draws the alerted viewers, the class average and the lesson curve over previous lessons; writes a lesson report (SVG)",
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

impl BaseTransformImpl for AttentionOverlay {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let s = self.settings.lock().unwrap().clone();
        let bad = |e: String| gst::error_msg!(gst::LibraryError::Settings, ("{e}"));
        let font = TextFont::load(std::path::Path::new(&s.font))
            .map_err(|e| gst::error_msg!(gst::ResourceError::NotFound, ("{e}")))?;
        let url = s
            .subscribe
            .as_deref()
            .map(|u| MqttUrl::parse(u).map_err(|e| bad(format!("subscribe: {e}"))))
            .transpose()?;
        let mut history_curve = Vec::new();
        if let Some(path) = &s.history_location {
            let course = s.course.clone().unwrap_or_else(|| "default".into());
            match history::load(std::path::Path::new(path), &course) {
                Ok((records, bad_lines)) => {
                    if bad_lines > 0 {
                        gst::element_imp_warning!(
                            self,
                            gst::StreamError::Decode,
                            ("history file {path}: {bad_lines} line(s) are not lesson records and were skipped")
                        );
                    }
                    history_curve = history::history_curve(&records);
                }
                Err(e) => gst::element_imp_warning!(
                    self,
                    gst::ResourceError::OpenRead,
                    ("{e}; no history curve is drawn")
                ),
            }
        }
        *self.state.lock().unwrap() = Some(State {
            font,
            info: None,
            history_curve,
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            finished: false,
        });
        if let Some(url) = url {
            let weak = self.obj().downgrade();
            let shared = self.shared.clone();
            let shown = url.to_string();
            let course = s.course.clone();
            let link = MqttLink::subscriber(&url, move |event| match event {
                LinkEvent::Message(payload) => {
                    if !apply_json(&shared, course.as_deref(), &payload) {
                        gst::debug!(
                            CAT,
                            "ignored a message that is not an attention message of the course"
                        );
                    }
                }
                LinkEvent::Subscribed => {
                    if let Some(obj) = weak.upgrade() {
                        let _ = obj.post_message(
                            gst::message::Element::builder(
                                gst::Structure::builder(SUBSCRIBED_MESSAGE)
                                    .field("url", &shown)
                                    .build(),
                            )
                            .src(&obj)
                            .build(),
                        );
                    }
                }
                LinkEvent::Down(e) => {
                    if let Some(obj) = weak.upgrade() {
                        gst::element_warning!(
                            obj,
                            gst::ResourceError::OpenRead,
                            ("cannot reach the MQTT broker of {shown}: {e}; the class view is not updated while it is down (retrying every second), video keeps flowing")
                        );
                    }
                }
                LinkEvent::Connected => {}
            });
            *self.link.lock().unwrap() = Some(link);
        }
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        if let Some(link) = self.link.lock().unwrap().take() {
            link.close(Duration::from_millis(500));
        }
        *self.state.lock().unwrap() = None;
        // The next start is a new lesson (messages pushed before it are kept).
        *self.shared.lock().unwrap() = Shared::default();
        Ok(())
    }

    fn set_caps(&self, incaps: &gst::Caps, _outcaps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let info = gst_video::VideoInfo::from_caps(incaps)
            .map_err(|_| gst::loggable_error!(CAT, "invalid caps {incaps}"))?;
        if layout_of(info.format()).is_none() {
            return Err(gst::loggable_error!(
                CAT,
                "unsupported format {}",
                info.format()
            ));
        }
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

    fn transform_ip(&self, buf: &mut gst::BufferRef) -> Result<gst::FlowSuccess, gst::FlowError> {
        if !self.settings.lock().unwrap().draw {
            return Ok(gst::FlowSuccess::Ok);
        }
        let state = self.state.lock().unwrap();
        let Some(state) = state.as_ref() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before start"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        self.draw(state, buf);
        Ok(gst::FlowSuccess::Ok)
    }
}
