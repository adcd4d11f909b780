//! The detector stage of the face analysis, free of GStreamer: BlazeFace (short or full
//! range) or CenterFace on a whole frame, decoded into frame pixels.

use std::path::Path;

use ort::environment::Environment;

use super::analyzer::AnalyzerConfig;
use super::detection::{self, BlazeFaceKind, Detection};
use crate::frame::image::{Affine, ImageView, sample_nchw};
use crate::inference::{InferenceError, OnnxModel, Output, SessionOptions};

/// Detector families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetectorKind {
    BlazeFaceShort,
    BlazeFaceFull,
    CenterFace,
}

impl DetectorKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::BlazeFaceShort => "blazeface-short",
            Self::BlazeFaceFull => "blazeface-full",
            Self::CenterFace => "centerface",
        }
    }

    /// Model file name under the model folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::BlazeFaceShort => "face_detection_short_range.onnx",
            Self::BlazeFaceFull => "face_detection_full_range.onnx",
            Self::CenterFace => "centerface.onnx",
        }
    }
}

/// A loaded detector model and its input buffer.
pub struct Detector {
    model: OnnxModel,
    /// BlazeFace's anchor centres (empty for CenterFace).
    anchors: Vec<(f32, f32)>,
    input: Vec<f32>,
}

pub(super) fn find_output<'a>(
    outputs: &'a [Output],
    model: &Path,
    pred: impl Fn(&Output) -> bool,
    what: &str,
) -> Result<&'a Output, InferenceError> {
    outputs
        .iter()
        .find(|o| pred(o))
        .ok_or_else(|| InferenceError::Run {
            model: model.to_path_buf(),
            detail: format!("no {what} output; is this the right model family?"),
        })
}

impl Detector {
    /// Loads the detector `config` names (shared with other instances through the session
    /// cache).
    pub fn load(env: &Environment, config: &AnalyzerConfig) -> Result<Self, InferenceError> {
        let model = OnnxModel::load(env, &config.detector_file(), &SessionOptions::default())?;
        let anchors = match config.detector {
            DetectorKind::BlazeFaceShort => BlazeFaceKind::ShortRange.anchors(),
            DetectorKind::BlazeFaceFull => BlazeFaceKind::FullRange.anchors(),
            DetectorKind::CenterFace => Vec::new(),
        };
        Ok(Self {
            model,
            anchors,
            input: Vec::new(),
        })
    }

    /// Runs the detector on a whole frame: detections scoring at least `threshold` and at
    /// least `min_face_size` wide, in frame pixels, merged (weighted NMS), the first
    /// `max_faces` of them; and how many more it found and left out.
    pub fn detect(
        &mut self,
        image: &ImageView,
        threshold: f32,
        config: &AnalyzerConfig,
    ) -> Result<(Vec<Detection>, u32), InferenceError> {
        let dets = match config.detector {
            DetectorKind::BlazeFaceShort | DetectorKind::BlazeFaceFull => {
                self.detect_blazeface(image, threshold, config)?
            }
            DetectorKind::CenterFace => self.detect_centerface(image, threshold, config)?,
        };
        let min = config.min_face_size as f32;
        let dets = dets.into_iter().filter(|d| d.bbox.width >= min).collect();
        let mut faces = detection::weighted_nms(dets, config.nms_iou, usize::MAX);
        let max = config.max_faces as usize;
        let dropped = faces.len().saturating_sub(max) as u32;
        faces.truncate(max);
        Ok((faces, dropped))
    }

    fn detect_blazeface(
        &mut self,
        image: &ImageView,
        threshold: f32,
        config: &AnalyzerConfig,
    ) -> Result<Vec<Detection>, InferenceError> {
        let size = if config.detector == DetectorKind::BlazeFaceShort {
            128
        } else {
            192
        };
        let map = Affine::letterbox(image.width(), image.height(), size, size);
        self.input.resize(3 * size * size, 0.0);
        // BlazeFace takes RGB in -1..1; padding is black.
        sample_nchw(
            image,
            &map,
            size,
            size,
            2.0 / 255.0,
            -1.0,
            -1.0,
            &mut self.input,
        );
        let outputs = self.model.run(&[1, 3, size, size], &self.input)?;
        let path = self.model.path();
        let n = self.anchors.len();
        let regressors = find_output(
            &outputs,
            path,
            |o| o.data.len() == n * 16,
            "regressors [1, anchors, 16]",
        )?;
        let logits = find_output(
            &outputs,
            path,
            |o| o.data.len() == n,
            "scores [1, anchors, 1]",
        )?;
        let dets = detection::decode_blazeface(
            &regressors.data,
            &logits.data,
            &self.anchors,
            size,
            threshold,
        );
        Ok(dets
            .iter()
            .map(|d| d.map(|x, y| map.apply_continuous(x, y)))
            .collect())
    }

    fn detect_centerface(
        &mut self,
        image: &ImageView,
        threshold: f32,
        config: &AnalyzerConfig,
    ) -> Result<Vec<Detection>, InferenceError> {
        let long = image.width().max(image.height()) as f32;
        let scale = (config.max_detect_size as f32 / long).min(1.0);
        let w = ((image.width() as f32 * scale).round() as usize).div_ceil(32) * 32;
        let h = ((image.height() as f32 * scale).round() as usize).div_ceil(32) * 32;
        let s = 1.0 / scale;
        // Top-left aligned scale; the right and bottom are padded up to multiples of 32.
        let map = Affine {
            a: s,
            b: 0.0,
            c: 0.0,
            d: s,
            tx: 0.5 * s - 0.5,
            ty: 0.5 * s - 0.5,
        };
        self.input.resize(3 * w * h, 0.0);
        sample_nchw(image, &map, w, h, 1.0, 0.0, 0.0, &mut self.input);
        let outputs = self.model.run(&[1, 3, h, w], &self.input)?;
        let path = self.model.path();
        let (gw, gh) = (w / 4, h / 4);
        let plane = gw * gh;
        let with_channels = |c: usize| outputs.iter().filter(move |o| o.data.len() == c * plane);
        let heatmap = with_channels(1).next();
        let mut two = with_channels(2);
        let (scale_out, offset) = (two.next(), two.next());
        let lms = with_channels(10).next();
        let (Some(heatmap), Some(scale_out), Some(offset), Some(lms)) =
            (heatmap, scale_out, offset, lms)
        else {
            return Err(InferenceError::Run {
                model: path.to_path_buf(),
                detail: "expected CenterFace outputs heatmap, scale, offset, landmarks".into(),
            });
        };
        let dets = detection::decode_centerface(
            &heatmap.data,
            &scale_out.data,
            &offset.data,
            &lms.data,
            gw,
            gh,
            threshold,
        );
        Ok(dets
            .iter()
            .map(|d| d.map(|x, y| map.apply_continuous(x, y)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_output_names_itself_and_the_model() {
        let outputs = [Output {
            shape: vec![1, 2],
            data: vec![0.0, 1.0],
        }];
        let model = Path::new("models/x.onnx");
        assert!(find_output(&outputs, model, |o| o.data.len() == 2, "two").is_ok());
        let e = find_output(&outputs, model, |o| o.data.len() == 3, "scores [3]").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("no scores [3] output") && text.contains("x.onnx"),
            "{text}"
        );
    }
}
