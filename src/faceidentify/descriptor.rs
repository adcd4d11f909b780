//! The 128-d face descriptor: dlib's ResNet converted to ONNX by `models/convert_dlib_resnet.py`.

use std::path::{Path, PathBuf};

use ort::environment::Environment;

use super::align::CHIP_SIZE;
use crate::inference::{InferenceError, OnnxModel, SessionOptions, model_dir};

/// Model file name under the model folder.
pub const DESCRIPTOR_FILE: &str = "dlib_face_recognition_resnet_model_v1.onnx";
/// Values in a descriptor.
pub const DESCRIPTOR_LEN: usize = 128;
/// dlib's decision threshold: the same person when the Euclidean distance is below it.
pub const DLIB_THRESHOLD: f64 = 0.6;

pub type Descriptor = [f32; DESCRIPTOR_LEN];

/// Euclidean distance between two descriptors.
pub fn distance(a: &Descriptor, b: &Descriptor) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The bundled model's path.
pub fn default_model_path() -> PathBuf {
    model_dir().join(DESCRIPTOR_FILE)
}

pub struct DescriptorModel {
    model: OnnxModel,
}

impl DescriptorModel {
    /// Loads the model and checks it has the descriptor's input and output.
    pub fn load(env: &Environment, path: &Path) -> Result<Self, InferenceError> {
        let model = OnnxModel::load(env, path, &SessionOptions::default())?;
        let (inputs, outputs) = model.io_names();
        if inputs.len() != 1 || outputs.len() != 1 {
            return Err(InferenceError::ModelInvalid {
                path: path.to_path_buf(),
                detail: format!(
                    "expected one input (chip) and one output (descriptor), found {inputs:?} -> {outputs:?}"
                ),
            });
        }
        Ok(Self { model })
    }

    pub fn path(&self) -> &Path {
        self.model.path()
    }

    /// Descriptors of `chips`, each planar RGB 0..255 of [`CHIP_SIZE`]^2 (see `align`).
    pub fn compute(&self, chips: &[&[f32]]) -> Result<Vec<Descriptor>, InferenceError> {
        let plane = 3 * CHIP_SIZE * CHIP_SIZE;
        if chips.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = Vec::with_capacity(chips.len() * plane);
        for chip in chips {
            input.extend_from_slice(&chip[..plane]);
        }
        let outputs = self
            .model
            .run(&[chips.len(), 3, CHIP_SIZE, CHIP_SIZE], &input)?;
        let out = outputs
            .first()
            .filter(|o| o.data.len() == chips.len() * DESCRIPTOR_LEN);
        let Some(out) = out else {
            return Err(InferenceError::Run {
                model: self.model.path().to_path_buf(),
                detail: format!("expected {} x {DESCRIPTOR_LEN} output values", chips.len()),
            });
        };
        Ok(out
            .data
            .chunks_exact(DESCRIPTOR_LEN)
            .map(|c| c.try_into().expect("chunk of descriptor length"))
            .collect())
    }
}

/// The descriptor of the largest face in a photo file (gallery photos): FaceMesh landmarks
/// from `analyzer`, the aligned chip, the descriptor. Says why when there is none.
pub fn describe_photo(
    path: &Path,
    analyzer: &mut crate::facedetect::analyzer::FaceAnalyzer,
    model: &DescriptorModel,
) -> Result<Descriptor, String> {
    use super::align::{ChipGeometry, extract_chip};
    use crate::face::LandmarkScheme;
    use crate::frame::image::{ImageView, Layout};

    let rgb = ::image::open(path)
        .map_err(|e| format!("cannot read the photo ({e})"))?
        .to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let view = ImageView::new(Layout::RGB, w, h, [rgb.as_raw(), &[], &[]], [3 * w, 0, 0])
        .map_err(|e| format!("cannot read the photo ({e})"))?;
    analyzer.reset();
    // The second pass re-crops FaceMesh from the first pass's landmarks (as on video).
    analyzer.analyze(&view).map_err(|e| e.to_string())?;
    let (_, faces) = analyzer.analyze(&view).map_err(|e| e.to_string())?;
    analyzer.reset();
    let face = faces
        .iter()
        .filter(|f| {
            f.landmarks
                .as_ref()
                .is_some_and(|l| l.named_scheme() == Some(LandmarkScheme::Mesh468))
        })
        .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))
        .ok_or("no face with landmarks found; use a photo with one clear, roughly frontal face")?;
    let points = face
        .landmarks
        .as_ref()
        .expect("filtered")
        .to_pixels(&face.bbox);
    let geometry = ChipGeometry::from_mesh(&points).ok_or("face landmarks are degenerate")?;
    let mut chip = Vec::new();
    extract_chip(&view, &geometry, &mut chip);
    let mut out = model.compute(&[&chip]).map_err(|e| e.to_string())?;
    out.pop()
        .ok_or_else(|| "no descriptor computed".to_string())
}
