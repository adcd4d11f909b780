//! A few frames of latency so that a face is reported from its first visible frame: frames
//! wait in a queue, and each newly analysed frame lends its faces to the frames queued
//! before it where the detector (or a skipped detector run) did not see them.

use std::collections::VecDeque;

use crate::face::{AnalysisStatus, BoundingBox, Face, FrameMarker};

/// When this much of a later face's box lies inside a face of the earlier frame, that face
/// stands for it.
const SAME_FACE_OVERLAP: f32 = 0.5;

/// One analysed frame waiting to go out.
#[derive(Debug)]
pub struct Pending<T> {
    pub item: T,
    pub marker: FrameMarker,
    pub faces: Vec<Face>,
}

#[derive(Debug)]
pub struct Lookahead<T> {
    queue: VecDeque<Pending<T>>,
}

impl<T> Default for Lookahead<T> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
        }
    }
}

impl<T> Lookahead<T> {
    /// Queues a frame and lends its faces to the frames queued before it.
    pub fn push(&mut self, item: T, marker: FrameMarker, faces: Vec<Face>) {
        if marker.analysed() {
            for earlier in self.queue.iter_mut() {
                lend_faces(earlier, &faces);
            }
        }
        self.queue.push_back(Pending {
            item,
            marker,
            faces,
        });
    }

    /// The oldest frame once more than `latency` frames wait.
    pub fn pop_ready(&mut self, latency: usize) -> Option<Pending<T>> {
        if self.queue.len() > latency {
            self.queue.pop_front()
        } else {
            None
        }
    }

    /// Every waiting frame, oldest first (end of stream, new caps or segment).
    pub fn drain(&mut self) -> Vec<Pending<T>> {
        self.queue.drain(..).collect()
    }

    /// Forgets every waiting frame (flush).
    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

/// The fraction of `a`'s area inside `b`.
fn inside_fraction(a: &BoundingBox, b: &BoundingBox) -> f32 {
    let w = (a.x + a.width).min(b.x + b.width) - a.x.max(b.x);
    let h = (a.y + a.height).min(b.y + b.height) - a.y.max(b.y);
    if a.area() <= 0.0 {
        return 0.0;
    }
    w.max(0.0) * h.max(0.0) / a.area()
}

fn union(a: &BoundingBox, b: &BoundingBox) -> BoundingBox {
    let (x0, y0) = (a.x.min(b.x), a.y.min(b.y));
    let x1 = (a.x + a.width).max(b.x + b.width);
    let y1 = (a.y + a.height).max(b.y + b.height);
    BoundingBox::new(x0, y0, x1 - x0, y1 - y0)
}

/// Adds the later frame's faces to an earlier one: a face of the same track whose box was
/// only carried (no landmarks on that frame) grows to cover both positions; a face the
/// earlier frame lacks is added as a tracked box without landmarks.
fn lend_faces<T>(earlier: &mut Pending<T>, later: &[Face]) {
    if earlier.marker.status == AnalysisStatus::Failed {
        return;
    }
    for face in later {
        if let Some(same) = earlier
            .faces
            .iter_mut()
            .find(|e| e.track_id == face.track_id)
        {
            if same.tracked && same.landmarks.is_none() {
                same.bbox = union(&same.bbox, &face.bbox);
            }
            continue;
        }
        if earlier
            .faces
            .iter()
            .any(|e| inside_fraction(&face.bbox, &e.bbox) >= SAME_FACE_OVERLAP)
        {
            continue;
        }
        earlier.faces.push(Face {
            track_id: face.track_id,
            bbox: face.bbox,
            confidence: face.confidence,
            detector: face.detector.clone(),
            tracked: true,
            age: 0,
            landmarks: None,
            head_pose: None,
            params: Vec::new(),
        });
    }
    earlier.marker.faces = earlier.faces.len() as u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(status: AnalysisStatus, faces: usize) -> FrameMarker {
        FrameMarker {
            status,
            faces: faces as u32,
            detector: "centerface".into(),
            error: None,
            dropped: 0,
        }
    }

    fn face(id: i32, x: f32, tracked: bool) -> Face {
        Face {
            track_id: id,
            bbox: BoundingBox::new(x, 10.0, 20.0, 20.0),
            confidence: 0.9,
            detector: "centerface".into(),
            tracked,
            age: 0,
            landmarks: None,
            head_pose: None,
            params: Vec::new(),
        }
    }

    #[test]
    fn a_face_is_lent_to_the_frames_before_its_first_detection() {
        let mut q = Lookahead::default();
        for i in 0..3 {
            q.push(i, marker(AnalysisStatus::Detected, 0), vec![]);
            assert!(q.pop_ready(3).is_none());
        }
        q.push(
            3,
            marker(AnalysisStatus::Detected, 1),
            vec![face(7, 50.0, false)],
        );
        let first = q.pop_ready(3).expect("one frame out after 3 waiting");
        assert_eq!(first.item, 0);
        assert_eq!(first.faces.len(), 1);
        assert!(first.faces[0].tracked && first.faces[0].track_id == 7);
        assert_eq!(first.marker.faces, 1);
        let rest = q.drain();
        assert_eq!(rest.len(), 3);
        assert!(rest.iter().all(|p| p.faces.len() == 1));
    }

    #[test]
    fn a_carried_box_grows_over_the_next_detection_and_no_face_doubles() {
        let mut q = Lookahead::default();
        q.push(
            0,
            marker(AnalysisStatus::Tracked, 1),
            vec![face(1, 0.0, true)],
        );
        // Same track moved; another track overlapping an existing face is not added twice.
        q.push(
            1,
            marker(AnalysisStatus::Detected, 2),
            vec![face(1, 30.0, false), face(2, 2.0, false)],
        );
        let p = q.pop_ready(0).unwrap();
        assert_eq!(p.faces.len(), 1);
        let b = p.faces[0].bbox;
        assert_eq!((b.x, b.width), (0.0, 50.0));
    }

    #[test]
    fn failed_frames_neither_lend_nor_borrow() {
        let mut q = Lookahead::default();
        q.push(0, marker(AnalysisStatus::Failed, 0), vec![]);
        q.push(1, marker(AnalysisStatus::Detected, 0), vec![]);
        q.push(
            2,
            marker(AnalysisStatus::Detected, 1),
            vec![face(3, 0.0, false)],
        );
        let out = q.drain();
        assert!(out[0].faces.is_empty());
        assert_eq!(out[1].faces.len(), 1);
    }
}
