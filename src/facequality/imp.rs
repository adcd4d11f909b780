//! `facequality` element: wires properties, caps and buffers to the core beside it.

use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use super::message::BestFace;
use super::settings::*;
use super::{
    AutoWeights, FaceRegion, FileFormat, Keyframe, KeyframeSelector, MaskKind, RegionCopy, Status,
    Weights, WindowLimits,
};
use super::{FaceQualityMessage, QualityEntry, quality_param};
use crate::gst::element::{self, Analysis, BufferTimes, WarnOnce};
use crate::gst::meta;
use crate::gst::video::{image_view, layout_of};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "facequality",
        gst::DebugColorFlags::empty(),
        Some("facekit face quality"),
    )
});

struct State {
    info: Option<gst_video::VideoInfo>,
    auto: AutoWeights,
    selector: KeyframeSelector<BestFace>,
    last_message: Option<gst::ClockTime>,
    location_format: Option<FileFormat>,
    /// Warnings already given this stream.
    warned: WarnOnce,
}

#[derive(Default)]
pub struct FaceQuality {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    /// A rejected property value, reported on the bus with the next buffer.
    property_warning: Mutex<Option<String>>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceQuality {
    const NAME: &'static str = "GstFacekitFaceQuality";
    type Type = super::FaceQuality;
    type ParentType = gst_base::BaseTransform;
}

/// Reads a `weights` array whose items may be doubles, floats or integers.
fn weights_from_array(a: &gst::Array) -> Result<Weights, String> {
    let values: Vec<f64> = a
        .iter()
        .map(|v| {
            v.get::<f64>()
                .or_else(|_| v.get::<f32>().map(f64::from))
                .or_else(|_| v.get::<i32>().map(f64::from))
                .map_err(|_| format!("weights: '{v:?}' is not a number"))
        })
        .collect::<Result<_, _>>()?;
    Weights::normalised(&values)
}

impl FaceQuality {
    fn warn(&self, text: &str) {
        gst::element_imp_warning!(self, gst::StreamError::Format, ("{text}"));
    }

    /// Message timing from a buffer's PTS and the current segment.
    fn times(
        &self,
        pts: Option<gst::ClockTime>,
    ) -> (Option<gst::ClockTime>, Option<gst::ClockTime>) {
        let t = BufferTimes::at(&*self.obj(), pts, None);
        (t.stream_time, t.running_time)
    }

    /// Builds, optionally writes, and posts the key frames of closed windows. Called without
    /// holding the state lock.
    fn post_keyframes(
        &self,
        keyframes: Vec<Keyframe<BestFace>>,
        location: Option<(&str, FileFormat)>,
    ) {
        for kf in keyframes {
            let best = &kf.best.payload;
            let crop = best.region.as_ref().and_then(RegionCopy::to_rgb);
            let Some((crop, sample)) = crop.and_then(|c| best.sample(&c).map(|s| (c, s))) else {
                gst::warning!(
                    CAT,
                    imp = self,
                    "cannot build key frame sample for track {}",
                    kf.track_id
                );
                continue;
            };
            let mut written = None;
            if let Some((template, format)) = location {
                let path = super::keyframe_path(
                    template,
                    kf.track_id,
                    best.running_time.or(best.pts).map_or(0, |t| t.nseconds()),
                );
                match super::write_crop(&path, &crop, format) {
                    Ok(()) => written = Some(path.display().to_string()),
                    Err(e) => self.warn(&e),
                }
            }
            let msg = best.message(kf.track_id, kf.frames, &crop, sample, written);
            gst::debug!(
                CAT,
                imp = self,
                "key frame for track {} at {:?}: overall {:.3}",
                kf.track_id,
                best.pts,
                best.quality.overall
            );
            element::post(&*self.obj(), gst::Structure::from(&msg));
        }
    }

    fn location(settings: &Settings, state: &State) -> Option<(String, FileFormat)> {
        Some((settings.keyframe_location.clone()?, state.location_format?))
    }

    fn finish_all(&self) {
        let settings = self.settings.lock().unwrap().clone();
        let (keyframes, location) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else { return };
            (
                state.selector.finish_all(),
                Self::location(&settings, state),
            )
        };
        self.post_keyframes(keyframes, location.as_ref().map(|(t, f)| (t.as_str(), *f)));
    }
}

impl ObjectImpl for FaceQuality {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                gst::ParamSpecArray::builder("weights")
                    .nick("Weights")
                    .blurb("Weights of symmetry, sharpness, illumination, resolution in the overall score, e.g. \"<0.2, 0.3, 0.2, 0.3>\" (the default). Divided by their sum; negative values, NaN, a wrong count or all zeros are rejected with a warning and the previous weights kept")
                    .element_spec(
                        // No minimum here: negative values reach set_property, which
                        // rejects them with a message saying what to give instead.
                        &glib::ParamSpecDouble::builder("weight")
                            .minimum(f64::MIN)
                            .maximum(f64::MAX)
                            .default_value(0.25)
                            .build(),
                    )
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("auto-weights")
                    .nick("Automatic weights")
                    .blurb("Divide each weight by its component's running standard deviation over the stream (after 10 faces; spreads under 0.02 count as 0.02), so that each component's pull on the ranking follows the weights rather than its scale")
                    .default_value(DEFAULT_AUTO_WEIGHTS)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("reference-size")
                    .nick("Reference size")
                    .blurb("Face size in pixels (square root of the box area) that gets resolution 1; smaller faces get size / reference-size")
                    .minimum(8)
                    .maximum(8192)
                    .default_value(DEFAULT_REFERENCE_SIZE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("post-messages")
                    .nick("Post messages")
                    .blurb("Post 'facequality' element messages (at most one per message-interval)")
                    .default_value(DEFAULT_POST_MESSAGES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt64::builder("message-interval")
                    .nick("Message interval")
                    .blurb("Minimum running time in nanoseconds between two 'facequality' messages (0: every frame with faces)")
                    .default_value(DEFAULT_MESSAGE_INTERVAL)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("keyframes")
                    .nick("Key frames")
                    .blurb("Choose the best face of each track and post it once as a 'facequality-keyframe' message")
                    .default_value(DEFAULT_KEYFRAMES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt64::builder("keyframe-window")
                    .nick("Key frame window")
                    .blurb("Running time in nanoseconds from a track's first scorable face after which its best face is posted (0: no time limit, wait for the track's end or EOS)")
                    .default_value(DEFAULT_KEYFRAME_WINDOW)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("keyframe-window-frames")
                    .nick("Key frame window (frames)")
                    .blurb("Scorable faces of a track after which its best face is posted (0: no frame limit); whichever limit comes first closes the window")
                    .default_value(DEFAULT_KEYFRAME_WINDOW_FRAMES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("keyframe-location")
                    .nick("Key frame location")
                    .blurb("Also write each key frame crop to this file name template, with {track} (track id) and {time} (running time in ms) filled in; .png, .jpg or .jpeg; the folder must exist. Unset: no files")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("keyframe-margin")
                    .nick("Key frame margin")
                    .blurb("Margin added around the face box on each side of the key frame crop, as a fraction of the box size")
                    .minimum(0.0)
                    .maximum(2.0)
                    .default_value(DEFAULT_KEYFRAME_MARGIN)
                    .mutable_playing()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut s = self.settings.lock().unwrap();
        match pspec.name() {
            "weights" => {
                let result = value
                    .get::<gst::Array>()
                    .map_err(|e| format!("weights: {e}"))
                    .and_then(|a| weights_from_array(&a));
                match result {
                    Ok(w) => {
                        gst::info!(CAT, imp = self, "weights in effect {:?}", w.0);
                        s.weights = w;
                    }
                    Err(e) => {
                        let text = format!("{e}; keeping {:?}", s.weights.0);
                        gst::warning!(CAT, imp = self, "{text}");
                        glib::g_warning!("facequality", "{text}");
                        *self.property_warning.lock().unwrap() = Some(text);
                    }
                }
            }
            "auto-weights" => s.auto_weights = value.get().expect("type checked upstream"),
            "reference-size" => s.reference_size = value.get().expect("type checked upstream"),
            "post-messages" => s.post_messages = value.get().expect("type checked upstream"),
            "message-interval" => s.message_interval = value.get().expect("type checked upstream"),
            "keyframes" => s.keyframes = value.get().expect("type checked upstream"),
            "keyframe-window" => s.keyframe_window = value.get().expect("type checked upstream"),
            "keyframe-window-frames" => {
                s.keyframe_window_frames = value.get().expect("type checked upstream")
            }
            "keyframe-location" => {
                s.keyframe_location = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|v| !v.is_empty())
            }
            "keyframe-margin" => s.keyframe_margin = value.get().expect("type checked upstream"),
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "weights" => gst::Array::new(s.weights.0).to_value(),
            "auto-weights" => s.auto_weights.to_value(),
            "reference-size" => s.reference_size.to_value(),
            "post-messages" => s.post_messages.to_value(),
            "message-interval" => s.message_interval.to_value(),
            "keyframes" => s.keyframes.to_value(),
            "keyframe-window" => s.keyframe_window.to_value(),
            "keyframe-window-frames" => s.keyframe_window_frames.to_value(),
            "keyframe-location" => s.keyframe_location.to_value(),
            "keyframe-margin" => s.keyframe_margin.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for FaceQuality {}

impl ElementImpl for FaceQuality {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face quality (facekit)",
                "Filter/Analyzer/Video",
                "Scores each face found by facedetect (symmetry, sharpness, illumination, resolution, weighted overall), adds a 'quality' param to its region-of-interest meta, posts 'facequality' messages and one 'facequality-keyframe' (best face crop as a GstSample) per track",
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

impl BaseTransformImpl for FaceQuality {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        let location_format = match &settings.keyframe_location {
            Some(template) => Some(
                super::check_location(template)
                    .map_err(|e| gst::error_msg!(gst::ResourceError::Settings, ("{e}")))?,
            ),
            None => None,
        };
        *self.state.lock().unwrap() = Some(State {
            info: None,
            auto: AutoWeights::default(),
            selector: KeyframeSelector::default(),
            last_message: None,
            location_format,
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
        gst::debug!(CAT, imp = self, "caps {incaps}");
        state.info = Some(info);
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        match event.view() {
            // Post what is pending before EOS travels on, so it reaches the bus first.
            gst::EventView::Eos(_) => self.finish_all(),
            gst::EventView::FlushStop(_) | gst::EventView::StreamStart(_) => {
                if let Some(state) = self.state.lock().unwrap().as_mut() {
                    state.selector.reset();
                    state.last_message = None;
                }
            }
            _ => {}
        }
        self.parent_sink_event(event)
    }

    fn transform_ip(&self, buf: &mut gst::BufferRef) -> Result<gst::FlowSuccess, gst::FlowError> {
        if let Some(w) = self.property_warning.lock().unwrap().take() {
            gst::element_imp_warning!(self, gst::LibraryError::Settings, ("{w}"));
        }
        let settings = self.settings.lock().unwrap().clone();
        let pts = buf.pts();
        let (stream_time, running_time) = self.times(pts);
        let now = running_time.or(pts);

        let mut warnings = Vec::new();
        let mut state_guard = self.state.lock().unwrap();
        let Some(state) = state_guard.as_mut() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before start"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let Some(info) = state.info.clone() else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before caps"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let layout = layout_of(info.format()).ok_or(gst::FlowError::NotNegotiated)?;
        let (width, height) = (info.width() as usize, info.height() as usize);

        let frame = match meta::read_frame(buf) {
            Ok(f) => f,
            Err(e) => {
                if state.warned.first("malformed") {
                    drop(state_guard);
                    self.warn(&format!("{e}; such frames pass unscored"));
                }
                return Ok(gst::FlowSuccess::Ok);
            }
        };
        let analysis = Analysis::of(&frame);
        let consequence = "such frames pass unscored";
        if let Some(w) = analysis.warning("facequality", consequence, &mut state.warned) {
            drop(state_guard);
            self.warn(&w);
            return Ok(gst::FlowSuccess::Ok);
        }
        // Not analysed: faces unknown on this frame, neither score nor end any track.
        let (Analysis::Analysed, Some(marker)) = (analysis, frame.marker.clone()) else {
            return Ok(gst::FlowSuccess::Ok);
        };

        let limits = WindowLimits {
            time_ns: (settings.keyframe_window > 0).then_some(settings.keyframe_window),
            frames: (settings.keyframe_window_frames > 0)
                .then_some(settings.keyframe_window_frames),
        };
        let weights = if settings.auto_weights {
            state.auto.effective(&settings.weights)
        } else {
            settings.weights
        };
        let mut faces = frame.faces;
        let mut entries = Vec::with_capacity(faces.len());
        if !faces.is_empty() {
            let Ok(vframe) = gst_video::VideoFrameRef::from_buffer_ref_readable(&*buf, &info)
            else {
                drop(state_guard);
                gst::element_imp_error!(self, gst::StreamError::Failed, ["cannot map frame"]);
                return Err(gst::FlowError::Error);
            };
            let Some(image) = image_view(&vframe, layout) else {
                drop(state_guard);
                gst::element_imp_error!(self, gst::StreamError::Failed, ["cannot read planes"]);
                return Err(gst::FlowError::Error);
            };
            for face in faces.iter_mut() {
                let region = FaceRegion::new(&face.bbox, face.landmarks.as_ref(), width, height)
                    .with_pose(face.head_pose)
                    .with_source_scale(crate::facecrop::source_scale(face).unwrap_or(1.0));
                let q =
                    super::score_face(&image, &region, settings.reference_size as f32, &weights);
                if q.mask == MaskKind::Ellipse && state.warned.first("ellipse") {
                    warnings.push(format!(
                        "face without 468-point mesh landmarks (scheme {}): its mask is an ellipse inside the box and may hold background (quality param mask=ellipse); set landmarks=true on facedetect for landmark masks",
                        face.landmarks.as_ref().map_or("none", |l| l.scheme.as_str())
                    ));
                }
                if q.status == Status::TooSmall && state.warned.first("small") {
                    gst::info!(
                        CAT,
                        imp = self,
                        "face {} of {:.0} px is too small to score (status too-small)",
                        face.track_id,
                        region.size
                    );
                }
                if q.valid() {
                    if settings.auto_weights {
                        state.auto.observe(&q.components);
                    }
                    if settings.keyframes {
                        let margin = settings.keyframe_margin as f32;
                        let face_ref = &*face;
                        let time = now.map_or(0, |t| t.nseconds());
                        let marker = &marker;
                        state
                            .selector
                            .offer(face.track_id, time, q.overall, limits, || {
                                // Row copies only: the RGB conversion waits for the post.
                                let region = super::copy_region(&image, &face_ref.bbox, margin);
                                let mut face = face_ref.clone();
                                meta::set_param(&mut face, &quality_param(&q));
                                BestFace {
                                    region,
                                    face,
                                    marker: marker.clone(),
                                    quality: q,
                                    pts,
                                    duration: buf.duration(),
                                    stream_time,
                                    running_time,
                                }
                            });
                    }
                }
                meta::set_param(face, &quality_param(&q));
                let (x, y, w, h) = face.bbox.to_rect(u32::MAX, u32::MAX);
                entries.push(QualityEntry {
                    id: face.track_id,
                    x,
                    y,
                    width: w,
                    height: h,
                    quality: q,
                });
            }
        }
        let present: Vec<i32> = faces.iter().map(|f| f.track_id).collect();
        let closed = if settings.keyframes {
            state
                .selector
                .end_frame(&present, now.map_or(0, |t| t.nseconds()), limits)
        } else {
            Vec::new()
        };
        let post = settings.post_messages
            && !entries.is_empty()
            && match (state.last_message, now) {
                (Some(last), Some(now)) => {
                    now < last || now.nseconds() - last.nseconds() >= settings.message_interval
                }
                _ => true,
            };
        if post {
            state.last_message = now;
        }
        let location = Self::location(&settings, state);
        drop(state_guard);

        meta::rewrite_faces(buf, &faces, (width as u32, height as u32));
        for w in warnings {
            self.warn(&w);
        }
        if post {
            let msg = FaceQualityMessage {
                timestamp: pts,
                stream_time,
                running_time,
                duration: buf.duration(),
                weights: weights.0,
                faces: entries,
            };
            element::post(&*self.obj(), gst::Structure::from(&msg));
        }
        self.post_keyframes(closed, location.as_ref().map(|(t, f)| (t.as_str(), *f)));
        Ok(gst::FlowSuccess::Ok)
    }
}
