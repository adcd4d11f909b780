//! Persons of an upload: the per-track key frames and identities of `facequality` and
//! `faceidentify` merged into one record per person, keeping the best key frame.
//!
//! A person is lost and found again as a new track (turned away, occluded, out of the
//! crop). Tracks verified as the same gallery identity are one person; a track that is not
//! verified joins the person one of whose tracks' descriptors is nearer than the threshold
//! (the same test dlib's threshold makes against the gallery), else it is a new person.

use crate::faceidentify::{Descriptor, distance};

/// What the server knows of one track at the end of the upload.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackResult<T> {
    pub track_id: i32,
    /// Nearest gallery identity ("" when none).
    pub identity: String,
    /// `verified`, `unknown` or `too-small`.
    pub result: String,
    pub distance: f64,
    pub descriptor: Option<Descriptor>,
    /// Quality of the track's key frame (its best face).
    pub quality: f64,
    /// Scored faces of the track.
    pub frames: u32,
    /// The key frame itself (image, timestamp, ...).
    pub keyframe: T,
}

impl<T> TrackResult<T> {
    fn verified(&self) -> bool {
        self.result == "verified"
    }
}

/// One person: its tracks, the best of them (by key frame quality) and the identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Person<T> {
    /// Track ids, in the order they joined.
    pub tracks: Vec<i32>,
    /// Scored faces over all tracks.
    pub frames: u32,
    /// The identity: the verified one with the smallest distance, else the best track's.
    pub identity: String,
    pub result: String,
    pub distance: f64,
    /// The track with the best key frame.
    pub best: TrackResult<T>,
    descriptors: Vec<Descriptor>,
}

impl<T> Person<T> {
    fn new(track: TrackResult<T>) -> Self {
        Self {
            tracks: vec![track.track_id],
            frames: track.frames,
            identity: track.identity.clone(),
            result: track.result.clone(),
            distance: track.distance,
            descriptors: track.descriptor.into_iter().collect(),
            best: track,
        }
    }

    fn nearest(&self, d: &Descriptor) -> f64 {
        self.descriptors
            .iter()
            .map(|p| distance(p, d))
            .fold(f64::INFINITY, f64::min)
    }

    fn join(&mut self, track: TrackResult<T>) {
        self.tracks.push(track.track_id);
        self.frames += track.frames;
        self.descriptors.extend(track.descriptor);
        let closer =
            track.verified() && (self.result != "verified" || track.distance < self.distance);
        if closer {
            self.identity = track.identity.clone();
            self.result = track.result.clone();
            self.distance = track.distance;
        }
        if track.quality > self.best.quality {
            if self.result != "verified" && !track.verified() {
                self.identity = track.identity.clone();
                self.distance = track.distance;
            }
            self.best = track;
        }
    }
}

/// Merges the tracks of an upload into persons (see the module text), in order of their
/// first track. Tracks without a descriptor (too small) stay persons of their own.
pub fn group_persons<T>(mut tracks: Vec<TrackResult<T>>, threshold: f64) -> Vec<Person<T>> {
    tracks.sort_by_key(|t| t.track_id);
    let mut persons: Vec<Person<T>> = Vec::new();
    for track in tracks {
        let same_identity = track.verified().then(|| {
            persons
                .iter()
                .position(|p| p.result == "verified" && p.identity == track.identity)
        });
        let index = match same_identity.flatten() {
            Some(i) => Some(i),
            None => track.descriptor.as_ref().and_then(|d| {
                persons
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        // Two different verified identities are never one person.
                        !(track.verified() && p.result == "verified")
                    })
                    .map(|(i, p)| (i, p.nearest(d)))
                    .filter(|(_, near)| *near < threshold)
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(i, _)| i)
            }),
        };
        match index {
            Some(i) => persons[i].join(track),
            None => persons.push(Person::new(track)),
        }
    }
    persons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faceidentify::DESCRIPTOR_LEN;

    fn descriptor(axis: usize, scale: f32) -> Descriptor {
        let mut d = [0.0; DESCRIPTOR_LEN];
        d[axis] = scale;
        d
    }

    fn track(id: i32, identity: &str, verified: bool, d: Descriptor, q: f64) -> TrackResult<i32> {
        TrackResult {
            track_id: id,
            identity: identity.into(),
            result: if verified { "verified" } else { "unknown" }.into(),
            distance: if verified { 0.3 } else { 0.8 },
            descriptor: Some(d),
            quality: q,
            frames: 10,
            keyframe: id * 100,
        }
    }

    #[test]
    fn tracks_of_one_person_merge_and_keep_the_best_key_frame() {
        let persons = group_persons(
            vec![
                // Ann, lost and found again, and once too far from the gallery to verify
                // but near her own first track.
                track(3, "ann", true, descriptor(0, 1.0), 0.61),
                track(1, "ann", true, descriptor(0, 1.1), 0.55),
                track(5, "bob", false, descriptor(0, 1.2), 0.72),
                // A stranger far from everyone.
                track(2, "ann", false, descriptor(1, 1.0), 0.9),
                // A too-small face: no descriptor, a person of its own.
                TrackResult {
                    descriptor: None,
                    result: "too-small".into(),
                    ..track(4, "", false, descriptor(2, 1.0), -1.0)
                },
            ],
            0.6,
        );
        assert_eq!(persons.len(), 3);
        let ann = &persons[0];
        assert_eq!(ann.tracks, vec![1, 3, 5]);
        assert_eq!(
            (ann.identity.as_str(), ann.result.as_str()),
            ("ann", "verified")
        );
        assert_eq!(ann.frames, 30);
        // The best key frame over all her tracks, though that track was not verified.
        assert_eq!((ann.best.track_id, ann.best.keyframe), (5, 500));
        assert_eq!(persons[1].tracks, vec![2]);
        assert_eq!(persons[1].result, "unknown");
        assert_eq!(persons[2].result, "too-small");
    }

    #[test]
    fn two_verified_identities_stay_two_persons() {
        let persons = group_persons(
            vec![
                track(1, "ann", true, descriptor(0, 1.0), 0.5),
                track(2, "bob", true, descriptor(0, 1.1), 0.5),
            ],
            0.6,
        );
        assert_eq!(persons.len(), 2);
    }
}
