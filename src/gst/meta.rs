//! Face metadata on buffers: the one place that reads and writes it.
//!
//! * a frame marker ([`FrameMarker`], a `GstCustomMeta` named [`FRAME_META_NAME`]) on every
//!   buffer `facedetect` looked at, so "no face found" and "not analysed" never look alike;
//! * one `GstVideoRegionOfInterestMeta` of roi type `face` per face, `id` = track id, with
//!   `detection`, `landmarks` and `head-pose` params (see `docs/DESIGN.md`).

use gst_video::VideoRegionOfInterestMeta;

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

/// What `facedetect` did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisStatus {
    /// The detector ran on this frame.
    Detected,
    /// The detector was skipped (`interval`); faces were followed from earlier frames.
    Tracked,
    /// Analysis failed; faces are unknown (not "no face").
    Failed,
}

impl AnalysisStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Detected => "detected",
            Self::Tracked => "tracked",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "detected" => Some(Self::Detected),
            "tracked" => Some(Self::Tracked),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The frame marker: present on every buffer `facedetect` analysed.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameMarker {
    pub status: AnalysisStatus,
    pub faces: u32,
    pub detector: String,
    /// Why analysis failed, when it did.
    pub error: Option<String>,
}

impl FrameMarker {
    /// True when the frame was analysed (detected or tracked) and its face list can be trusted.
    pub fn analysed(&self) -> bool {
        self.status != AnalysisStatus::Failed
    }
}

/// An axis-aligned box in pixels of the buffer it sits on.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BoundingBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl BoundingBox {
    pub fn new(x: f32, y: f32, width: f32, height: f32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    pub fn center(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }

    pub fn iou(&self, other: &Self) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.width).min(other.x + other.width);
        let y1 = (self.y + self.height).min(other.y + other.height);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    /// Clamps to a `width` x `height` frame and rounds to whole pixels (ROI metas are integer).
    pub fn to_rect(&self, width: u32, height: u32) -> (u32, u32, u32, u32) {
        let x0 = self.x.round().clamp(0.0, width as f32) as u32;
        let y0 = self.y.round().clamp(0.0, height as f32) as u32;
        let x1 = (self.x + self.width).round().clamp(0.0, width as f32) as u32;
        let y1 = (self.y + self.height).round().clamp(0.0, height as f32) as u32;
        (x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0))
    }
}

/// Landmarks of one face: `points` are normalised to the face box (0..1 inside it), z in box widths.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmarks {
    pub scheme: String,
    pub points: Vec<[f32; 3]>,
}

impl Landmarks {
    /// Builds normalised landmarks from points in frame pixels.
    pub fn from_pixels(scheme: &str, pixels: &[[f32; 3]], bbox: &BoundingBox) -> Self {
        let w = bbox.width.max(1e-3);
        let h = bbox.height.max(1e-3);
        let points = pixels
            .iter()
            .map(|p| [(p[0] - bbox.x) / w, (p[1] - bbox.y) / h, p[2] / w])
            .collect();
        Self {
            scheme: scheme.to_string(),
            points,
        }
    }

    /// Points in frame pixels for a face whose box is `bbox`.
    pub fn to_pixels(&self, bbox: &BoundingBox) -> Vec<[f32; 3]> {
        self.points
            .iter()
            .map(|p| {
                [
                    bbox.x + p[0] * bbox.width,
                    bbox.y + p[1] * bbox.height,
                    p[2] * bbox.width,
                ]
            })
            .collect()
    }
}

/// Head pose in degrees. Zero is facing the camera. `pitch` > 0: face tilted up;
/// `yaw` > 0: face turned towards the image's right (the subject's left);
/// `roll` > 0: head tilted clockwise as seen in the image.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HeadPose {
    pub pitch: f64,
    pub yaw: f64,
    pub roll: f64,
}

/// One face as carried on a buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    pub track_id: i32,
    pub bbox: BoundingBox,
    pub confidence: f64,
    pub detector: String,
    /// True when the box was carried or predicted rather than freshly detected.
    pub tracked: bool,
    /// Frames since the track started.
    pub age: u32,
    pub landmarks: Option<Landmarks>,
    pub head_pose: Option<HeadPose>,
    /// Further params added by later elements (e.g. `quality`), kept as they are.
    pub params: Vec<gst::Structure>,
}

impl Face {
    /// A later element's param by name.
    pub fn param(&self, name: &str) -> Option<&gst::StructureRef> {
        self.params
            .iter()
            .find(|p| p.name() == name)
            .map(|p| p.as_ref())
    }

    /// Adds a param, replacing one of the same name.
    pub fn set_param(&mut self, param: gst::Structure) {
        self.params.retain(|p| p.name() != param.name());
        self.params.push(param);
    }
}

/// Faces and marker read back from a buffer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrameFaces {
    /// `None` when `facedetect` never looked at this buffer.
    pub marker: Option<FrameMarker>,
    pub faces: Vec<Face>,
}

/// Which face an element follows when a frame has several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrimaryFace {
    /// The largest box (ties: the first).
    #[default]
    Largest,
    /// The highest detector confidence.
    MostConfident,
    /// The face with this track id, if present.
    Track(i32),
}

impl FrameFaces {
    /// The largest face by box area.
    pub fn largest(&self) -> Option<&Face> {
        self.primary(PrimaryFace::Largest)
    }

    /// The face chosen by `rule`.
    pub fn primary(&self, rule: PrimaryFace) -> Option<&Face> {
        match rule {
            PrimaryFace::Largest => self.faces.iter().reduce(|best, f| {
                if f.bbox.area() > best.bbox.area() {
                    f
                } else {
                    best
                }
            }),
            PrimaryFace::MostConfident => self.faces.iter().reduce(|best, f| {
                if f.confidence > best.confidence {
                    f
                } else {
                    best
                }
            }),
            PrimaryFace::Track(id) => self.faces.iter().find(|f| f.track_id == id),
        }
    }
}

/// Error reading face metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError(pub String);

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed face metadata: {}", self.0)
    }
}

impl std::error::Error for MetaError {}

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
                .build(),
        );
    }
    params.extend(face.params.iter().cloned());
    params
}

/// Adds one face ROI meta with its params; the box is clamped to `size` (frame width, height).
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
}

/// Parses one face ROI meta.
pub fn face_from_roi(meta: &VideoRegionOfInterestMeta) -> Result<Face, MetaError> {
    let (x, y, w, h) = meta.rect();
    let bbox = BoundingBox::new(x as f32, y as f32, w as f32, h as f32);
    let det = meta
        .param(DETECTION_PARAM)
        .ok_or_else(|| MetaError("face without 'detection' param".into()))?;
    let landmarks = match meta.param(LANDMARKS_PARAM) {
        Some(s) => {
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
        None => None,
    };
    let head_pose = match meta.param(HEAD_POSE_PARAM) {
        Some(s) => Some(HeadPose {
            pitch: field(s, "pitch")?,
            yaw: field(s, "yaw")?,
            roll: field(s, "roll")?,
        }),
        None => None,
    };
    let params = meta
        .params()
        .filter(|p| {
            ![DETECTION_PARAM, LANDMARKS_PARAM, HEAD_POSE_PARAM].contains(&p.name().as_str())
        })
        .map(|p| p.to_owned())
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
    let faces = buffer
        .iter_meta::<VideoRegionOfInterestMeta>()
        .filter(|m| m.roi_type() == FACE_ROI_TYPE)
        .map(|m| face_from_roi(&m))
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

/// Removes every face ROI meta (used before re-analysing a buffer that already carries faces).
pub fn remove_faces(buffer: &mut gst::BufferRef) {
    buffer.foreach_meta_mut(|mut meta| {
        let is_face = meta
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
            }),
            params: vec![
                gst::Structure::builder("quality")
                    .field("overall", 0.5)
                    .build(),
            ],
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
        };
        write_marker(b, &ok);
        let failed = FrameMarker {
            status: AnalysisStatus::Failed,
            error: Some("model error".into()),
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
        face.set_param(
            gst::Structure::builder("quality")
                .field("overall", 0.9)
                .build(),
        );
        rewrite_faces(b, &[face], (100, 100));
        let faces = read_frame(b).unwrap().faces;
        assert_eq!(faces.len(), 1);
        assert_eq!(
            faces[0]
                .param("quality")
                .unwrap()
                .get::<f64>("overall")
                .unwrap(),
            0.9
        );
        assert_eq!(faces[0].params.len(), 1);
    }

    #[test]
    fn primary_face_rules() {
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

    #[test]
    fn iou_of_identical_and_disjoint_boxes() {
        let a = BoundingBox::new(0.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&a) - 1.0).abs() < 1e-6);
        assert_eq!(a.iou(&BoundingBox::new(20.0, 0.0, 5.0, 5.0)), 0.0);
    }
}
