//! Face detector decoding: BlazeFace (SSD anchors) and CenterFace (heatmap), and NMS.
//! Coordinates here are continuous pixel coordinates of the model input unless stated.

use crate::face::BoundingBox;

/// One raw detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub bbox: BoundingBox,
    pub score: f32,
    /// Keypoints, scheme dependent (BlazeFace: right eye, left eye, nose, mouth, right ear,
    /// left ear; CenterFace: right eye, left eye, nose, right and left mouth corner).
    /// "Right" is the subject's right, i.e. the image's left for a frontal face.
    pub keypoints: Vec<(f32, f32)>,
}

impl Detection {
    /// Applies a map from model-input coordinates to frame coordinates (uniform scale + shift).
    pub fn map(&self, f: impl Fn(f32, f32) -> (f32, f32)) -> Self {
        let (x0, y0) = f(self.bbox.x, self.bbox.y);
        let (x1, y1) = f(
            self.bbox.x + self.bbox.width,
            self.bbox.y + self.bbox.height,
        );
        Self {
            bbox: BoundingBox::new(x0, y0, x1 - x0, y1 - y0),
            score: self.score,
            keypoints: self.keypoints.iter().map(|&(x, y)| f(x, y)).collect(),
        }
    }
}

#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-80.0, 80.0)).exp())
}

/// SSD anchor centres, normalised 0..1, as MediaPipe's SsdAnchorsCalculator makes them
/// with `fixed_anchor_size` (all anchors are 1x1, only the centre matters): BlazeFace's and
/// the palm detector's.
pub fn ssd_anchors(
    input_size: usize,
    strides: &[usize],
    anchors_per_layer: &[usize],
) -> Vec<(f32, f32)> {
    let mut anchors = Vec::new();
    let mut layer = 0;
    while layer < strides.len() {
        // Consecutive layers with the same stride share one grid.
        let stride = strides[layer];
        let mut per_cell = 0;
        while layer < strides.len() && strides[layer] == stride {
            per_cell += anchors_per_layer[layer];
            layer += 1;
        }
        let grid = input_size.div_ceil(stride);
        for y in 0..grid {
            for x in 0..grid {
                let centre = (
                    (x as f32 + 0.5) / grid as f32,
                    (y as f32 + 0.5) / grid as f32,
                );
                anchors.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    anchors
}

/// The two BlazeFace variants MediaPipe ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlazeFaceKind {
    /// 128x128 input, 896 anchors, faces within ~2 m of the camera.
    ShortRange,
    /// 192x192 input, 2304 anchors, faces up to ~5 m.
    FullRange,
}

impl BlazeFaceKind {
    pub fn anchors(self) -> Vec<(f32, f32)> {
        match self {
            Self::ShortRange => ssd_anchors(128, &[8, 16, 16, 16], &[2, 2, 2, 2]),
            Self::FullRange => ssd_anchors(192, &[4], &[1]),
        }
    }
}

/// Decodes BlazeFace outputs: `regressors` is `[anchors x 16]` (box centre offset, size, six
/// keypoints, in input pixels), `logits` is `[anchors]`. Returns detections above `threshold`
/// in input pixels.
pub fn decode_blazeface(
    regressors: &[f32],
    logits: &[f32],
    anchors: &[(f32, f32)],
    input_size: usize,
    threshold: f32,
) -> Vec<Detection> {
    let s = input_size as f32;
    let mut out = Vec::new();
    for (i, &(ax, ay)) in anchors.iter().enumerate() {
        let Some(&logit) = logits.get(i) else { break };
        let score = sigmoid(logit);
        if score < threshold {
            continue;
        }
        let Some(r) = regressors.get(i * 16..i * 16 + 16) else {
            break;
        };
        let cx = r[0] + ax * s;
        let cy = r[1] + ay * s;
        let (w, h) = (r[2], r[3]);
        let keypoints = (0..6)
            .map(|k| (r[4 + 2 * k] + ax * s, r[5 + 2 * k] + ay * s))
            .collect();
        out.push(Detection {
            bbox: BoundingBox::new(cx - w / 2.0, cy - h / 2.0, w, h),
            score,
            keypoints,
        });
    }
    out
}

/// Decodes CenterFace outputs (each `[1, C, H/4, W/4]` planar): `heatmap` (C=1, already a
/// probability), `scale` (C=2, log height and width), `offset` (C=2, y then x), `landmarks`
/// (C=10, y/x pairs relative to the box, in box sizes). Returns detections in input pixels.
pub fn decode_centerface(
    heatmap: &[f32],
    scale: &[f32],
    offset: &[f32],
    landmarks: &[f32],
    grid_w: usize,
    grid_h: usize,
    threshold: f32,
) -> Vec<Detection> {
    let plane = grid_w * grid_h;
    if heatmap.len() < plane
        || scale.len() < 2 * plane
        || offset.len() < 2 * plane
        || landmarks.len() < 10 * plane
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for gy in 0..grid_h {
        for gx in 0..grid_w {
            let i = gy * grid_w + gx;
            let score = heatmap[i];
            if score < threshold {
                continue;
            }
            let h = scale[i].exp() * 4.0;
            let w = scale[plane + i].exp() * 4.0;
            let oy = offset[i];
            let ox = offset[plane + i];
            let x = ((gx as f32 + ox + 0.5) * 4.0 - w / 2.0).max(0.0);
            let y = ((gy as f32 + oy + 0.5) * 4.0 - h / 2.0).max(0.0);
            let keypoints = (0..5)
                .map(|k| {
                    let ly = landmarks[(2 * k) * plane + i];
                    let lx = landmarks[(2 * k + 1) * plane + i];
                    (x + lx * w, y + ly * h)
                })
                .collect();
            out.push(Detection {
                bbox: BoundingBox::new(x, y, w, h),
                score,
                keypoints,
            });
        }
    }
    out
}

/// Weighted non-maximum suppression (MediaPipe's "WEIGHTED" overlap mode): overlapping
/// detections are merged into a score-weighted average instead of dropped, which steadies
/// boxes from frame to frame. Returns at most `max` detections, best first.
pub fn weighted_nms(mut dets: Vec<Detection>, iou_threshold: f32, max: usize) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    let mut used = vec![false; dets.len()];
    for i in 0..dets.len() {
        if used[i] {
            continue;
        }
        if out.len() >= max {
            break;
        }
        let mut total = 0.0;
        let mut bbox = [0.0f32; 4];
        let mut kps = vec![(0.0f32, 0.0f32); dets[i].keypoints.len()];
        for j in i..dets.len() {
            if used[j] || dets[i].bbox.iou(&dets[j].bbox) < iou_threshold {
                continue;
            }
            used[j] = true;
            let w = dets[j].score;
            total += w;
            let b = &dets[j].bbox;
            for (acc, v) in bbox.iter_mut().zip([b.x, b.y, b.width, b.height]) {
                *acc += w * v;
            }
            for (acc, p) in kps.iter_mut().zip(&dets[j].keypoints) {
                acc.0 += w * p.0;
                acc.1 += w * p.1;
            }
        }
        out.push(Detection {
            bbox: BoundingBox::new(
                bbox[0] / total,
                bbox[1] / total,
                bbox[2] / total,
                bbox[3] / total,
            ),
            score: dets[i].score,
            keypoints: kps
                .into_iter()
                .map(|(x, y)| (x / total, y / total))
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_counts_match_mediapipe() {
        assert_eq!(BlazeFaceKind::ShortRange.anchors().len(), 896);
        assert_eq!(BlazeFaceKind::FullRange.anchors().len(), 2304);
        let a = BlazeFaceKind::ShortRange.anchors();
        assert_eq!(a[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0]); // two anchors per stride-8 cell
        assert_eq!(a[512], (0.5 / 8.0, 0.5 / 8.0));
    }

    #[test]
    fn blazeface_decode_places_box_at_anchor_plus_offset() {
        let anchors = vec![(0.25, 0.5), (0.75, 0.75)];
        let mut reg = vec![0.0; 32];
        reg[0] = 2.0; // cx offset in pixels
        reg[2] = 20.0;
        reg[3] = 10.0;
        reg[4] = -3.0; // right eye x offset
        let logits = vec![3.0, -5.0];
        let d = decode_blazeface(&reg, &logits, &anchors, 128, 0.5);
        assert_eq!(d.len(), 1);
        assert!((d[0].bbox.x - (32.0 + 2.0 - 10.0)).abs() < 1e-4);
        assert!((d[0].bbox.y - (64.0 - 5.0)).abs() < 1e-4);
        assert!((d[0].keypoints[0].0 - 29.0).abs() < 1e-4);
        assert!((d[0].score - sigmoid(3.0)).abs() < 1e-6);
    }

    #[test]
    fn centerface_decode_single_peak() {
        let (gw, gh) = (4, 3);
        let plane = gw * gh;
        let mut heat = vec![0.0; plane];
        heat[gw + 2] = 0.9; // gx = 2, gy = 1
        let mut scale = vec![0.0; 2 * plane];
        scale[gw + 2] = (8.0f32 / 4.0).ln(); // h = 8
        scale[plane + gw + 2] = (4.0f32 / 4.0).ln(); // w = 4
        let offset = vec![0.0; 2 * plane];
        let mut lms = vec![0.0; 10 * plane];
        lms[plane + gw + 2] = 0.5; // first keypoint x at half the box width
        let d = decode_centerface(&heat, &scale, &offset, &lms, gw, gh, 0.5);
        assert_eq!(d.len(), 1);
        let b = d[0].bbox;
        assert!((b.width - 4.0).abs() < 1e-4 && (b.height - 8.0).abs() < 1e-4);
        assert!((b.x - 8.0).abs() < 1e-4 && (b.y - 2.0).abs() < 1e-4);
        assert!((d[0].keypoints[0].0 - 10.0).abs() < 1e-4);
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_separate_faces() {
        let det = |x: f32, s: f32| Detection {
            bbox: BoundingBox::new(x, 0.0, 10.0, 10.0),
            score: s,
            keypoints: vec![(x, 0.0)],
        };
        let out = weighted_nms(vec![det(0.0, 0.9), det(1.0, 0.9), det(50.0, 0.8)], 0.3, 10);
        assert_eq!(out.len(), 2);
        assert!((out[0].bbox.x - 0.5).abs() < 1e-4);
        assert_eq!(out[1].bbox.x, 50.0);
        assert_eq!(
            weighted_nms(vec![det(0.0, 0.9), det(50.0, 0.8)], 0.3, 1).len(),
            1
        );
    }
}
