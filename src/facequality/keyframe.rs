//! The per-track key frame choice: one window per track, closed by time or frame limits,
//! the track's end or the stream's end; the best face of each window is the key frame.

use std::collections::{HashMap, HashSet};

/// When a track's key frame window closes (whichever comes first; the track's end and the
/// stream's end always close it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowLimits {
    /// Running time since the window's first valid face, nanoseconds.
    pub time_ns: Option<u64>,
    /// Valid faces seen in the window.
    pub frames: Option<u32>,
}

/// The best face of a window so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<T> {
    pub score: f64,
    pub time_ns: u64,
    pub payload: T,
}

/// A closed window: its best face and how many valid faces it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyframe<T> {
    pub track_id: i32,
    pub frames: u32,
    pub best: Candidate<T>,
}

#[derive(Debug)]
struct KeyframeWindow<T> {
    start_ns: u64,
    frames: u32,
    best: Candidate<T>,
}

/// Per-track key frame choice: one window per track, opened by its first valid face and
/// closed by the limits, the track's end or the stream's end; each track yields one key
/// frame. `T` is what is kept of the best face (the element keeps a copy of the crop).
#[derive(Debug)]
pub struct KeyframeSelector<T> {
    open: HashMap<i32, KeyframeWindow<T>>,
    done: HashSet<i32>,
    /// Windows closed by [`Self::offer`], handed out by the next [`Self::end_frame`].
    closed: Vec<Keyframe<T>>,
}

impl<T> Default for KeyframeSelector<T> {
    fn default() -> Self {
        Self {
            open: HashMap::new(),
            done: HashSet::new(),
            closed: Vec::new(),
        }
    }
}

impl<T> KeyframeSelector<T> {
    /// Offers a valid face of `track` at `time_ns`; `payload` is only called when the face
    /// becomes the window's best (strictly better, so the earliest of equal faces wins).
    /// A face at or after the window's time limit is not part of it: it closes the window.
    pub fn offer(
        &mut self,
        track: i32,
        time_ns: u64,
        score: f64,
        limits: WindowLimits,
        payload: impl FnOnce() -> T,
    ) {
        if self.done.contains(&track) || !score.is_finite() {
            return;
        }
        let expired = self.open.get(&track).is_some_and(|w| {
            limits
                .time_ns
                .is_some_and(|t| time_ns.saturating_sub(w.start_ns) >= t)
        });
        if expired {
            let closed = self.close(vec![track]);
            self.closed.extend(closed);
            return;
        }
        match self.open.get_mut(&track) {
            Some(w) => {
                w.frames += 1;
                if score > w.best.score {
                    w.best = Candidate {
                        score,
                        time_ns,
                        payload: payload(),
                    };
                }
            }
            None => {
                self.open.insert(
                    track,
                    KeyframeWindow {
                        start_ns: time_ns,
                        frames: 1,
                        best: Candidate {
                            score,
                            time_ns,
                            payload: payload(),
                        },
                    },
                );
            }
        }
    }

    /// Ends a frame on which the tracks `present` were seen, at `now_ns`: closes the windows
    /// of tracks that are gone or whose limits are reached, best first by track id.
    pub fn end_frame(
        &mut self,
        present: &[i32],
        now_ns: u64,
        limits: WindowLimits,
    ) -> Vec<Keyframe<T>> {
        let mut out = std::mem::take(&mut self.closed);
        let closing: Vec<i32> = self
            .open
            .iter()
            .filter(|(id, w)| {
                !present.contains(id)
                    || limits.frames.is_some_and(|n| w.frames >= n)
                    || limits
                        .time_ns
                        .is_some_and(|t| now_ns.saturating_sub(w.start_ns) >= t)
            })
            .map(|(id, _)| *id)
            .collect();
        out.extend(self.close(closing));
        out
    }

    /// Closes every open window (end of stream).
    pub fn finish_all(&mut self) -> Vec<Keyframe<T>> {
        let mut out = std::mem::take(&mut self.closed);
        let all: Vec<i32> = self.open.keys().copied().collect();
        out.extend(self.close(all));
        out
    }

    fn close(&mut self, mut ids: Vec<i32>) -> Vec<Keyframe<T>> {
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| {
                let w = self.open.remove(&id)?;
                self.done.insert(id);
                Some(Keyframe {
                    track_id: id,
                    frames: w.frames,
                    best: w.best,
                })
            })
            .collect()
    }

    /// Forgets everything (flush, new stream).
    pub fn reset(&mut self) {
        self.open.clear();
        self.done.clear();
        self.closed.clear();
    }

    #[cfg(test)]
    /// Number of windows still open.
    pub fn open_windows(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframe_is_the_best_face_of_each_track_once() {
        let mut sel: KeyframeSelector<u32> = KeyframeSelector::default();
        let limits = WindowLimits {
            time_ns: Some(100),
            frames: None,
        };
        let mut posted = Vec::new();
        for (t, scores) in [(0u64, [0.5, 0.2]), (40, [0.9, 0.3]), (80, [0.7, 0.1])] {
            sel.offer(1, t, scores[0], limits, || t as u32);
            sel.offer(2, t, scores[1], limits, || t as u32);
            posted.extend(sel.end_frame(&[1, 2], t, limits));
        }
        assert!(posted.is_empty());
        // At 120 track 2 is gone, and track 1's 100 ns window is over: its face at 120 is
        // outside the window and does not count.
        sel.offer(1, 120, 0.99, limits, || 120);
        posted.extend(sel.end_frame(&[1], 120, limits));
        assert_eq!(posted.len(), 2);
        assert_eq!(
            (posted[0].track_id, posted[0].best.payload, posted[0].frames),
            (1, 40, 3)
        );
        assert_eq!(
            (posted[1].track_id, posted[1].best.payload, posted[1].frames),
            (2, 40, 3)
        );
        // Once per track: later faces of a closed track are ignored.
        sel.offer(1, 160, 1.0, limits, || 160);
        assert!(sel.end_frame(&[1], 160, limits).is_empty());
        assert!(sel.finish_all().is_empty());
    }

    #[test]
    fn keyframe_frame_limit_and_end_of_stream() {
        let mut sel: KeyframeSelector<u64> = KeyframeSelector::default();
        let limits = WindowLimits {
            time_ns: None,
            frames: Some(3),
        };
        let mut calls = 0;
        for t in 0..2u64 {
            sel.offer(5, t, 0.5, limits, || {
                calls += 1;
                t
            });
            assert!(sel.end_frame(&[5], t, limits).is_empty());
        }
        // Equal scores keep the earliest face: the payload was made once.
        assert_eq!(calls, 1);
        sel.offer(7, 3, 0.1, limits, || 3);
        let eos = sel.finish_all();
        assert_eq!(eos.len(), 2);
        assert_eq!(eos[0].best.payload, 0);
        assert_eq!(sel.open_windows(), 0);
    }
}
