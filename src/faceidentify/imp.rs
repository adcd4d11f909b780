//! `faceidentify` element: wires properties, caps and buffers to the core modules.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use super::Mode;
use super::align::{CHIP_SIZE, ChipGeometry};
use super::descriptor::{Descriptor, DescriptorModel, default_model_path};
use super::gallery::{Entry, Gallery};
use super::message::{Described, IdentityMessage};
use super::schedule::IntervalSchedule;
use super::settings::*;
use crate::face::LandmarkScheme;
use crate::facequality::quality_of;
use crate::facequality::{Keyframe, KeyframeSelector, WindowLimits};
use crate::gst::element::{BufferTimes, WarnOnce, post};
use crate::gst::meta;
use crate::gst::video::{image_view, layout_of};
use crate::inference;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "faceidentify",
        gst::DebugColorFlags::empty(),
        Some("facekit face identification"),
    )
});

/// Descriptors kept for run-time enrolment, most recent tracks first.
const MAX_REMEMBERED_TRACKS: usize = 256;

struct State {
    info: Option<gst_video::VideoInfo>,
    model: DescriptorModel,
    gallery: Gallery,
    selector: KeyframeSelector<Described>,
    schedule: IntervalSchedule,
    /// Latest descriptor per track, for the `enrol` signal.
    remembered: Vec<(i32, Descriptor)>,
    too_small_posted: HashSet<i32>,
    warned: WarnOnce,
}

impl State {
    fn remember(&mut self, track: i32, d: Descriptor) {
        self.remembered.retain(|(t, _)| *t != track);
        self.remembered.insert(0, (track, d));
        self.remembered.truncate(MAX_REMEMBERED_TRACKS);
    }
}

#[derive(Default)]
pub struct FaceIdentify {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceIdentify {
    const NAME: &'static str = "GstFacekitFaceIdentify";
    type Type = super::FaceIdentify;
    type ParentType = gst_base::BaseTransform;
}

impl FaceIdentify {
    fn warn(&self, text: &str) {
        gst::element_imp_warning!(self, gst::StreamError::Format, ("{text}"));
    }

    fn times(&self, pts: Option<gst::ClockTime>) -> [Option<gst::ClockTime>; 3] {
        let t = BufferTimes::at(&*self.obj(), pts, None);
        [t.pts, t.stream_time, t.running_time]
    }

    fn post(&self, msg: &IdentityMessage) {
        gst::debug!(
            CAT,
            imp = self,
            "track {}: {} '{}' at {:.3}",
            msg.track_id,
            msg.result.as_str(),
            msg.identity,
            msg.distance
        );
        post(&*self.obj(), gst::Structure::from(msg));
    }

    /// Messages for closed key-frame windows (state lock held by the caller).
    fn closed_messages(
        state: &mut State,
        threshold: f64,
        closed: Vec<Keyframe<Described>>,
    ) -> Result<Vec<IdentityMessage>, String> {
        closed
            .into_iter()
            .map(|kf| {
                IdentityMessage::identify(
                    &state.gallery,
                    threshold,
                    kf.track_id,
                    kf.frames,
                    &kf.best.payload,
                )
            })
            .collect()
    }

    fn finish_all(&self) {
        let threshold = self.settings.lock().unwrap().threshold;
        let messages = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else { return };
            let closed = state.selector.finish_all();
            Self::closed_messages(state, threshold, closed)
        };
        match messages {
            Ok(messages) => messages.iter().for_each(|m| self.post(m)),
            Err(e) => gst::element_imp_error!(self, gst::LibraryError::Failed, ("{e}")),
        }
    }

    fn enrol(&self, label: &str, track_id: i32) -> Result<usize, String> {
        let mut guard = self.state.lock().unwrap();
        let state = guard
            .as_mut()
            .ok_or("enrol: the element is not started (no descriptors yet)")?;
        let descriptor = state
            .remembered
            .iter()
            .find(|(t, _)| *t == track_id)
            .map(|(_, d)| *d)
            .ok_or_else(|| format!("enrol: no descriptor computed for track {track_id} yet"))?;
        state.gallery.enrol(Entry {
            label: label.to_string(),
            descriptor,
            source: format!("track {track_id}"),
        })?;
        Ok(state.gallery.entries.len())
    }
}

impl ObjectImpl for FaceIdentify {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("gallery")
                    .nick("Gallery")
                    .blurb("Known faces, loaded at start: a folder of labelled photos (NAME.jpg|png, or NAME/*.jpg|png; one clear face each), or a SQLite file of descriptors (created when missing; run-time enrolments are written to it). Unset: an empty gallery (every face 'unknown' until enrolled)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("threshold")
                    .nick("Threshold")
                    .blurb("Largest descriptor distance that still verifies an identity (dlib's 0.6: same person below it)")
                    .minimum(0.0)
                    .maximum(2.0)
                    .default_value(DEFAULT_THRESHOLD)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("mode", DEFAULT_MODE)
                    .nick("Mode")
                    .blurb("Which faces get a descriptor: keyframe (the best face of each track's window by facequality's overall score; facequality must be upstream) or interval (every 'interval'-th face of each track)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("interval")
                    .nick("Interval")
                    .blurb("mode=interval: a descriptor for the 1st, (N+1)-th, ... face of each track")
                    .minimum(1)
                    .maximum(100_000)
                    .default_value(DEFAULT_INTERVAL)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt64::builder("window")
                    .nick("Window")
                    .blurb("mode=keyframe: running time in nanoseconds from a track's first scored face after which its identity is posted (0: the whole track, posted when it ends or at EOS). Give facequality the same keyframe-window to name the same frame")
                    .default_value(DEFAULT_WINDOW)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("window-frames")
                    .nick("Window (frames)")
                    .blurb("mode=keyframe: scored faces of a track after which its identity is posted (0: no frame limit); whichever limit comes first closes the window")
                    .default_value(DEFAULT_WINDOW_FRAMES)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("min-face-size")
                    .nick("Minimum face size")
                    .blurb("Faces whose box is narrower than this (pixels) get no descriptor: one 'too-small' message per track instead")
                    .minimum(8)
                    .maximum(4096)
                    .default_value(DEFAULT_MIN_FACE_SIZE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("model")
                    .nick("Model")
                    .blurb("Descriptor model (ONNX) instead of the bundled dlib_face_recognition_resnet_model_v1.onnx in the model folder")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("ort-library")
                    .nick("ONNX Runtime library")
                    .blurb("Path of libonnxruntime.so (1.31) when ORT_DYLIB_PATH is unset (default: the set-up's models/runtime/)")
                    .mutable_ready()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn signals() -> &'static [glib::subclass::Signal] {
        static SIGNALS: LazyLock<Vec<glib::subclass::Signal>> = LazyLock::new(|| {
            vec![
                glib::subclass::Signal::builder("enrol")
                    .param_types([String::static_type(), i32::static_type()])
                    .return_type::<bool>()
                    .action()
                    .class_handler(|args| {
                        let element = args[0].get::<super::FaceIdentify>().expect("signal arg");
                        let label = args[1].get::<String>().expect("signal arg");
                        let track = args[2].get::<i32>().expect("signal arg");
                        let imp = element.imp();
                        match imp.enrol(&label, track) {
                            Ok(n) => {
                                gst::info!(
                                    CAT,
                                    imp = imp,
                                    "enrolled '{label}' from track {track} ({n} in the gallery)"
                                );
                                Some(true.to_value())
                            }
                            Err(e) => {
                                imp.warn(&e);
                                Some(false.to_value())
                            }
                        }
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
            "gallery" => s.gallery = text(),
            "threshold" => s.threshold = value.get().expect("type checked upstream"),
            "mode" => s.mode = value.get().expect("type checked upstream"),
            "interval" => s.interval = value.get().expect("type checked upstream"),
            "window" => s.window = value.get().expect("type checked upstream"),
            "window-frames" => s.window_frames = value.get().expect("type checked upstream"),
            "min-face-size" => s.min_face_size = value.get().expect("type checked upstream"),
            "model" => s.model = text(),
            "ort-library" => s.ort_library = text(),
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "gallery" => s.gallery.to_value(),
            "threshold" => s.threshold.to_value(),
            "mode" => s.mode.to_value(),
            "interval" => s.interval.to_value(),
            "window" => s.window.to_value(),
            "window-frames" => s.window_frames.to_value(),
            "min-face-size" => s.min_face_size.to_value(),
            "model" => s.model.to_value(),
            "ort-library" => s.ort_library.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for FaceIdentify {}

impl ElementImpl for FaceIdentify {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face identification (facekit)",
                "Filter/Analyzer/Video",
                "Names each face track found by facedetect: dlib's 128-d ResNet descriptor of the key frame facequality would pick (or every N-th face), matched against a gallery; posts 'faceidentify' messages (track id, identity, distance, verified/unknown)",
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

impl BaseTransformImpl for FaceIdentify {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        let library = inference::runtime_library(settings.ort_library.as_deref().map(Path::new));
        let env = inference::environment(&library, 0)
            .map_err(|e| gst::error_msg!(gst::LibraryError::Init, ("{e}")))?;
        let model_path = settings
            .model
            .as_deref()
            .map(PathBuf::from)
            .unwrap_or_else(default_model_path);
        let model = DescriptorModel::load(&env, &model_path)
            .map_err(|e| gst::error_msg!(gst::ResourceError::OpenRead, ("faceidentify: {e}")))?;
        // A model that loads but is not the descriptor fails here rather than on a face.
        model
            .compute(&[&vec![0.0; 3 * CHIP_SIZE * CHIP_SIZE]])
            .map_err(|e| {
                gst::error_msg!(
                    gst::ResourceError::OpenRead,
                    (
                        "faceidentify: model '{}' does not compute a face descriptor: {e}",
                        model_path.display()
                    )
                )
            })?;
        let gallery = Gallery::open(settings.gallery.as_deref(), &env, &model)
            .map_err(|e| gst::error_msg!(gst::ResourceError::Settings, ("faceidentify: {e}")))?;
        gst::info!(
            CAT,
            imp = self,
            "model {}, gallery {} entries {:?}",
            model.path().display(),
            gallery.entries.len(),
            gallery.labels()
        );
        *self.state.lock().unwrap() = Some(State {
            info: None,
            model,
            gallery,
            selector: KeyframeSelector::default(),
            schedule: IntervalSchedule::default(),
            remembered: Vec::new(),
            too_small_posted: HashSet::new(),
            warned: WarnOnce::default(),
        });
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = None;
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
        let mut state = self.state.lock().unwrap();
        let Some(state) = state.as_mut() else {
            return Err(gst::loggable_error!(CAT, "caps set before start"));
        };
        state.info = Some(info);
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        match event.view() {
            gst::EventView::Eos(_) => self.finish_all(),
            gst::EventView::FlushStop(_) | gst::EventView::StreamStart(_) => {
                if let Some(state) = self.state.lock().unwrap().as_mut() {
                    state.selector.reset();
                    state.schedule.reset();
                    state.too_small_posted.clear();
                }
            }
            _ => {}
        }
        self.parent_sink_event(event)
    }

    fn transform_ip(&self, buf: &mut gst::BufferRef) -> Result<gst::FlowSuccess, gst::FlowError> {
        let settings = self.settings.lock().unwrap().clone();
        let times = self.times(buf.pts());
        let now = times[2].or(times[0]).map_or(0, |t| t.nseconds());
        let mut warnings: Vec<String> = Vec::new();
        let mut messages = Vec::new();

        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before start"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let Some(info) = state.info.clone() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before caps"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let layout = layout_of(info.format()).ok_or(gst::FlowError::NotNegotiated)?;
        let mut warn_once = |state: &mut State, key: &'static str, text: String| {
            if state.warned.first(key) {
                warnings.push(text);
            }
        };

        let frame = match meta::read_frame(buf) {
            Ok(f) => Some(f),
            Err(e) => {
                warn_once(
                    state,
                    "malformed",
                    format!("{e}; such frames pass unidentified"),
                );
                None
            }
        };
        let frame = frame.filter(|f| match &f.marker {
            None => {
                warn_once(state, "missing", "buffer was never analysed by facedetect: put facedetect (landmarks=true) upstream of faceidentify; such frames pass unidentified".into());
                false
            }
            Some(m) => m.analysed(),
        });
        let limits = WindowLimits {
            time_ns: (settings.window > 0).then_some(settings.window),
            frames: (settings.window_frames > 0).then_some(settings.window_frames),
        };
        let mut result = Ok(());
        if let Some(frame) = frame {
            let faces = frame.faces;
            let vframe = if faces.is_empty() {
                None
            } else {
                gst_video::VideoFrameRef::from_buffer_ref_readable(&*buf, &info).ok()
            };
            let image = vframe.as_ref().and_then(|f| image_view(f, layout));
            if !faces.is_empty() && image.is_none() {
                drop(guard);
                gst::element_imp_error!(self, gst::StreamError::Failed, ["cannot map frame"]);
                return Err(gst::FlowError::Error);
            }
            for face in &faces {
                let Some(image) = image.as_ref() else { break };
                if face.bbox.width < settings.min_face_size as f32 {
                    if state.too_small_posted.insert(face.track_id) {
                        messages.push(IdentityMessage::too_small(face, settings.threshold, times));
                    }
                    continue;
                }
                let points = face
                    .landmarks
                    .as_ref()
                    .filter(|l| l.named_scheme() == Some(LandmarkScheme::Mesh468))
                    .map(|l| l.to_pixels(&face.bbox));
                let Some(geometry) = points.as_deref().and_then(ChipGeometry::from_mesh) else {
                    warn_once(
                        state,
                        "landmarks",
                        format!(
                            "face {} has no {} landmarks (scheme {}): set landmarks=true on facedetect; such faces pass unidentified",
                            face.track_id,
                            LandmarkScheme::Mesh468.name(),
                            face.landmarks
                                .as_ref()
                                .map_or("none", |l| l.scheme.as_str())
                        ),
                    );
                    continue;
                };
                match settings.mode {
                    Mode::Keyframe => {
                        let q = match quality_of(face) {
                            Some(Ok(q)) => q,
                            Some(Err(e)) => {
                                warn_once(
                                    state,
                                    "quality",
                                    format!("{e}; such faces pass unidentified"),
                                );
                                continue;
                            }
                            None => {
                                warn_once(state, "quality", "mode=keyframe needs facequality upstream of faceidentify (its 'quality' param picks the key frame); or set mode=interval; faces pass unidentified".into());
                                continue;
                            }
                        };
                        if !q.valid() {
                            continue;
                        }
                        let State {
                            selector, model, ..
                        } = state;
                        let mut fresh = None;
                        selector.offer(face.track_id, now, q.overall, limits, || {
                            let d = Described::new(model, image, &geometry, face, q.overall, times);
                            fresh = d.descriptor.clone().ok();
                            if let Err(e) = &d.descriptor {
                                result = Err(e.clone());
                            }
                            d
                        });
                        if let Some(d) = fresh {
                            state.remember(face.track_id, d);
                        }
                    }
                    Mode::Interval => {
                        if !state.schedule.due(face.track_id, settings.interval) {
                            continue;
                        }
                        let quality = match quality_of(face) {
                            Some(Ok(q)) if q.valid() => q.overall,
                            _ => -1.0,
                        };
                        let d =
                            Described::new(&state.model, image, &geometry, face, quality, times);
                        let frames = state.schedule.seen(face.track_id);
                        match IdentityMessage::identify(
                            &state.gallery,
                            settings.threshold,
                            face.track_id,
                            frames,
                            &d,
                        ) {
                            Ok(m) => {
                                if let Some(desc) = m.descriptor {
                                    state.remember(face.track_id, desc);
                                }
                                messages.push(m);
                            }
                            Err(e) => result = Err(e),
                        }
                    }
                }
            }
            let present: Vec<i32> = faces.iter().map(|f| f.track_id).collect();
            match settings.mode {
                Mode::Keyframe => {
                    let closed = state.selector.end_frame(&present, now, limits);
                    match Self::closed_messages(state, settings.threshold, closed) {
                        Ok(m) => messages.extend(m),
                        Err(e) => result = Err(e),
                    }
                }
                Mode::Interval => state.schedule.retain(&present),
            }
        }
        drop(guard);
        for w in warnings {
            self.warn(&w);
        }
        for m in &messages {
            self.post(m);
        }
        if let Err(e) = result {
            gst::element_imp_error!(
                self,
                gst::LibraryError::Failed,
                ("face descriptor failed: {e}")
            );
            return Err(gst::FlowError::Error);
        }
        Ok(gst::FlowSuccess::Ok)
    }
}
