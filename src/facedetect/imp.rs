//! `facedetect` element: wires caps, properties and buffers to [`crate::facedetect::analyzer`].

use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use super::Updates;
use super::drawing::draw_faces;
use super::lookahead::{Lookahead, Pending};
use super::settings::*;
use crate::face::{AnalysisStatus, Face, FrameMarker};
use crate::facedetect::analyzer::FaceAnalyzer;
use crate::facedetect::{FaceDetectMessage, FaceEntry};
use crate::gst::element::{BufferTimes, WarnOnce, post};
use crate::gst::meta;
use crate::gst::video::{draw_on, image_view, layout_of};
use crate::inference;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "facedetect",
        gst::DebugColorFlags::empty(),
        Some("facekit face detector"),
    )
});

/// Smallest frame side the detector can use.
const MIN_SIDE: u32 = 16;

const MAX_LOOKAHEAD: u32 = 100;

struct State {
    analyzer: FaceAnalyzer,
    info: Option<gst_video::VideoInfo>,
    last_face_count: Option<usize>,
    /// Warnings already given this stream.
    warned: WarnOnce,
    /// Analysed frames waiting `lookahead` frames for later detections.
    pending: Lookahead<gst::Buffer>,
}

#[derive(Default)]
pub struct FaceDetect {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceDetect {
    const NAME: &'static str = "GstFacekitFaceDetect";
    type Type = super::FaceDetect;
    type ParentType = gst_base::BaseTransform;
}

impl FaceDetect {
    fn draw(&self, buf: &mut gst::BufferRef, info: &gst_video::VideoInfo, faces: &[Face]) {
        if let Err(e) = draw_on(buf, info, |canvas| draw_faces(canvas, faces)) {
            gst::warning!(CAT, imp = self, "faces not drawn: {e}");
        }
    }

    fn post_message(&self, buf: &gst::BufferRef, faces: &[Face]) {
        let times = BufferTimes::of(&*self.obj(), buf);
        let msg = FaceDetectMessage {
            timestamp: times.pts,
            stream_time: times.stream_time,
            running_time: times.running_time,
            duration: times.duration,
            faces: faces.iter().map(FaceEntry::from_face).collect(),
        };
        let structure = gst::Structure::from(&msg);
        post(&*self.obj(), structure);
    }
}

impl ObjectImpl for FaceDetect {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecEnum::builder_with_default("model", DEFAULT_MODEL)
                    .nick("Model")
                    .blurb("Detector network. blazeface-full suits webcams and live hosts; centerface finds small faces in crowds at a higher cost")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("model-location")
                    .nick("Model location")
                    .blurb("Custom ONNX file of the chosen model's family, instead of the bundled one (default: <model dir>/<model file>, model dir from $FACEKIT_MODEL_DIR or the set-up location)")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecString::builder("ort-library")
                    .nick("ONNX Runtime library")
                    .blurb("Path of libonnxruntime.so (1.31) when $ORT_DYLIB_PATH is unset; default: the set-up's install location. Loaded once per process")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecDouble::builder("confidence-threshold")
                    .nick("Confidence threshold")
                    .blurb("Minimum detector score for a face. With landmarks on, a face scoring down to half of it is kept when FaceMesh confirms it (turned heads score low with the detector); one the mesh sees only on its own crop only when nothing else in the frame is a face")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_CONFIDENCE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("nms-iou")
                    .nick("NMS IoU")
                    .blurb("Overlap (intersection over union) above which two detections are merged into one face")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_NMS_IOU)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("min-face-size")
                    .nick("Minimum face size")
                    .blurb("Faces narrower than this many pixels are ignored (0: no minimum)")
                    .maximum(8192)
                    .default_value(DEFAULT_MIN_FACE_SIZE)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("max-faces")
                    .nick("Maximum faces")
                    .blurb("At most this many faces per frame, the most confident first")
                    .minimum(1)
                    .maximum(1000)
                    .default_value(DEFAULT_MAX_FACES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("interval")
                    .nick("Detection interval")
                    .blurb("Run the detector at least every N frames (0: automatic, 10 with landmarks, 1 without). In between, faces are followed by their landmarks (or carried when landmarks are off) and marked tracked; the detector also runs at once when no face is followed or the landmarks lose one, so a new face is found within N frames")
                    .minimum(0)
                    .maximum(1000)
                    .default_value(DEFAULT_INTERVAL)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("hold-frames")
                    .nick("Hold frames")
                    .blurb("Frames a face missed by the detector is still reported (marked tracked) before its track ends")
                    .maximum(1000)
                    .default_value(DEFAULT_HOLD_FRAMES)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("landmarks")
                    .nick("Landmarks")
                    .blurb("Run FaceMesh (468 3D landmarks) on each face and compute head pose (pitch, yaw, roll)")
                    .default_value(DEFAULT_LANDMARKS)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("updates", DEFAULT_UPDATES)
                    .nick("Updates")
                    .blurb("When to post the 'facedetect' element message")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("draw")
                    .nick("Draw")
                    .blurb("Draw boxes (green: detected, amber: tracked), landmarks and pose axes on the frames, for debugging")
                    .default_value(DEFAULT_DRAW)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("threads")
                    .nick("Threads")
                    .blurb("Inference threads shared by every facekit element of the process (0: one per core; $FACEKIT_THREADS wins). Fixed by the first element that starts")
                    .maximum(64)
                    .default_value(DEFAULT_THREADS)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("max-detect-size")
                    .nick("Maximum detection size")
                    .blurb("CenterFace only: frames are scaled down so their long side is at most this many pixels before detection")
                    .minimum(32)
                    .maximum(8192)
                    .default_value(DEFAULT_MAX_DETECT_SIZE)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("lookahead")
                    .nick("Lookahead")
                    .blurb("Frames of latency: each frame waits this many frames, and faces found on them are also reported on it (tracked=true), so a face is reported from its first visible frame even when the detector finds it late or runs every 'interval' frames. For anonymisation set it to at least interval")
                    .maximum(MAX_LOOKAHEAD)
                    .default_value(DEFAULT_LOOKAHEAD)
                    .mutable_ready()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut s = self.settings.lock().unwrap();
        match pspec.name() {
            "model" => s.model = value.get().expect("type checked upstream"),
            "model-location" => {
                s.model_location = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|v| !v.is_empty())
            }
            "ort-library" => {
                s.ort_library = value
                    .get::<Option<String>>()
                    .expect("type checked upstream")
                    .filter(|v| !v.is_empty())
            }
            "confidence-threshold" => s.confidence = value.get().expect("type checked upstream"),
            "nms-iou" => s.nms_iou = value.get().expect("type checked upstream"),
            "min-face-size" => s.min_face_size = value.get().expect("type checked upstream"),
            "max-faces" => s.max_faces = value.get().expect("type checked upstream"),
            "interval" => s.interval = value.get().expect("type checked upstream"),
            "hold-frames" => s.hold_frames = value.get().expect("type checked upstream"),
            "landmarks" => s.landmarks = value.get().expect("type checked upstream"),
            "updates" => s.updates = value.get().expect("type checked upstream"),
            "draw" => s.draw = value.get().expect("type checked upstream"),
            "threads" => s.threads = value.get().expect("type checked upstream"),
            "max-detect-size" => s.max_detect_size = value.get().expect("type checked upstream"),
            "lookahead" => s.lookahead = value.get().expect("type checked upstream"),
            _ => {
                let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
            }
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "model" => s.model.to_value(),
            "model-location" => s.model_location.to_value(),
            "ort-library" => s.ort_library.to_value(),
            "confidence-threshold" => s.confidence.to_value(),
            "nms-iou" => s.nms_iou.to_value(),
            "min-face-size" => s.min_face_size.to_value(),
            "max-faces" => s.max_faces.to_value(),
            "interval" => s.interval.to_value(),
            "hold-frames" => s.hold_frames.to_value(),
            "landmarks" => s.landmarks.to_value(),
            "updates" => s.updates.to_value(),
            "draw" => s.draw.to_value(),
            "threads" => s.threads.to_value(),
            "max-detect-size" => s.max_detect_size.to_value(),
            "lookahead" => s.lookahead.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for FaceDetect {}

impl ElementImpl for FaceDetect {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face detector (facekit)",
                "Filter/Analyzer/Video",
                "Detects and tracks faces, with 468 3D landmarks and head pose; attaches face region-of-interest metadata and posts 'facedetect' messages (a superset of OpenCV facedetect's)",
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

impl BaseTransformImpl for FaceDetect {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = self.settings.lock().unwrap().clone();
        let library =
            inference::runtime_library(settings.ort_library.as_deref().map(std::path::Path::new));
        let env = inference::environment(&library, settings.threads as usize)
            .map_err(|e| gst::error_msg!(gst::LibraryError::Init, ("{e}")))?;
        let analyzer = FaceAnalyzer::new(&env, settings.analyzer_config()).map_err(|e| {
            let kind = match e {
                inference::InferenceError::ModelMissing { .. } => gst::ResourceError::NotFound,
                _ => gst::ResourceError::OpenRead,
            };
            gst::error_msg!(kind, ("{e}"))
        })?;
        gst::info!(
            CAT,
            imp = self,
            "started with {} from {}",
            settings
                .model_location
                .as_deref()
                .unwrap_or(analyzer.config().detector.name()),
            library.display()
        );
        *self.state.lock().unwrap() = Some(State {
            analyzer,
            info: None,
            last_face_count: None,
            warned: WarnOnce::default(),
            pending: Lookahead::default(),
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
        // A new geometry invalidates every track.
        let changed = state
            .info
            .as_ref()
            .is_some_and(|old| old.width() != info.width() || old.height() != info.height());
        if changed {
            state.analyzer.reset();
        }
        gst::debug!(CAT, imp = self, "caps {incaps}");
        state.info = Some(info);
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        // Waiting frames belong to the old stream, segment or caps: send them first.
        let drain = matches!(
            event.view(),
            gst::EventView::Eos(_)
                | gst::EventView::Caps(_)
                | gst::EventView::Segment(_)
                | gst::EventView::StreamStart(_)
        );
        if drain && self.drain().is_err() {
            gst::debug!(CAT, imp = self, "downstream refused drained frames");
        }
        if matches!(event.view(), gst::EventView::FlushStop(_))
            && let Some(state) = self.state.lock().unwrap().as_mut()
        {
            state.pending.clear();
        }
        let restart = matches!(
            event.view(),
            gst::EventView::FlushStop(_) | gst::EventView::StreamStart(_)
        );
        if restart && let Some(state) = self.state.lock().unwrap().as_mut() {
            state.analyzer.reset();
            state.last_face_count = None;
        }
        self.parent_sink_event(event)
    }

    fn query(&self, direction: gst::PadDirection, query: &mut gst::QueryRef) -> bool {
        let ok = BaseTransformImplExt::parent_query(self, direction, query);
        if ok
            && direction == gst::PadDirection::Src
            && let gst::QueryViewMut::Latency(q) = query.view_mut()
        {
            let extra = self.lookahead_latency();
            let (live, min, max) = q.result();
            q.set(live, min + extra, max.map(|m| m + extra));
        }
        ok
    }

    fn submit_input_buffer(
        &self,
        _is_discont: bool,
        inbuf: gst::Buffer,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let settings = self.settings.lock().unwrap().clone();
        let mut state_guard = self.state.lock().unwrap();
        let Some(state) = state_guard.as_mut() else {
            drop(state_guard);
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before start"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let Some(info) = state.info.clone() else {
            drop(state_guard);
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before caps"]);
            return Err(gst::FlowError::NotNegotiated);
        };
        let (marker, faces, warning) = Self::analyse(state, &settings, &info, &inbuf)?;
        state.pending.push(inbuf, marker, faces);
        drop(state_guard);
        if let Some(w) = warning {
            gst::element_imp_warning!(self, gst::StreamError::Failed, ("{w}"));
        }
        Ok(gst::FlowSuccess::Ok)
    }

    fn generate_output(
        &self,
    ) -> Result<gst_base::subclass::base_transform::GenerateOutputSuccess, gst::FlowError> {
        use gst_base::subclass::base_transform::GenerateOutputSuccess;
        let latency = self.settings.lock().unwrap().lookahead as usize;
        let ready = self
            .state
            .lock()
            .unwrap()
            .as_mut()
            .and_then(|s| s.pending.pop_ready(latency));
        Ok(match ready {
            Some(p) => GenerateOutputSuccess::Buffer(self.finish(p)),
            None => GenerateOutputSuccess::NoOutput,
        })
    }
}

impl FaceDetect {
    /// Latency added by `lookahead`: that many frame durations (none when the rate is unknown).
    fn lookahead_latency(&self) -> gst::ClockTime {
        let frames = self.settings.lock().unwrap().lookahead as u64;
        let fps = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .and_then(|s| s.info.as_ref().map(|i| i.fps()));
        match fps {
            Some(f) if f.numer() > 0 && f.denom() > 0 => gst::ClockTime::from_nseconds(
                frames * gst::ClockTime::SECOND.nseconds() * f.denom() as u64 / f.numer() as u64,
            ),
            _ => gst::ClockTime::ZERO,
        }
    }

    /// Sends every waiting frame downstream (before EOS, new caps or a new segment).
    fn drain(&self) -> Result<gst::FlowSuccess, gst::FlowError> {
        let waiting = match self.state.lock().unwrap().as_mut() {
            Some(s) => s.pending.drain(),
            None => Vec::new(),
        };
        let src = self.obj().static_pad("src").expect("src pad");
        for p in waiting {
            src.push(self.finish(p))?;
        }
        Ok(gst::FlowSuccess::Ok)
    }

    /// Runs the analysis on one frame: its marker, faces and a warning to post (once).
    fn analyse(
        state: &mut State,
        settings: &Settings,
        info: &gst_video::VideoInfo,
        buf: &gst::BufferRef,
    ) -> Result<(FrameMarker, Vec<Face>, Option<String>), gst::FlowError> {
        let layout = layout_of(info.format()).ok_or(gst::FlowError::NotNegotiated)?;
        let detector = settings
            .model_location
            .clone()
            .unwrap_or_else(|| state.analyzer.config().detector.name().to_string());
        state.analyzer.set_tuning(
            settings.confidence as f32,
            settings.nms_iou as f32,
            settings.min_face_size,
            settings.max_faces,
            settings.interval,
            settings.hold_frames,
        );

        let mut warning = None;
        let result: Result<(AnalysisStatus, Vec<Face>), String> = if info.width() < MIN_SIDE
            || info.height() < MIN_SIDE
        {
            if state.warned.first("small") {
                warning = Some(format!(
                    "frames of {}x{} are too small to analyse (at least {MIN_SIDE}x{MIN_SIDE}); frames are marked as failed, scale them up before facedetect",
                    info.width(),
                    info.height()
                ));
            }
            Err(format!("frame smaller than {MIN_SIDE}x{MIN_SIDE}"))
        } else {
            let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buf, info)
                .map_err(|_| "cannot map frame".to_string());
            frame.and_then(|frame| {
                let image = image_view(&frame, layout)
                    .ok_or_else(|| "cannot read frame planes".to_string())?;
                // A panic in the analysis marks the frame as failed (so faceocclude covers
                // it) instead of taking the stream down.
                let analyzer = &mut state.analyzer;
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyzer.analyze(&image)))
                    .map_err(|_| {
                        "internal error in face analysis (a bug, please report it)".to_string()
                    })?
                    .map(|(detected, faces)| {
                        (
                            if detected {
                                AnalysisStatus::Detected
                            } else {
                                AnalysisStatus::Tracked
                            },
                            faces,
                        )
                    })
                    .map_err(|e| e.to_string())
            })
        };

        Ok(match result {
            Ok((status, faces)) => (
                FrameMarker {
                    status,
                    faces: faces.len() as u32,
                    detector,
                    error: None,
                    dropped: state.analyzer.dropped(),
                },
                faces,
                warning,
            ),
            Err(error) => {
                if warning.is_none() && state.warned.first("failure") {
                    warning = Some(format!(
                        "face analysis failed, frames are marked as failed: {error}"
                    ));
                }
                (
                    FrameMarker {
                        status: AnalysisStatus::Failed,
                        faces: 0,
                        detector,
                        error: Some(error),
                        dropped: 0,
                    },
                    Vec::new(),
                    warning,
                )
            }
        })
    }

    /// Writes a waiting frame's metadata (and drawing), posts its message, returns it.
    fn finish(&self, pending: Pending<gst::Buffer>) -> gst::Buffer {
        let Pending {
            item: mut buf,
            marker,
            faces,
        } = pending;
        let settings = self.settings.lock().unwrap().clone();
        let (post, info) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return buf;
            };
            let post = match settings.updates {
                Updates::EveryFrame => true,
                Updates::OnChange => state.last_face_count != Some(faces.len()),
                Updates::OnFace => !faces.is_empty(),
                Updates::None => false,
            } && marker.analysed();
            if marker.analysed() {
                state.last_face_count = Some(faces.len());
            }
            (post, state.info.clone())
        };
        let b = buf.make_mut();
        meta::remove_faces(b);
        if let Some(info) = &info {
            meta::write_frame(b, &marker, &faces, (info.width(), info.height()));
            if settings.draw && !faces.is_empty() {
                self.draw(b, info, &faces);
            }
        }
        if post {
            self.post_message(b, &faces);
        }
        buf
    }
}
