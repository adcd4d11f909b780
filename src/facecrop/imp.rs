//! `facecrop` element: wires properties, caps and buffers to the core beside it.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;

use super::camera::{self, CameraTable, ConfigError, Size, SizeSource};
use super::placement::{self, CropWindow, Smoother};
use super::resample;
use super::{CropOnMissing, FaceCropMessage, Fit, Primary};
use crate::face::{Face, FrameMarker, PrimaryFace};
use crate::frame::image::Layout;
use crate::gst::device;
use crate::gst::element::{Analysis, BufferTimes, WarnOnce, not_analysed_hint, post};
use crate::gst::meta;
use crate::gst::video::{canvas, image_view, layout_of};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "facecrop",
        gst::DebugColorFlags::empty(),
        Some("facekit face crop"),
    )
});

const DEFAULT_CONFIG_TIMEOUT_MS: u32 = 5000;
const DEFAULT_FIT: Fit = Fit::Scale;
const DEFAULT_PRIMARY: Primary = Primary::Largest;
const DEFAULT_TRACK_ID: i32 = -1;
const DEFAULT_SMOOTHING: f64 = 0.7;
const DEFAULT_MAX_LAG: f64 = 2.0;
const DEFAULT_MARGIN: f64 = 0.5;
const DEFAULT_KEEP_NO_FACE: bool = false;
const DEFAULT_ON_MISSING: CropOnMissing = CropOnMissing::Error;
const DEFAULT_POST_MESSAGES: bool = true;

#[derive(Debug, Clone)]
struct Settings {
    size: Option<String>,
    camera_model: Option<String>,
    config_location: Option<String>,
    config_timeout_ms: u32,
    fallback_size: Option<String>,
    fit: Fit,
    primary: Primary,
    track_id: i32,
    smoothing: f64,
    max_lag: f64,
    margin: f64,
    keep_no_face: bool,
    on_missing: CropOnMissing,
    post_messages: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            size: None,
            camera_model: None,
            config_location: None,
            config_timeout_ms: DEFAULT_CONFIG_TIMEOUT_MS,
            fallback_size: None,
            fit: DEFAULT_FIT,
            primary: DEFAULT_PRIMARY,
            track_id: DEFAULT_TRACK_ID,
            smoothing: DEFAULT_SMOOTHING,
            max_lag: DEFAULT_MAX_LAG,
            margin: DEFAULT_MARGIN,
            keep_no_face: DEFAULT_KEEP_NO_FACE,
            on_missing: DEFAULT_ON_MISSING,
            post_messages: DEFAULT_POST_MESSAGES,
        }
    }
}

/// The camera model in effect and where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
struct CameraModel {
    /// None: no model (the table's resolution rules decide).
    name: Option<String>,
    /// `property`, a device property key (`device.product.name`, ...) or `none`.
    source: &'static str,
    /// The capture device it was read from.
    device: Option<String>,
}

impl CameraModel {
    fn read_from_device(&self) -> bool {
        self.device.is_some()
    }
}

#[derive(Default)]
struct State {
    /// The camera model: `camera-model`, or read from the capture device upstream.
    camera: CameraModel,
    /// The camera table loaded in start(), when config-location is set and it loaded.
    table: Option<CameraTable>,
    /// Why the table did not load (start() already failed unless fallback-size is set).
    table_error: Option<ConfigError>,
    in_info: Option<gst_video::VideoInfo>,
    out_info: Option<gst_video::VideoInfo>,
    source: Option<SizeSource>,
    smoother: Smoother,
    frames_in: u64,
    frames_out: u64,
    frames_without_face: u64,
    /// Warnings already given this stream.
    warned: WarnOnce,
    reported_size_error: bool,
}

#[derive(Default)]
pub struct FaceCrop {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceCrop {
    const NAME: &'static str = "GstFacekitFaceCrop";
    type Type = super::FaceCrop;
    type ParentType = gst_base::BaseTransform;
}

/// The target size and where it came from, or the user-facing reason there is none.
/// `capture` is the input size when known (needed by resolution rules).
fn resolve_target(
    settings: &Settings,
    state: &State,
    capture: Option<Size>,
) -> Result<Option<(Size, SizeSource)>, String> {
    if let Some(size) = &settings.size {
        return Size::parse(size)
            .map(|s| Some((s, SizeSource::Property)))
            .map_err(|e| format!("property size: {e}"));
    }
    let fallback = || -> Result<Option<Size>, String> {
        settings
            .fallback_size
            .as_deref()
            .map(|f| Size::parse(f).map_err(|e| format!("property fallback-size: {e}")))
            .transpose()
    };
    let from_table = match (&state.table, &state.table_error) {
        (Some(table), _) => match (&state.camera.name, capture) {
            // A model read from the device that the table does not list: the resolution
            // rules still apply (the user did not ask for that model).
            (Some(model), Some(capture)) if state.camera.read_from_device() => table
                .for_model(model)
                .map(|s| (s, SizeSource::CameraModel))
                .or_else(|_| {
                    table
                        .for_resolution(capture)
                        .map(|s| (s, SizeSource::Resolution))
                }),
            (Some(model), _) => table.for_model(model).map(|s| (s, SizeSource::CameraModel)),
            (None, Some(capture)) => table
                .for_resolution(capture)
                .map(|s| (s, SizeSource::Resolution)),
            // Resolution rules need the capture size; not known yet.
            (None, None) => return Ok(None),
        },
        (None, Some(e)) => Err(e.clone()),
        (None, None) => {
            return match fallback()? {
                Some(s) => Ok(Some((s, SizeSource::Fallback))),
                None => Err(
                    "no target size: set size=WxH, or config-location (a camera table file or http:// URL) with camera-model, or fallback-size"
                        .into(),
                ),
            };
        }
    };
    match from_table {
        Ok(found) => Ok(Some(found)),
        Err(e) => match fallback()? {
            Some(s) => Ok(Some((s, SizeSource::Fallback))),
            None => Err(e.to_string()),
        },
    }
}

fn size_of(s: &gst::StructureRef) -> Option<Size> {
    let w = s.get::<i32>("width").ok()?;
    let h = s.get::<i32>("height").ok()?;
    (w > 0 && h > 0).then(|| Size::new(w as u32, h as u32))
}

/// Offset alignment for a layout: subsampled chroma needs even offsets.
fn alignment(layout: Layout) -> u32 {
    if layout.subsampled() { 2 } else { 1 }
}

impl FaceCrop {
    /// `camera-model`, else the model of the capture device upstream (v4l2src).
    fn camera_model(&self, settings: &Settings) -> CameraModel {
        if let Some(name) = &settings.camera_model {
            return CameraModel {
                name: Some(name.clone()),
                source: "property",
                device: None,
            };
        }
        let none = CameraModel {
            name: None,
            source: "none",
            device: None,
        };
        let Some(sink) = self.obj().static_pad("sink") else {
            return none;
        };
        match device::lookup(&sink) {
            Ok(Some(found)) => {
                gst::info!(
                    CAT,
                    imp = self,
                    "camera model '{}' from {} of {}",
                    found.model,
                    found.key,
                    found.device
                );
                CameraModel {
                    name: Some(found.model),
                    source: found.key,
                    device: Some(found.device),
                }
            }
            Ok(None) => none,
            // The model only matters to a camera table.
            Err(e) if settings.config_location.is_some() && settings.size.is_none() => {
                gst::element_imp_warning!(
                    self,
                    gst::ResourceError::Settings,
                    ("{e}; set camera-model to name the camera")
                );
                none
            }
            Err(e) => {
                gst::info!(CAT, imp = self, "{e}");
                none
            }
        }
    }

    fn post(&self, msg: &FaceCropMessage) {
        post(&*self.obj(), gst::Structure::from(msg));
    }

    /// Copies `region` of the input frame, resampled to the output size, plane by plane.
    fn crop_frame(
        &self,
        inbuf: &gst::BufferRef,
        in_info: &gst_video::VideoInfo,
        outbuf: &mut gst::BufferRef,
        out_info: &gst_video::VideoInfo,
        layout: Layout,
        region: CropWindow,
    ) -> Result<(), gst::FlowError> {
        let src =
            gst_video::VideoFrameRef::from_buffer_ref_readable(inbuf, in_info).map_err(|_| {
                gst::element_imp_error!(self, gst::CoreError::Failed, ["cannot map input frame"]);
                gst::FlowError::Error
            })?;
        let mut dst = gst_video::VideoFrameRef::from_buffer_ref_writable(outbuf, out_info)
            .map_err(|_| {
                gst::element_imp_error!(self, gst::CoreError::Failed, ["cannot map output frame"]);
                gst::FlowError::Error
            })?;
        let (Some(src), Some(mut dst)) = (image_view(&src, layout), canvas(&mut dst, layout))
        else {
            gst::element_imp_error!(
                self,
                gst::StreamError::Format,
                ["frame planes are smaller than the caps say"]
            );
            return Err(gst::FlowError::Error);
        };
        resample::resample_region(&src, region, &mut dst);
        Ok(())
    }
}

impl ObjectImpl for FaceCrop {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("size")
                    .nick("Size")
                    .blurb("Target size WIDTHxHEIGHT (e.g. 160x160, each side 8..8192); wins over the camera table. Changing it while playing renegotiates the output caps (default: none, use the camera table)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("camera-model")
                    .nick("Camera model")
                    .blurb("Camera model looked up in the camera table (its \"type\"), and sent to a config service as ?model=...; unset: read from the capture device upstream (v4l2src: udev product name, else the V4L2 card name; a model the table does not list falls back to its resolution rules), else the table's capture-resolution rules decide. The messages say which (camera-model-source)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("config-location")
                    .nick("Config location")
                    .blurb("Camera table: a JSON file path (or file:// URL) or an http:// URL answering it (https is not supported by this build). Read once at start")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("config-timeout")
                    .nick("Config timeout")
                    .blurb("Milliseconds to wait for the config service before failing")
                    .minimum(100)
                    .maximum(600_000)
                    .default_value(DEFAULT_CONFIG_TIMEOUT_MS)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("fallback-size")
                    .nick("Fallback size")
                    .blurb("WIDTHxHEIGHT used (with a warning) when the camera table cannot give a size: unknown model, no matching rule, unreachable service, malformed table (default: none, that is an error)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("fit", DEFAULT_FIT)
                    .nick("Fit")
                    .blurb("A face larger than the target: scale (default) takes the whole face with its margin and scales it down to the target size; crop cuts the target size around its centre, so a large face loses forehead and chin")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("primary", DEFAULT_PRIMARY)
                    .nick("Primary face")
                    .blurb("Which face the crop follows when a frame has several")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecInt::builder("track-id")
                    .nick("Track id")
                    .blurb("Track id followed when primary=track (-1: none)")
                    .minimum(-1)
                    .default_value(DEFAULT_TRACK_ID)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("smoothing")
                    .nick("Smoothing")
                    .blurb("Weight of the previous crop centre in the moving average that steadies the crop (0: follow the face exactly)")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_SMOOTHING)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("max-lag")
                    .nick("Maximum lag")
                    .blurb("The smoothed crop centre never trails the face centre by more than this many input pixels")
                    .minimum(0.0)
                    .maximum(10_000.0)
                    .default_value(DEFAULT_MAX_LAG)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("margin")
                    .nick("Margin")
                    .blurb("fit=scale: room kept around the face box on each side, as a fraction of its size, so a detector on the receiving side finds the face again")
                    .minimum(0.0)
                    .maximum(2.0)
                    .default_value(DEFAULT_MARGIN)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("keep-no-face")
                    .nick("Keep frames without a face")
                    .blurb("Also send frames without a face (cropped at the last face position, or the centre); default drops them")
                    .default_value(DEFAULT_KEEP_NO_FACE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("on-missing", DEFAULT_ON_MISSING)
                    .nick("On missing metadata")
                    .blurb("What to do with a buffer facedetect never analysed (no facedetect upstream)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("post-messages")
                    .nick("Post messages")
                    .blurb("Post a 'facecrop' element message for every input frame")
                    .default_value(DEFAULT_POST_MESSAGES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt64::builder("frames-in")
                    .nick("Frames in")
                    .blurb("Frames received since start")
                    .read_only()
                    .build(),
                glib::ParamSpecUInt64::builder("frames-out")
                    .nick("Frames out")
                    .blurb("Frames sent downstream since start")
                    .read_only()
                    .build(),
                glib::ParamSpecUInt64::builder("frames-without-face")
                    .nick("Frames without a face")
                    .blurb("Frames received without a face (or whose analysis failed) since start")
                    .read_only()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let text = || {
            value
                .get::<Option<String>>()
                .expect("type checked upstream")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut s = self.settings.lock().unwrap();
        match pspec.name() {
            "size" => {
                let new = text();
                if let Some(Err(e)) = new.as_deref().map(Size::parse) {
                    // Reported as an element error at the next negotiation.
                    gst::warning!(CAT, imp = self, "{e}");
                }
                let changed = s.size != new;
                s.size = new;
                drop(s);
                if changed {
                    gst::debug!(CAT, imp = self, "size changed, renegotiating");
                    self.obj().reconfigure_src();
                }
            }
            "camera-model" => s.camera_model = text(),
            "config-location" => s.config_location = text(),
            "config-timeout" => s.config_timeout_ms = value.get().expect("type checked upstream"),
            "fallback-size" => s.fallback_size = text(),
            "fit" => s.fit = value.get().expect("type checked upstream"),
            "primary" => s.primary = value.get().expect("type checked upstream"),
            "track-id" => s.track_id = value.get().expect("type checked upstream"),
            "smoothing" => s.smoothing = value.get().expect("type checked upstream"),
            "max-lag" => s.max_lag = value.get().expect("type checked upstream"),
            "margin" => s.margin = value.get().expect("type checked upstream"),
            "keep-no-face" => s.keep_no_face = value.get().expect("type checked upstream"),
            "on-missing" => s.on_missing = value.get().expect("type checked upstream"),
            "post-messages" => s.post_messages = value.get().expect("type checked upstream"),
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let counter =
            |f: fn(&State) -> u64| self.state.lock().unwrap().as_ref().map_or(0, f).to_value();
        match pspec.name() {
            "frames-in" => return counter(|s| s.frames_in),
            "frames-out" => return counter(|s| s.frames_out),
            "frames-without-face" => return counter(|s| s.frames_without_face),
            _ => {}
        }
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "size" => s.size.to_value(),
            "camera-model" => s.camera_model.to_value(),
            "config-location" => s.config_location.to_value(),
            "config-timeout" => s.config_timeout_ms.to_value(),
            "fallback-size" => s.fallback_size.to_value(),
            "fit" => s.fit.to_value(),
            "primary" => s.primary.to_value(),
            "track-id" => s.track_id.to_value(),
            "smoothing" => s.smoothing.to_value(),
            "max-lag" => s.max_lag.to_value(),
            "margin" => s.margin.to_value(),
            "keep-no-face" => s.keep_no_face.to_value(),
            "on-missing" => s.on_missing.to_value(),
            "post-messages" => s.post_messages.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for FaceCrop {}

impl ElementImpl for FaceCrop {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face crop (facekit)",
                "Filter/Effect/Video",
                "Keeps frames with a face and crops them to a per-camera target size around the face centre (size, camera table file or http config service); face metadata follows into crop coordinates; posts 'facecrop' messages",
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

impl BaseTransformImpl for FaceCrop {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::NeverInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        for (name, value) in [
            ("size", &settings.size),
            ("fallback-size", &settings.fallback_size),
        ] {
            if let Some(Err(e)) = value.as_deref().map(Size::parse) {
                return Err(gst::error_msg!(
                    gst::LibraryError::Settings,
                    ("property {name}: {e}")
                ));
            }
        }
        let mut state = State {
            camera: self.camera_model(&settings),
            ..State::default()
        };
        if let Some(location) = &settings.config_location {
            let timeout = Duration::from_millis(settings.config_timeout_ms as u64);
            let model = state.camera.name.as_deref();
            let mut loaded = camera::load_table(location, model, timeout);
            if state.camera.read_from_device()
                && matches!(loaded, Err(ConfigError::HttpStatus { status: 404, .. }))
            {
                // The service does not know the device's model: its full table (resolution
                // rules) still applies.
                loaded = camera::load_table(location, None, timeout);
            }
            match loaded {
                Ok(table) => {
                    gst::info!(
                        CAT,
                        imp = self,
                        "camera table from {location}: {} entries",
                        table.entries.len()
                    );
                    state.table = Some(table);
                }
                Err(e) if settings.fallback_size.is_some() || settings.size.is_some() => {
                    // Not fatal: size wins anyway, or fallback-size stands in (warned below).
                    gst::warning!(CAT, imp = self, "{e}");
                    state.table_error = Some(e);
                }
                Err(e) => {
                    let kind = match e {
                        ConfigError::File { .. } => gst::ResourceError::NotFound,
                        ConfigError::Malformed { .. } => gst::ResourceError::Settings,
                        _ => gst::ResourceError::Read,
                    };
                    return Err(gst::error_msg!(kind, ("{e}")));
                }
            }
        }
        // Errors that do not depend on the capture size are reported now, not at the first buffer.
        if let Err(e) = resolve_target(&settings, &state, None) {
            return Err(gst::error_msg!(gst::LibraryError::Settings, ("{e}")));
        }
        *self.state.lock().unwrap() = Some(state);
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = None;
        Ok(())
    }

    fn transform_caps(
        &self,
        direction: gst::PadDirection,
        caps: &gst::Caps,
        filter: Option<&gst::Caps>,
    ) -> Option<gst::Caps> {
        let settings = self.settings.lock().unwrap().clone();
        let mut out = gst::Caps::new_empty();
        let mut error = None;
        {
            let state_guard = self.state.lock().unwrap();
            let out = out.get_mut().unwrap();
            for (s, features) in caps.iter_with_features() {
                let mut s = s.to_owned();
                let any = gst::IntRange::new(1, i32::MAX);
                if direction == gst::PadDirection::Src {
                    // Any input size crops to the output size.
                    s.set("width", any);
                    s.set("height", any);
                } else {
                    let resolved = match state_guard.as_ref() {
                        Some(state) => resolve_target(&settings, state, size_of(&s)),
                        None => Ok(None),
                    };
                    match resolved {
                        Ok(Some((size, _))) => {
                            s.set("width", size.width as i32);
                            s.set("height", size.height as i32);
                        }
                        Ok(None) => {
                            s.set("width", any);
                            s.set("height", any);
                        }
                        Err(e) => {
                            error = Some(e);
                            continue;
                        }
                    }
                }
                out.append_structure_full(s, Some(features.to_owned()));
            }
        }
        if let Some(e) = error {
            let first = self
                .state
                .lock()
                .unwrap()
                .as_mut()
                .is_some_and(|s| !std::mem::replace(&mut s.reported_size_error, true));
            if first {
                gst::element_imp_error!(self, gst::CoreError::Negotiation, ("{e}"));
            }
        }
        gst::debug!(CAT, imp = self, "{direction:?} {caps} -> {out}");
        Some(match filter {
            Some(f) => f.intersect_with_mode(&out, gst::CapsIntersectMode::First),
            None => out,
        })
    }

    fn set_caps(&self, incaps: &gst::Caps, outcaps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let in_info = gst_video::VideoInfo::from_caps(incaps)
            .map_err(|_| gst::loggable_error!(CAT, "invalid caps {incaps}"))?;
        let out_info = gst_video::VideoInfo::from_caps(outcaps)
            .map_err(|_| gst::loggable_error!(CAT, "invalid caps {outcaps}"))?;
        if layout_of(in_info.format()).is_none() || in_info.format() != out_info.format() {
            return Err(gst::loggable_error!(
                CAT,
                "unsupported caps {incaps} -> {outcaps}"
            ));
        }
        let settings = self.settings.lock().unwrap().clone();
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            return Err(gst::loggable_error!(CAT, "caps set before start"));
        };
        let capture = Size::new(in_info.width(), in_info.height());
        let target = Size::new(out_info.width(), out_info.height());
        let resolved = resolve_target(&settings, state, Some(capture))
            .ok()
            .flatten();
        let Some((expected, source)) = resolved else {
            return Err(gst::loggable_error!(CAT, "no target size for {capture}"));
        };
        if expected != target {
            return Err(gst::loggable_error!(
                CAT,
                "downstream gave {target}, the target is {expected}"
            ));
        }
        let changed = state
            .out_info
            .as_ref()
            .is_none_or(|o| o.width() != out_info.width() || o.height() != out_info.height())
            || state
                .in_info
                .as_ref()
                .is_some_and(|i| i.width() != in_info.width() || i.height() != in_info.height());
        if changed {
            state.smoother.reset();
        }
        let fallback_warning = source == SizeSource::Fallback && state.warned.first("fallback");
        let why = state.table_error.as_ref().map(|e| e.to_string());
        state.in_info = Some(in_info);
        state.out_info = Some(out_info);
        state.source = Some(source);
        drop(guard);
        gst::info!(
            CAT,
            imp = self,
            "cropping {capture} to {target} ({})",
            source.as_str()
        );
        if fallback_warning {
            let reason =
                why.unwrap_or_else(|| "the camera table has no entry for this camera".into());
            gst::element_imp_warning!(
                self,
                gst::ResourceError::Settings,
                ("using fallback-size {target}: {reason}")
            );
        }
        Ok(())
    }

    /// An output frame's size follows from its caps alone: the input may be larger than its
    /// caps say (padded rows and planes described by a video meta).
    fn transform_size(
        &self,
        _direction: gst::PadDirection,
        _caps: &gst::Caps,
        _size: usize,
        othercaps: &gst::Caps,
    ) -> Option<usize> {
        gst_video::VideoInfo::from_caps(othercaps)
            .ok()
            .map(|i| i.size())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        if matches!(
            event.view(),
            gst::EventView::FlushStop(_) | gst::EventView::StreamStart(_)
        ) && let Some(state) = self.state.lock().unwrap().as_mut()
        {
            state.smoother.reset();
        }
        self.parent_sink_event(event)
    }

    fn transform(
        &self,
        inbuf: &gst::Buffer,
        outbuf: &mut gst::BufferRef,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let settings = self.settings.lock().unwrap().clone();
        let frame = match meta::read_frame(inbuf) {
            Ok(f) => f,
            Err(e) => {
                gst::element_imp_error!(self, gst::StreamError::Format, ("{e}"));
                return Err(gst::FlowError::Error);
            }
        };
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            return Err(gst::FlowError::Flushing);
        };
        let (Some(in_info), Some(out_info), Some(source)) =
            (state.in_info.clone(), state.out_info.clone(), state.source)
        else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before caps"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let layout = layout_of(in_info.format()).ok_or(gst::FlowError::NotNegotiated)?;
        let frame_size = Size::new(in_info.width(), in_info.height());
        let target = Size::new(out_info.width(), out_info.height());
        state.frames_in += 1;

        let mut warning = None;
        let marker: Option<&FrameMarker> = frame.marker.as_ref();
        let face = match Analysis::of(&frame) {
            Analysis::NotAnalysed => match settings.on_missing {
                CropOnMissing::Error => {
                    drop(guard);
                    gst::element_imp_error!(
                        self,
                        gst::StreamError::Failed,
                        ("{} (or set on-missing=drop)", not_analysed_hint("facecrop"))
                    );
                    return Err(gst::FlowError::Error);
                }
                CropOnMissing::Drop => {
                    if state.warned.first("missing") {
                        warning = Some("buffers without face metadata (facedetect never analysed them) are dropped; put facedetect before facecrop".to_string());
                    }
                    None
                }
            },
            Analysis::Failed(reason) => {
                if state.warned.first("failed") {
                    warning = Some(format!(
                        "face analysis failed upstream ({reason}); such frames count as frames without a face"
                    ));
                }
                None
            }
            Analysis::Analysed => frame.primary(match settings.primary {
                Primary::Largest => PrimaryFace::Largest,
                Primary::MostConfident => PrimaryFace::MostConfident,
                Primary::Track => PrimaryFace::Track(settings.track_id),
            }),
        };
        let keep = face.is_some() || (settings.keep_no_face && marker.is_some());
        if face.is_none() {
            state.frames_without_face += 1;
        }

        let region = if !keep {
            None
        } else {
            let fit = settings.fit;
            if fit == Fit::Crop
                && (target.width > frame_size.width || target.height > frame_size.height)
            {
                drop(guard);
                gst::element_imp_error!(
                    self,
                    gst::CoreError::Negotiation,
                    ("target size {target} is larger than the {frame_size} input; choose a smaller size or fit=scale")
                );
                return Err(gst::FlowError::NotNegotiated);
            }
            let smoothing = settings.smoothing as f32;
            let (centre, scale) = match face {
                Some(f) => (
                    state.smoother.update(
                        f.bbox.center(),
                        f.track_id,
                        smoothing,
                        settings.max_lag as f32,
                    ),
                    state.smoother.update_scale(
                        placement::needed_scale(&f.bbox, target, fit, settings.margin as f32),
                        smoothing,
                    ),
                ),
                None => (
                    state.smoother.centre().unwrap_or((
                        frame_size.width as f32 / 2.0,
                        frame_size.height as f32 / 2.0,
                    )),
                    1.0,
                ),
            };
            let size = placement::region_size(target, scale, frame_size);
            placement::place_window(centre, size, frame_size, alignment(layout))
        };
        if region.is_some() {
            state.frames_out += 1;
        }
        let msg = FaceCropMessage {
            timestamp: inbuf.pts(),
            running_time: None,
            kept: region.is_some(),
            face_id: face.map(|f| f.track_id),
            frames_in: state.frames_in,
            frames_out: state.frames_out,
            frames_without_face: state.frames_without_face,
            window: region.map(|r| (r.x, r.y, r.width, r.height)),
            target_width: target.width,
            target_height: target.height,
            size_source: source,
            camera_model: state.camera.name.clone(),
            camera_model_source: state.camera.source,
            camera_device: state.camera.device.clone(),
        };
        drop(guard);

        if let Some(w) = warning {
            gst::element_imp_warning!(self, gst::StreamError::Failed, ("{w}"));
        }
        let result = match region {
            None => Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED),
            Some(region) => {
                self.crop_frame(inbuf, &in_info, outbuf, &out_info, layout, region)?;
                let faces: Vec<Face> = frame
                    .faces
                    .iter()
                    .filter_map(|f| {
                        placement::box_to_crop(&f.bbox, region, target).map(|bbox| {
                            let mut face = Face { bbox, ..f.clone() };
                            let scale = region.width as f64 / target.width as f64;
                            meta::set_param(&mut face, &super::message::crop_param(f, scale));
                            face
                        })
                    })
                    .collect();
                meta::rewrite_faces(outbuf, &faces, (target.width, target.height));
                if let Some(m) = marker {
                    let moved = FrameMarker {
                        faces: faces.len() as u32,
                        ..m.clone()
                    };
                    meta::write_marker(outbuf, &moved);
                }
                Ok(gst::FlowSuccess::Ok)
            }
        };
        if settings.post_messages {
            self.post(&FaceCropMessage {
                running_time: BufferTimes::of(&*self.obj(), inbuf).running_time,
                ..msg
            });
        }
        result
    }
}
