//! Faces without GStreamer: what `facedetect` found on a frame and every other element reads.
//!
//! [`BoundingBox`], [`Landmarks`] (normalised to the box) and their [`LandmarkScheme`]s with
//! named points (eyes, nose, mouth, oval, midline, mirror pairs), [`HeadPose`], [`Face`], the
//! [`FrameMarker`] that says whether a frame was analysed, and the frontal [`reference`] face.
//! `crate::gst::meta` carries these on buffers.

mod bbox;
mod landmarks;
pub mod reference;
#[cfg(test)]
pub mod testing;

pub use bbox::BoundingBox;
pub use landmarks::{
    LandmarkScheme, Landmarks, MESH_FACE_OVAL, MESH_INNER_LIPS, MESH_MIDLINE, mean_point,
};

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
    /// Faces the detector found beyond `max-faces` and left out of the face list; an
    /// anonymiser must cover such a frame whole.
    pub dropped: u32,
}

impl FrameMarker {
    /// True when the frame was analysed (detected or tracked) and its face list can be trusted.
    pub fn analysed(&self) -> bool {
        self.status != AnalysisStatus::Failed
    }
}

/// Head pose in degrees. Zero is facing the camera. `pitch` > 0: face tilted up;
/// `yaw` > 0: face turned towards the image's right (the subject's left);
/// `roll` > 0: head tilted clockwise as seen in the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadPose {
    pub pitch: f64,
    pub yaw: f64,
    pub roll: f64,
    /// How sure the producer is of the landmarks the pose is fitted to, 0..1 (facedetect:
    /// FaceMesh's face presence). Below [`HeadPose::SURE`] the angles can be far off (a
    /// profile the detector found but the mesh could not read); 1 when a producer does not say.
    pub confidence: f64,
}

impl Default for HeadPose {
    /// Facing the camera, sure.
    fn default() -> Self {
        Self {
            pitch: 0.0,
            yaw: 0.0,
            roll: 0.0,
            confidence: 1.0,
        }
    }
}

impl HeadPose {
    /// Confidence from which a pose is trusted (facedetect's face-presence threshold).
    pub const SURE: f64 = 0.5;

    /// Whether the pose is trusted: `confidence` >= [`HeadPose::SURE`].
    pub fn is_sure(&self) -> bool {
        self.confidence >= Self::SURE
    }

    /// The rotation (row-major) taking the frontal reference face (x image right, y down, z
    /// away from the camera) to this pose: `Rx(-pitch) * Ry(-yaw) * Rz(roll)`, AFLW2000-3D's
    /// order (see `facedetect`'s pose fit, which this inverts).
    pub fn rotation(&self) -> [[f64; 3]; 3] {
        let (sa, ca) = (-self.pitch).to_radians().sin_cos();
        let (sb, cb) = (-self.yaw).to_radians().sin_cos();
        let (sg, cg) = self.roll.to_radians().sin_cos();
        let rx = [[1.0, 0.0, 0.0], [0.0, ca, -sa], [0.0, sa, ca]];
        let ry = [[cb, 0.0, sb], [0.0, 1.0, 0.0], [-sb, 0.0, cb]];
        let rz = [[cg, -sg, 0.0], [sg, cg, 0.0], [0.0, 0.0, 1.0]];
        let mul = |a: [[f64; 3]; 3], b: [[f64; 3]; 3]| {
            std::array::from_fn(|i| {
                std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum())
            })
        };
        mul(mul(rx, ry), rz)
    }
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
    /// Further params added by later elements (e.g. `quality`), carried through unchanged.
    pub params: Vec<FaceParam>,
}

/// A param a later element added to a face: its name and its `GstStructure` in text form.
/// The core never looks inside; `gst::meta` turns it back into a structure.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceParam {
    pub name: String,
    pub text: String,
}

impl Face {
    /// A later element's param by name.
    pub fn param(&self, name: &str) -> Option<&FaceParam> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Adds a param, replacing one of the same name.
    pub fn set_param(&mut self, param: FaceParam) {
        self.params.retain(|p| p.name != param.name);
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
