//! Face tracks: stable ids across frames, and faces held for a while when the detector
//! misses them.

use crate::face::BoundingBox;

/// One followed face.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: i32,
    pub bbox: BoundingBox,
    pub confidence: f32,
    /// Frames since the track started.
    pub age: u32,
    /// Frames since the detector last confirmed this face (0: confirmed on this frame).
    pub since_detected: u32,
    /// Keypoints of the last detection, in frame pixels.
    pub keypoints: Vec<(f32, f32)>,
    /// Landmarks of the previous frame, in frame pixels, when the landmark stage runs.
    pub landmarks: Option<Vec<[f32; 3]>>,
    /// FaceMesh's face presence for `landmarks` (0 without).
    pub presence: f32,
}

impl Track {
    /// True when the box was carried or predicted rather than detected on this frame.
    pub fn tracked(&self) -> bool {
        self.since_detected > 0
    }
}

/// A detection as the tracker sees it (frame pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerInput {
    pub bbox: BoundingBox,
    pub confidence: f32,
    pub keypoints: Vec<(f32, f32)>,
}

#[derive(Debug, Clone)]
pub struct Tracker {
    tracks: Vec<Track>,
    next_id: i32,
    /// Minimum IoU for a detection to continue a track.
    pub iou_threshold: f32,
    /// Frames a face missed by the detector is still reported.
    pub hold_frames: u32,
}

impl Tracker {
    pub fn new(hold_frames: u32) -> Self {
        Self {
            tracks: Vec::new(),
            next_id: 1,
            iou_threshold: 0.3,
            hold_frames,
        }
    }

    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    pub fn tracks_mut(&mut self) -> &mut [Track] {
        &mut self.tracks
    }

    pub fn reset(&mut self) {
        self.tracks.clear();
    }

    /// Ages every track by one frame without a detector run.
    pub fn carry(&mut self) {
        for t in &mut self.tracks {
            t.age += 1;
            t.since_detected += 1;
        }
    }

    /// Undoes [`carry`](Self::carry) on the same frame, before a late detector run.
    pub fn uncarry(&mut self) {
        for t in &mut self.tracks {
            t.age = t.age.saturating_sub(1);
            t.since_detected = t.since_detected.saturating_sub(1);
        }
    }

    /// Feeds one detector run: matches detections to tracks (best IoU first), starts tracks
    /// for new faces, and drops tracks missed for longer than `hold_frames`.
    pub fn update(&mut self, detections: &[TrackerInput]) {
        let mut pairs = Vec::new();
        for (ti, t) in self.tracks.iter().enumerate() {
            // Match against where the face is now expected: its latest box.
            for (di, d) in detections.iter().enumerate() {
                let iou = t.bbox.iou(&d.bbox);
                if iou >= self.iou_threshold {
                    pairs.push((iou, ti, di));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut track_done = vec![false; self.tracks.len()];
        let mut det_done = vec![false; detections.len()];
        for (_, ti, di) in pairs {
            if track_done[ti] || det_done[di] {
                continue;
            }
            track_done[ti] = true;
            det_done[di] = true;
            let (t, d) = (&mut self.tracks[ti], &detections[di]);
            t.bbox = d.bbox;
            t.confidence = d.confidence;
            t.keypoints = d.keypoints.clone();
            t.since_detected = 0;
            t.age += 1;
        }
        for (t, done) in self.tracks.iter_mut().zip(&track_done) {
            if !done {
                t.age += 1;
                t.since_detected += 1;
            }
        }
        let hold = self.hold_frames;
        self.tracks.retain(|t| t.since_detected <= hold);
        for (d, done) in detections.iter().zip(det_done) {
            if !done {
                self.tracks.push(Track {
                    id: self.next_id,
                    bbox: d.bbox,
                    confidence: d.confidence,
                    age: 0,
                    since_detected: 0,
                    keypoints: d.keypoints.clone(),
                    landmarks: None,
                    presence: 0.0,
                });
                self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            }
        }
    }

    /// Drops tracks that a follow-up stage found to be gone (e.g. the landmark model says
    /// no face in the crop) once they are past `hold_frames`.
    pub fn drop_lost(&mut self, lost: impl Fn(&Track) -> bool) {
        let hold = self.hold_frames;
        self.tracks
            .retain(|t| !(lost(t) && t.since_detected > hold));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(x: f32) -> TrackerInput {
        TrackerInput {
            bbox: BoundingBox::new(x, 10.0, 20.0, 20.0),
            confidence: 0.9,
            keypoints: vec![],
        }
    }

    #[test]
    fn moving_face_keeps_its_id() {
        let mut t = Tracker::new(2);
        t.update(&[obs(0.0)]);
        let id = t.tracks()[0].id;
        for x in 1..30 {
            t.update(&[obs(x as f32 * 2.0)]);
            assert_eq!(t.tracks().len(), 1);
            assert_eq!(t.tracks()[0].id, id);
            assert!(!t.tracks()[0].tracked());
        }
        assert_eq!(t.tracks()[0].age, 29);
    }

    #[test]
    fn missed_face_is_held_then_dropped() {
        let mut t = Tracker::new(2);
        t.update(&[obs(0.0)]);
        t.update(&[]);
        t.update(&[]);
        assert_eq!(t.tracks().len(), 1);
        assert!(t.tracks()[0].tracked());
        t.update(&[]);
        assert!(t.tracks().is_empty());
    }

    #[test]
    fn second_face_gets_a_new_id_and_ids_do_not_swap() {
        let mut t = Tracker::new(0);
        t.update(&[obs(0.0), obs(100.0)]);
        let ids: Vec<i32> = t.tracks().iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![1, 2]);
        t.update(&[obs(102.0), obs(2.0)]);
        let a = t.tracks().iter().find(|t| t.bbox.x < 50.0).unwrap();
        assert_eq!(a.id, 1);
    }

    #[test]
    fn carry_marks_tracks_tracked_and_drop_lost_respects_hold() {
        let mut t = Tracker::new(1);
        t.update(&[obs(0.0)]);
        t.carry();
        assert!(t.tracks()[0].tracked());
        t.drop_lost(|_| true);
        assert_eq!(t.tracks().len(), 1);
        t.carry();
        t.drop_lost(|_| true);
        assert!(t.tracks().is_empty());
    }
}
