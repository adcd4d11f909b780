//! Face metadata on buffers: the one place that reads and writes it.
//!
//! * a frame marker ([`FrameMarker`], a `GstCustomMeta` named [`FRAME_META_NAME`]) on every
//!   buffer `facedetect` looked at, so "no face found" and "not analysed" never look alike;
//! * one `GstVideoRegionOfInterestMeta` of roi type `face` per face, `id` = track id, with
//!   `detection`, `landmarks` and `head-pose` params (see `docs/DESIGN.md`);
//! * the same landmarks typed in one [`LandmarksMeta`] per buffer, which readers take instead
//!   of parsing the `landmarks` params (about 50x cheaper for 468 points); a buffer from
//!   another producer, without it, is read from the params.

use gst_video::VideoRegionOfInterestMeta;

pub use crate::gst::landmarks_meta::LandmarksMeta;

use crate::face::{
    AnalysisStatus, BoundingBox, Face, FaceParam, FrameFaces, FrameMarker, HeadPose, Landmarks,
    MetaError,
};

/// Name the frame marker custom meta is registered under (in `plugin_init`).
pub const FRAME_META_NAME: &str = "GstFacekitFrameMeta";
/// ROI type of face region-of-interest metas.
pub const FACE_ROI_TYPE: &str = "face";

const FRAME_STRUCT: &str = "facekit-frame";
const DETECTION_PARAM: &str = "detection";
const LANDMARKS_PARAM: &str = "landmarks";
const HEAD_POSE_PARAM: &str = "head-pose";

/// Registers the custom meta; idempotent. Needs GStreamer initialised.
pub fn register() {
    if !gst::meta::CustomMeta::is_registered(FRAME_META_NAME) {
        // No tags: the meta survives every transform (it describes the frame, not its pixels).
        gst::meta::CustomMeta::register(FRAME_META_NAME, &[]);
    }
}

fn field<'a, T: gst::glib::value::FromValue<'a> + 'static>(
    s: &'a gst::StructureRef,
    name: &str,
) -> Result<T, MetaError> {
    s.get::<T>(name)
        .map_err(|e| MetaError(format!("{}.{name}: {e}", s.name())))
}

impl From<&FrameMarker> for gst::Structure {
    fn from(m: &FrameMarker) -> Self {
        let mut s = gst::Structure::builder(FRAME_STRUCT)
            .field("status", m.status.as_str())
            .field("faces", m.faces)
            .field("detector", m.detector.as_str())
            .build();
        if m.dropped > 0 {
            s.set("dropped", m.dropped);
        }
        if let Some(e) = &m.error {
            s.set("error", e.as_str());
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for FrameMarker {
    type Error = MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, MetaError> {
        let status: String = field(s, "status")?;
        Ok(Self {
            status: AnalysisStatus::parse(&status)
                .ok_or_else(|| MetaError(format!("unknown status '{status}'")))?,
            faces: field(s, "faces")?,
            detector: field(s, "detector")?,
            error: s.get::<String>("error").ok(),
            dropped: s.get::<u32>("dropped").unwrap_or(0),
        })
    }
}

/// Writes the frame marker (replacing one already there) and one ROI meta per face.
pub fn write_frame(
    buffer: &mut gst::BufferRef,
    marker: &FrameMarker,
    faces: &[Face],
    size: (u32, u32),
) {
    write_marker(buffer, marker);
    for face in faces {
        add_face(buffer, face, size);
    }
}

/// Writes or replaces the frame marker.
pub fn write_marker(buffer: &mut gst::BufferRef, marker: &FrameMarker) {
    let structure = gst::Structure::from(marker);
    let mut meta = match gst::meta::CustomMeta::from_mut_buffer(buffer, FRAME_META_NAME) {
        Ok(meta) => meta,
        Err(_) => match gst::meta::CustomMeta::add(buffer, FRAME_META_NAME) {
            Ok(meta) => meta,
            // Only fails when the meta is unregistered, which plugin_init prevents.
            Err(_) => return,
        },
    };
    let target = meta.mut_structure();
    for (name, value) in structure.iter() {
        target.set_value(name, value.clone());
    }
    if marker.error.is_none() {
        target.remove_field("error");
    }
    if marker.dropped == 0 {
        target.remove_field("dropped");
    }
}

/// Reads the frame marker, if `facedetect` analysed this buffer.
pub fn read_marker(buffer: &gst::BufferRef) -> Result<Option<FrameMarker>, MetaError> {
    if !gst::meta::CustomMeta::is_registered(FRAME_META_NAME) {
        return Ok(None);
    }
    match gst::meta::CustomMeta::from_buffer(buffer, FRAME_META_NAME) {
        Ok(meta) => FrameMarker::try_from(meta.structure()).map(Some),
        Err(_) => Ok(None),
    }
}

fn f32_array(values: impl IntoIterator<Item = f32>) -> gst::Array {
    gst::Array::new(values)
}

/// A later element's param in the opaque form [`Face`] carries.
pub fn face_param(s: &gst::StructureRef) -> FaceParam {
    FaceParam {
        name: s.name().to_string(),
        text: s.to_string(),
    }
}

/// The structure of a carried param (`None` if its text no longer parses, which only a
/// hand-made [`FaceParam`] can cause).
pub fn param_structure(param: &FaceParam) -> Option<gst::Structure> {
    param.text.parse().ok()
}

/// Adds `param` to `face`, replacing one of the same name.
pub fn set_param(face: &mut Face, param: &gst::StructureRef) {
    face.set_param(face_param(param));
}

/// The params of a face's ROI meta.
pub fn face_params(face: &Face) -> Vec<gst::Structure> {
    let mut params = vec![
        gst::Structure::builder(DETECTION_PARAM)
            .field("confidence", face.confidence)
            .field("detector", face.detector.as_str())
            .field("tracked", face.tracked)
            .field("age", face.age)
            .build(),
    ];
    if let Some(lm) = &face.landmarks {
        params.push(
            gst::Structure::builder(LANDMARKS_PARAM)
                .field("scheme", lm.scheme.as_str())
                .field("count", lm.points.len() as u32)
                .field("points", f32_array(lm.points.iter().flatten().copied()))
                .build(),
        );
    }
    if let Some(p) = &face.head_pose {
        params.push(
            gst::Structure::builder(HEAD_POSE_PARAM)
                .field("pitch", p.pitch)
                .field("yaw", p.yaw)
                .field("roll", p.roll)
                .field("confidence", p.confidence)
                .build(),
        );
    }
    params.extend(face.params.iter().filter_map(param_structure));
    params
}

/// Adds one face ROI meta with its params, and its landmarks to the typed meta; the box is
/// clamped to `size` (frame width, height).
pub fn add_face(buffer: &mut gst::BufferRef, face: &Face, size: (u32, u32)) {
    let rect = face.bbox.to_rect(size.0, size.1);
    // Landmarks are normalised to the box actually written, which may be clamped.
    let written = BoundingBox::new(rect.0 as f32, rect.1 as f32, rect.2 as f32, rect.3 as f32);
    let mut face = face.clone();
    if let Some(lm) = &face.landmarks {
        let pixels = lm.to_pixels(&face.bbox);
        face.landmarks = Some(Landmarks::from_pixels(&lm.scheme, &pixels, &written));
    }
    let mut meta = VideoRegionOfInterestMeta::add(buffer, FACE_ROI_TYPE, rect);
    meta.set_id(face.track_id);
    for p in face_params(&face) {
        meta.add_param(p);
    }
    if let Some(lm) = face.landmarks {
        let entry = (face.track_id, lm);
        match buffer.meta_mut::<LandmarksMeta>() {
            Some(mut typed) => typed.faces_mut().push(entry),
            None => {
                LandmarksMeta::add(buffer, vec![entry]);
            }
        }
    }
}

/// Parses one face ROI meta; its landmarks come from `typed` when that holds them.
pub fn face_from_roi(
    meta: &VideoRegionOfInterestMeta,
    typed: Option<&LandmarksMeta>,
) -> Result<Face, MetaError> {
    let (x, y, w, h) = meta.rect();
    let bbox = BoundingBox::new(x as f32, y as f32, w as f32, h as f32);
    let det = meta
        .param(DETECTION_PARAM)
        .ok_or_else(|| MetaError("face without 'detection' param".into()))?;
    let fast = typed.and_then(|t| t.get(meta.id()));
    let landmarks = match (meta.param(LANDMARKS_PARAM), fast) {
        (Some(_), Some(lm)) => Some(lm.clone()),
        (Some(s), None) => {
            let flat: gst::Array = field(s, "points")?;
            let values: Vec<f32> = flat
                .iter()
                .map(|v| {
                    v.get::<f32>()
                        .or_else(|_| v.get::<f64>().map(|d| d as f32))
                        .map_err(|e| MetaError(format!("landmarks.points: {e}")))
                })
                .collect::<Result<_, _>>()?;
            if !values.len().is_multiple_of(3) {
                return Err(MetaError(
                    "landmarks.points length is not a multiple of 3".into(),
                ));
            }
            Some(Landmarks {
                scheme: field(s, "scheme")?,
                points: values.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
            })
        }
        (None, _) => None,
    };
    let head_pose = match meta.param(HEAD_POSE_PARAM) {
        Some(s) => Some(HeadPose {
            pitch: field(s, "pitch")?,
            yaw: field(s, "yaw")?,
            roll: field(s, "roll")?,
            // Another producer may not say how sure it is: then it is taken as sure.
            confidence: s.get_optional("confidence").ok().flatten().unwrap_or(1.0),
        }),
        None => None,
    };
    let params = meta
        .params()
        .filter(|p| {
            ![DETECTION_PARAM, LANDMARKS_PARAM, HEAD_POSE_PARAM].contains(&p.name().as_str())
        })
        .map(face_param)
        .collect();
    Ok(Face {
        track_id: meta.id(),
        bbox,
        confidence: field(det, "confidence")?,
        detector: field(det, "detector")?,
        tracked: field(det, "tracked")?,
        age: field(det, "age")?,
        landmarks,
        head_pose,
        params,
    })
}

/// Reads the marker and every face ROI meta of a buffer.
pub fn read_frame(buffer: &gst::BufferRef) -> Result<FrameFaces, MetaError> {
    let marker = read_marker(buffer)?;
    let typed = buffer.meta::<LandmarksMeta>();
    let faces = buffer
        .iter_meta::<VideoRegionOfInterestMeta>()
        .filter(|m| m.roi_type() == FACE_ROI_TYPE)
        .map(|m| face_from_roi(&m, typed.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FrameFaces { marker, faces })
}

/// Replaces every face ROI meta of a buffer with `faces` (for elements that move, crop or
/// annotate faces); the frame marker is kept.
pub fn rewrite_faces(buffer: &mut gst::BufferRef, faces: &[Face], size: (u32, u32)) {
    remove_faces(buffer);
    for face in faces {
        add_face(buffer, face, size);
    }
}

/// Removes every face ROI meta and the typed landmarks (used before re-analysing a buffer that
/// already carries faces).
pub fn remove_faces(buffer: &mut gst::BufferRef) {
    buffer.foreach_meta_mut(|mut meta| {
        let is_face = meta.downcast_ref::<LandmarksMeta>().is_some()
            || meta
                .downcast_ref::<VideoRegionOfInterestMeta>()
                .is_some_and(|m| m.roi_type() == FACE_ROI_TYPE);
        if is_face {
            std::ops::ControlFlow::Continue(gst::buffer::BufferMetaForeachAction::Remove)
        } else {
            std::ops::ControlFlow::Continue(gst::buffer::BufferMetaForeachAction::Keep)
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::PrimaryFace;

    fn sample_face() -> Face {
        Face {
            track_id: 7,
            bbox: BoundingBox::new(10.0, 20.0, 40.0, 50.0),
            confidence: 0.93,
            detector: "blazeface-full".into(),
            tracked: false,
            age: 3,
            landmarks: Some(Landmarks {
                scheme: "mediapipe-468".into(),
                points: vec![[0.25, 0.5, -0.1], [0.75, 0.5, 0.05]],
            }),
            head_pose: Some(HeadPose {
                pitch: 1.5,
                yaw: -20.0,
                roll: 3.0,
                confidence: 0.42,
            }),
            params: vec![face_param(
                &gst::Structure::builder("quality")
                    .field("overall", 0.5)
                    .build(),
            )],
        }
    }

    #[test]
    fn frame_round_trip() {
        gst::init().unwrap();
        register();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        let marker = FrameMarker {
            status: AnalysisStatus::Detected,
            faces: 1,
            detector: "blazeface-full".into(),
            error: None,
            dropped: 0,
        };
        write_frame(
            buffer.get_mut().unwrap(),
            &marker,
            &[sample_face()],
            (100, 100),
        );
        let read = read_frame(&buffer).unwrap();
        assert_eq!(read.marker, Some(marker));
        assert_eq!(read.faces, vec![sample_face()]);
    }

    #[test]
    fn landmarks_are_typed_and_survive_a_copy_and_params_still_carry_them() {
        gst::init().unwrap();
        register();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        add_face(buffer.get_mut().unwrap(), &sample_face(), (100, 100));
        assert_eq!(
            buffer.meta::<LandmarksMeta>().unwrap().get(7),
            sample_face().landmarks.as_ref()
        );
        let copy = buffer.copy();
        assert_eq!(read_frame(&copy).unwrap().faces, vec![sample_face()]);
        // Another producer's buffer: only the ROI params, read the same.
        let mut foreign = copy.copy();
        foreign.get_mut().unwrap().foreach_meta_mut(|mut m| {
            let typed = m.downcast_ref::<LandmarksMeta>().is_some();
            std::ops::ControlFlow::Continue(if typed {
                gst::buffer::BufferMetaForeachAction::Remove
            } else {
                gst::buffer::BufferMetaForeachAction::Keep
            })
        });
        assert!(foreign.meta::<LandmarksMeta>().is_none());
        assert_eq!(read_frame(&foreign).unwrap().faces, vec![sample_face()]);
        // Removing the faces removes their typed landmarks too.
        remove_faces(buffer.get_mut().unwrap());
        assert!(buffer.meta::<LandmarksMeta>().is_none());
    }

    #[test]
    fn a_pose_without_confidence_from_another_producer_reads_as_sure() {
        gst::init().unwrap();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            write_marker(
                b,
                &FrameMarker {
                    status: AnalysisStatus::Detected,
                    faces: 1,
                    detector: "other".into(),
                    error: None,
                    dropped: 0,
                },
            );
            let mut meta = VideoRegionOfInterestMeta::add(b, FACE_ROI_TYPE, (1, 2, 30, 40));
            meta.add_param(
                gst::Structure::builder(DETECTION_PARAM)
                    .field("confidence", 0.8)
                    .field("detector", "other")
                    .field("tracked", false)
                    .field("age", 0u32)
                    .build(),
            );
            meta.add_param(
                gst::Structure::builder(HEAD_POSE_PARAM)
                    .field("pitch", 1.0)
                    .field("yaw", 2.0)
                    .field("roll", 3.0)
                    .build(),
            );
        }
        let pose = read_frame(&buffer).unwrap().faces[0].head_pose.unwrap();
        assert_eq!((pose.pitch, pose.yaw, pose.roll), (1.0, 2.0, 3.0));
        assert_eq!(pose.confidence, 1.0);
        assert!(pose.is_sure());
    }

    #[test]
    fn unanalysed_buffer_has_no_marker() {
        gst::init().unwrap();
        register();
        let buffer = gst::Buffer::with_size(16).unwrap();
        assert_eq!(read_frame(&buffer).unwrap(), FrameFaces::default());
    }

    #[test]
    fn failed_marker_replaces_previous_one() {
        gst::init().unwrap();
        register();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        let b = buffer.get_mut().unwrap();
        let ok = FrameMarker {
            status: AnalysisStatus::Detected,
            faces: 0,
            detector: "d".into(),
            error: None,
            dropped: 0,
        };
        write_marker(b, &ok);
        let failed = FrameMarker {
            status: AnalysisStatus::Failed,
            error: Some("model error".into()),
            dropped: 0,
            ..ok.clone()
        };
        write_marker(b, &failed);
        assert_eq!(read_marker(b).unwrap(), Some(failed));
        write_marker(b, &ok);
        assert_eq!(read_marker(b).unwrap(), Some(ok));
    }

    #[test]
    fn clamped_box_keeps_landmarks_in_place() {
        gst::init().unwrap();
        register();
        let mut face = sample_face();
        face.bbox = BoundingBox::new(-10.0, 0.0, 40.0, 40.0);
        let pixels = face.landmarks.as_ref().unwrap().to_pixels(&face.bbox);
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        add_face(buffer.get_mut().unwrap(), &face, (100, 100));
        let read = read_frame(&buffer).unwrap();
        let back = read.faces[0]
            .landmarks
            .as_ref()
            .unwrap()
            .to_pixels(&read.faces[0].bbox);
        for (a, b) in pixels.iter().zip(&back) {
            assert!((a[0] - b[0]).abs() < 1e-3 && (a[1] - b[1]).abs() < 1e-3);
        }
    }

    #[test]
    fn rewrite_keeps_later_params_and_replaces_faces() {
        gst::init().unwrap();
        register();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        let b = buffer.get_mut().unwrap();
        add_face(b, &sample_face(), (100, 100));
        let mut face = read_frame(b).unwrap().faces.remove(0);
        set_param(
            &mut face,
            &gst::Structure::builder("quality")
                .field("overall", 0.9)
                .build(),
        );
        rewrite_faces(b, &[face], (100, 100));
        let faces = read_frame(b).unwrap().faces;
        assert_eq!(faces.len(), 1);
        assert_eq!(
            param_structure(faces[0].param("quality").unwrap())
                .unwrap()
                .get::<f64>("overall")
                .unwrap(),
            0.9
        );
        assert_eq!(faces[0].params.len(), 1);
    }

    #[test]
    fn primary_face_rules() {
        gst::init().unwrap();
        let mut small = sample_face();
        small.bbox = BoundingBox::new(0.0, 0.0, 10.0, 10.0);
        small.confidence = 0.99;
        small.track_id = 2;
        let frame = FrameFaces {
            marker: None,
            faces: vec![small, sample_face()],
        };
        assert_eq!(frame.primary(PrimaryFace::Largest).unwrap().track_id, 7);
        assert_eq!(
            frame.primary(PrimaryFace::MostConfident).unwrap().track_id,
            2
        );
        assert_eq!(frame.primary(PrimaryFace::Track(2)).unwrap().track_id, 2);
        assert!(frame.primary(PrimaryFace::Track(5)).is_none());
    }
}
