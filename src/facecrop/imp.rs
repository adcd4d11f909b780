//! `facecrop` element: wires properties, caps and buffers to the core beside it.

use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;

use super::camera::{ConfigError, Size, SizeSource};
use super::cropper::{Cropper, faces_in_crop};
use super::placement::CropWindow;
use super::resample;
use super::settings::*;
use super::target::{CameraModel, StartError, Targets};
use super::{CropOnMissing, FaceCropMessage};
use crate::face::FrameMarker;
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

#[derive(Default)]
struct State {
    /// The camera model and table the target size is chosen from.
    targets: Targets,
    in_info: Option<gst_video::VideoInfo>,
    out_info: Option<gst_video::VideoInfo>,
    source: Option<SizeSource>,
    /// Counters and the smoothed window.
    cropper: Cropper,
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

fn size_of(s: &gst::StructureRef) -> Option<Size> {
    let w = s.get::<i32>("width").ok()?;
    let h = s.get::<i32>("height").ok()?;
    (w > 0 && h > 0).then(|| Size::new(w as u32, h as u32))
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
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(super::properties);
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
            "frames-in" => return counter(|s| s.cropper.frames_in),
            "frames-out" => return counter(|s| s.cropper.frames_out),
            "frames-without-face" => return counter(|s| s.cropper.frames_without_face),
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
        let targets =
            Targets::start(&settings, || self.camera_model(&settings)).map_err(|e| match e {
                StartError::Settings(e) => gst::error_msg!(gst::LibraryError::Settings, ("{e}")),
                StartError::Table(e) => {
                    let kind = match e {
                        ConfigError::File { .. } => gst::ResourceError::NotFound,
                        ConfigError::Malformed { .. } => gst::ResourceError::Settings,
                        _ => gst::ResourceError::Read,
                    };
                    gst::error_msg!(kind, ("{e}"))
                }
            })?;
        if let Some(table) = &targets.table {
            let location = settings.config_location.as_deref().unwrap_or_default();
            let entries = table.entries.len();
            gst::info!(
                CAT,
                imp = self,
                "camera table from {location}: {entries} entries"
            );
        }
        if let Some(e) = &targets.table_error {
            // Not fatal: size wins anyway, or fallback-size stands in (warned in set_caps).
            gst::warning!(CAT, imp = self, "{e}");
        }
        *self.state.lock().unwrap() = Some(State {
            targets,
            ..State::default()
        });
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
                        Some(state) => state.targets.resolve(&settings, size_of(&s)),
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
        let source = (state.targets)
            .check(&settings, capture, target)
            .map_err(|e| gst::loggable_error!(CAT, "{e}"))?;
        let changed = state
            .out_info
            .as_ref()
            .is_none_or(|o| o.width() != out_info.width() || o.height() != out_info.height())
            || state
                .in_info
                .as_ref()
                .is_some_and(|i| i.width() != in_info.width() || i.height() != in_info.height());
        if changed {
            state.cropper.smoother.reset();
        }
        let fallback_warning = source == SizeSource::Fallback && state.warned.first("fallback");
        let why = state.targets.table_error.as_ref().map(|e| e.to_string());
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
            state.cropper.smoother.reset();
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
        state.cropper.count_in();

        let marker: Option<&FrameMarker> = frame.marker.as_ref();
        let analysis = Analysis::of(&frame);
        if analysis == Analysis::NotAnalysed && settings.on_missing == CropOnMissing::Error {
            drop(guard);
            gst::element_imp_error!(
                self,
                gst::StreamError::Failed,
                ("{} (or set on-missing=drop)", not_analysed_hint("facecrop"))
            );
            return Err(gst::FlowError::Error);
        }
        let consequence = match analysis {
            Analysis::NotAnalysed => "such buffers are dropped",
            _ => "such frames count as frames without a face",
        };
        let warning = analysis.warning("facecrop", consequence, &mut state.warned);
        let analysed = analysis == Analysis::Analysed;
        let decision =
            match (state.cropper).decide(&settings, &frame, analysed, frame_size, target, layout) {
                Ok(d) => d,
                Err(e) => {
                    drop(guard);
                    gst::element_imp_error!(self, gst::CoreError::Negotiation, ("{e}"));
                    return Err(gst::FlowError::NotNegotiated);
                }
            };
        let region = decision.window;
        let cropper = &state.cropper;
        let msg = FaceCropMessage {
            timestamp: inbuf.pts(),
            running_time: None,
            kept: region.is_some(),
            face_id: decision.face_id,
            frames_in: cropper.frames_in,
            frames_out: cropper.frames_out,
            frames_without_face: cropper.frames_without_face,
            window: region.map(|r| (r.x, r.y, r.width, r.height)),
            target_width: target.width,
            target_height: target.height,
            size_source: source,
            camera_model: state.targets.camera.name.clone(),
            camera_model_source: state.targets.camera.source,
            camera_device: state.targets.camera.device.clone(),
        };
        drop(guard);

        if let Some(w) = warning {
            gst::element_imp_warning!(self, gst::StreamError::Failed, ("{w}"));
        }
        let result = match region {
            None => Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED),
            Some(region) => {
                self.crop_frame(inbuf, &in_info, outbuf, &out_info, layout, region)?;
                let faces = faces_in_crop(&frame.faces, region, target, |f, scale| {
                    meta::face_param(&super::message::crop_param(f, scale))
                });
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
