//! `draw=true`: face boxes (green when detected, amber when tracked), landmarks and the head
//! pose axes drawn into the frame, for looking at what facedetect found.

use crate::face::Face;
use crate::frame::draw::Canvas;

const DETECTED: [u8; 3] = [0, 255, 0];
const TRACKED: [u8; 3] = [255, 200, 0];
const LANDMARK: [u8; 3] = [0, 200, 255];

pub fn draw_faces(canvas: &mut Canvas, faces: &[Face]) {
    for face in faces {
        let b = face.bbox;
        let colour = if face.tracked { TRACKED } else { DETECTED };
        canvas.rect(b.x, b.y, b.width, b.height, colour);
        let Some(lm) = &face.landmarks else { continue };
        let points = lm.to_pixels(&b);
        let r = if b.width > 150.0 { 1 } else { 0 };
        for p in &points {
            canvas.dot(p[0], p[1], r, LANDMARK);
        }
        if let (Some(pose), Some(nose)) = (face.head_pose, points.get(1)) {
            // Pose axes from the nose tip: x red, y green, z (towards the viewer) blue.
            let rot = super::pose::rotation_from_euler(&pose);
            let len = b.width as f64 * 0.5;
            for (axis, colour) in [(0, [255, 0, 0]), (1, [0, 255, 0]), (2, [0, 0, 255])] {
                let sign = if axis == 2 { -1.0 } else { 1.0 };
                let dir = rot.column(axis) * sign * len;
                canvas.line(
                    (nose[0], nose[1]),
                    (nose[0] + dir.x as f32, nose[1] + dir.y as f32),
                    colour,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::BoundingBox;
    use crate::frame::view::Layout;

    fn face(tracked: bool) -> Face {
        Face {
            track_id: 1,
            bbox: BoundingBox::new(2.0, 2.0, 4.0, 4.0),
            confidence: 0.9,
            detector: "test".into(),
            tracked,
            age: 0,
            landmarks: None,
            head_pose: None,
            params: Vec::new(),
        }
    }

    #[test]
    fn boxes_show_detected_and_tracked_faces_apart() {
        for (tracked, colour) in [(false, DETECTED), (true, TRACKED)] {
            let mut rgb = vec![0u8; 8 * 8 * 3];
            let mut c =
                Canvas::new(Layout::RGB, 8, 8, [&mut rgb, &mut [], &mut []], [24, 0, 0]).unwrap();
            draw_faces(&mut c, &[face(tracked)]);
            let at = |x: usize, y: usize| &rgb[(y * 8 + x) * 3..(y * 8 + x) * 3 + 3];
            assert_eq!(at(2, 2), colour);
            assert_eq!(at(4, 4), [0, 0, 0], "the inside stays untouched");
        }
    }
}
