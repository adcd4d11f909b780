//! Landmarks of a face, normalised to its box.

use super::BoundingBox;

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
