//! `mode=interval`: which faces of a track get a descriptor (every N-th face seen).

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct IntervalSchedule {
    seen: HashMap<i32, u32>,
}

impl IntervalSchedule {
    /// Counts a face of `track`; true for its 1st, (N+1)-th, (2N+1)-th ... face.
    pub fn due(&mut self, track: i32, every: u32) -> bool {
        let n = self.seen.entry(track).or_default();
        let due = n.is_multiple_of(every.max(1));
        *n += 1;
        due
    }

    /// Faces of `track` seen so far.
    pub fn seen(&self, track: i32) -> u32 {
        self.seen.get(&track).copied().unwrap_or(0)
    }

    /// Forgets tracks no longer present.
    pub fn retain(&mut self, present: &[i32]) {
        self.seen.retain(|id, _| present.contains(id));
    }

    pub fn reset(&mut self) {
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_face_of_each_track() {
        let mut s = IntervalSchedule::default();
        let due: Vec<bool> = (0..7).map(|_| s.due(1, 3)).collect();
        assert_eq!(due, [true, false, false, true, false, false, true]);
        assert!(s.due(2, 3), "a new track starts with a descriptor");
        s.retain(&[2]);
        assert_eq!(s.seen(1), 0);
        assert!(s.due(1, 0), "0 means every face");
    }
}
