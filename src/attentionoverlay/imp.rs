//! `attentionoverlay` element: subscribes to attention messages, draws the class panel on the
//! presenter's frames (or attaches it as overlay-composition meta), writes the lesson report
//! and document. The class view itself lives in [`crate::attention`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use super::settings::*;
use super::{OverlayMode, PanelPosition, message};
use crate::attention::history;
use crate::attention::mqtt::{LinkEvent, MqttLink, MqttUrl};
use crate::attention::paint::{self, Painter, TextFont};
use crate::attention::panel::{self, OverlayLayout, PanelView, Placement};
use crate::attention::presenter::{self, ClosedLesson, Outcome, Presenter, WrittenReport};
use crate::gst::element::post;
use crate::gst::video::{bgra_composition, draw_on, layout_of};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "attentionoverlay",
        gst::DebugColorFlags::empty(),
        Some("facekit presenter attention overlay"),
    )
});

struct State {
    font: TextFont,
    info: Option<gst_video::VideoInfo>,
    /// The composition for the current board revision, frame size and placement.
    composition: Option<(u64, u32, u32, gst_video::VideoOverlayComposition)>,
    finished: bool,
}

#[derive(Default)]
pub struct AttentionOverlay {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    /// Shared with the MQTT thread.
    presenter: Arc<Mutex<Presenter>>,
    link: Mutex<Option<MqttLink>>,
}

#[glib::object_subclass]
impl ObjectSubclass for AttentionOverlay {
    const NAME: &'static str = "GstFacekitAttentionOverlay";
    type Type = super::AttentionOverlay;
    type ParentType = gst_base::BaseTransform;
}

impl AttentionOverlay {
    /// `course` and `lesson-length`: what decides which messages count and when lessons close.
    fn lesson_settings(&self) -> (Option<String>, f64) {
        let s = self.settings.lock().unwrap();
        (s.course.clone(), s.lesson_length)
    }

    /// Applies one JSON message; false when it is not an attention message of the course.
    /// A window past `lesson-length` first closes the lesson (report, document, history).
    fn apply_json(&self, text: &[u8]) -> bool {
        let (course, lesson_length) = self.lesson_settings();
        let (applied, bad_messages, late_windows) = {
            let mut presenter = self.presenter.lock().unwrap();
            let applied = presenter.apply_json(text, course.as_deref(), lesson_length);
            (applied, presenter.bad_messages(), presenter.late_windows())
        };
        match applied {
            Outcome::Taken(closed) => {
                if let Some(closed) = closed {
                    self.lesson_closed(&closed, "a window past lesson-length");
                }
                true
            }
            Outcome::Malformed => {
                if bad_messages == 1 {
                    gst::element_imp_warning!(
                        self,
                        gst::StreamError::Decode,
                        ("a message on the subscribed topic is not an attention message; such messages are ignored (is another publisher using the topic?)")
                    );
                }
                false
            }
            Outcome::Late => {
                gst::info!(
                    CAT,
                    imp = self,
                    "a window of an already closed lesson arrived late and is left out ({late_windows} so far)"
                );
                true
            }
            Outcome::OtherCourse => false,
        }
    }

    /// Closes the lesson by the presenter's own clock when the viewers' messages stopped
    /// at its end (otherwise it would stay open on the panel until EOS).
    fn close_lesson_on_time(&self) {
        let (course, lesson_length) = self.lesson_settings();
        let closed = self.presenter.lock().unwrap().tick(
            crate::attention::unix_now_ms(),
            lesson_length,
            course.as_deref(),
        );
        if let Some(closed) = closed {
            self.lesson_closed(&closed, "the presenter's clock");
        }
    }

    /// A lesson closed before EOS: logged, then its report, document and history record.
    fn lesson_closed(&self, closed: &ClosedLesson, by: &str) {
        gst::info!(CAT, imp = self, "lesson {:?} closed by {by}", closed.number);
        self.store_lesson(closed);
    }

    fn write_report_now(&self) -> Result<Option<(PathBuf, usize)>, String> {
        let (course, path) = {
            let s = self.settings.lock().unwrap();
            (s.course.clone(), s.report_location.clone())
        };
        let Some(path) = path else { return Ok(None) };
        let doc = self.presenter.lock().unwrap().document(course.as_deref());
        let written = presenter::write_report(&doc, Path::new(&path), None)?;
        self.post_report(&written);
        Ok(Some((written.svg, written.series)))
    }

    fn post_report(&self, written: &WrittenReport) {
        let series = written.series as u32;
        post(
            &*self.obj(),
            message::report(&written.svg, &written.json, series),
        );
    }

    /// Report, document and history record of a finished lesson.
    fn store_lesson(&self, closed: &ClosedLesson) {
        let files = self.settings.lock().unwrap().lesson_files();
        let (written, errors) = presenter::store_lesson(closed, &files);
        if let Some(written) = &written {
            self.post_report(written);
        }
        for e in errors {
            gst::element_imp_warning!(self, gst::ResourceError::Write, ("{e}"));
        }
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
        let course = self.settings.lock().unwrap().course.clone();
        let closed = self.presenter.lock().unwrap().finish(course.as_deref());
        self.store_lesson(&closed);
    }

    fn view(&self) -> (PanelView, u64) {
        self.presenter.lock().unwrap().view()
    }

    fn draw(&self, state: &State, place: Placement, buf: &mut gst::BufferRef) {
        let Some(info) = state.info.as_ref() else {
            return;
        };
        let (view, _) = self.view();
        let l = OverlayLayout::placed(info.width(), info.height(), place);
        let drawn = draw_on(buf, info, |canvas| {
            panel::draw_panel(&mut Painter::new(canvas), &state.font, &l, &view)
        });
        if let Err(e) = drawn {
            gst::warning!(CAT, imp = self, "panel not drawn: {e}");
        }
    }

    /// Attaches the panel as overlay-composition meta (rendered again only when the board
    /// changed).
    fn attach(&self, state: &mut State, place: Placement, buf: &mut gst::BufferRef) {
        let Some(info) = state.info.as_ref() else {
            return;
        };
        let (w, h) = (info.width(), info.height());
        let (view, revision) = self.view();
        let fresh = state
            .composition
            .as_ref()
            .is_some_and(|c| (c.0, c.1, c.2) == (revision, w, h));
        if !fresh {
            let l = OverlayLayout::placed(w, h, place);
            let font = &state.font;
            let (pixels, [x, y, rw, rh]) =
                panel::matte(w, h, l.panel, |p| panel::draw_panel(p, font, &l, &view));
            if rw == 0 || rh == 0 {
                return;
            }
            let Some(composition) = bgra_composition(pixels, [x, y, rw, rh]) else {
                gst::warning!(CAT, imp = self, "cannot build the panel composition");
                return;
            };
            state.composition = Some((revision, w, h, composition));
        }
        if let Some((_, _, _, composition)) = &state.composition {
            gst_video::VideoOverlayCompositionMeta::add(buf, composition);
        }
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
                    .blurb("SVG file the lesson report (attention over lesson time per viewer with markers, class mean, history, distributions) is written to at EOS and on the write-report action signal, with the same numbers as JSON beside it (same name, .json); a lesson closed by lesson-length goes to NAME-N.svg/.json (default: none)")
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
                    .blurb("Show the class panel (off: only collect and write the report)")
                    .default_value(DEFAULT_DRAW)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("mode", OverlayMode::default())
                    .nick("Mode")
                    .blurb("burn: draw the panel into the frames (everyone who watches the recording sees it); composition: attach it as GstVideoOverlayComposition meta, so a local preview sink that renders the meta (glimagesink) shows it and an encoder branch records a clean stream")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("lesson-length")
                    .nick("Lesson length")
                    .blurb("Seconds of lesson time per lesson: a window past it, or the presenter's clock one window length past it, closes the lesson (report NAME-N, document, history record) and starts a new one (0: one lesson until EOS)")
                    .minimum(0.0)
                    .maximum(86400.0 * 7.0)
                    .default_value(DEFAULT_LESSON_LENGTH)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("panel-scale")
                    .nick("Panel scale")
                    .blurb("Size of the panel (1: text height = frame height / 22)")
                    .minimum(0.25)
                    .maximum(4.0)
                    .default_value(DEFAULT_PANEL_SCALE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("panel-position", PanelPosition::default())
                    .nick("Panel position")
                    .blurb("Corner of the frame the panel sits in")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("panel-opacity")
                    .nick("Panel opacity")
                    .blurb("Opacity of the panel's dark background (0: text and chart only, 1: opaque)")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_PANEL_OPACITY)
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
                        let ok = match obj.imp().write_report_now() {
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
                        Some(obj.imp().apply_json(text.as_bytes()).to_value())
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
            "mode" => s.mode = value.get().expect("type checked upstream"),
            "lesson-length" => s.lesson_length = value.get().expect("type checked upstream"),
            "panel-scale" => s.panel_scale = value.get().expect("type checked upstream"),
            "panel-position" => s.panel_position = value.get().expect("type checked upstream"),
            "panel-opacity" => s.panel_opacity = value.get().expect("type checked upstream"),
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
            "mode" => s.mode.to_value(),
            "lesson-length" => s.lesson_length.to_value(),
            "panel-scale" => s.panel_scale.to_value(),
            "panel-position" => s.panel_position.to_value(),
            "panel-opacity" => s.panel_opacity.to_value(),
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
                "Presenter side of attentionmeter: subscribes to the viewers' attention messages over MQTT and shows the alerted viewers, the class average, the lesson curve over previous lessons and the distribution of attention per viewer, burned in or as overlay-composition meta; writes a lesson report (SVG) and document (JSON)",
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
        let mut records = Vec::new();
        if let Some(path) = &s.history_location {
            let course = s.course.clone().unwrap_or_else(|| "default".into());
            match history::load(Path::new(path), &course) {
                Ok((loaded, bad_lines)) => {
                    if bad_lines > 0 {
                        gst::element_imp_warning!(
                            self,
                            gst::StreamError::Decode,
                            ("history file {path}: {bad_lines} line(s) are not lesson records and were skipped")
                        );
                    }
                    records = loaded;
                }
                Err(e) => gst::element_imp_warning!(
                    self,
                    gst::ResourceError::OpenRead,
                    ("{e}; no history curve is drawn")
                ),
            }
        }
        // The lesson starts now (or with the earliest window of a viewer who started first).
        self.presenter
            .lock()
            .unwrap()
            .start(crate::attention::unix_now_ms(), records);
        *self.state.lock().unwrap() = Some(State {
            font,
            info: None,
            composition: None,
            finished: false,
        });
        if let Some(url) = url {
            let weak = self.obj().downgrade();
            let shown = url.to_string();
            let link = MqttLink::subscriber(&url, move |event| match event {
                LinkEvent::Message(payload) => {
                    if let Some(obj) = weak.upgrade()
                        && !obj.imp().apply_json(&payload)
                    {
                        gst::debug!(
                            CAT,
                            "ignored a message that is not an attention message of the course"
                        );
                    }
                }
                LinkEvent::Subscribed => {
                    if let Some(obj) = weak.upgrade() {
                        post(&obj, message::subscribed(&shown));
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
        *self.presenter.lock().unwrap() = Presenter::default();
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
        self.close_lesson_on_time();
        let (draw, mode, place) = {
            let s = self.settings.lock().unwrap();
            (s.draw, s.mode, s.placement())
        };
        if !draw {
            return Ok(gst::FlowSuccess::Ok);
        }
        let mut state = self.state.lock().unwrap();
        let Some(state) = state.as_mut() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before start"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        match mode {
            OverlayMode::Burn => self.draw(state, place, buf),
            OverlayMode::Composition => self.attach(state, place, buf),
        }
        Ok(gst::FlowSuccess::Ok)
    }
}
