//! Sampling frames in running time and cutting the lesson into windows.

use super::meter::MeterConfig;

/// Keeps the lesson's timeline monotonic: running time normally, but when it jumps back
/// (a flushing seek, a new segment) the timeline continues from where it was instead of
/// stalling sampling until running time catches up again.
#[derive(Debug, Clone, Copy, Default)]
pub struct LessonClock {
    shift: i128,
    last: Option<u64>,
}

impl LessonClock {
    /// Maps a running time (ns) to lesson time (ns); never goes backwards.
    pub fn map(&mut self, running_time: u64) -> u64 {
        let mut t = (running_time as i128 + self.shift).max(0) as u64;
        if let Some(last) = self.last
            && t < last
        {
            self.shift += (last - t) as i128;
            t = last;
        }
        self.last = Some(t);
        t
    }

    /// Maps a later instant of the same frame (e.g. its end) without moving the clock.
    pub fn peek(&self, running_time: u64) -> u64 {
        ((running_time as i128 + self.shift).max(0) as u64).max(self.last.unwrap_or(0))
    }
}

/// What one sampled frame showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    Gaze,
    NotGaze,
    /// The frame's faces are unknown (never analysed, or analysis failed): not counted.
    Unknown,
}

/// A finished window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleWindow {
    pub index: u64,
    /// Running time of the window start / end, nanoseconds.
    pub start: u64,
    pub end: u64,
    pub sampled: u32,
    pub gaze: u32,
    /// False for the partial window flushed at EOS.
    pub complete: bool,
}

impl SampleWindow {
    /// gaze / sampled, `None` when nothing was sampled.
    pub fn attention(&self) -> Option<f64> {
        (self.sampled > 0).then(|| self.gaze as f64 / self.sampled as f64)
    }
}

/// Decides which frames are sampled and cuts running time into windows.
///
/// Sample instants are `origin + k / sample-rate`, origin = the first frame's running time;
/// a frame is sampled when it is the first at or after the next instant (instants a slow
/// source skipped are not made up). SampleWindow `w` covers `[origin + w*window, origin + (w+1)*window)`.
#[derive(Debug, Clone)]
pub struct Sampler {
    config: MeterConfig,
    origin: Option<u64>,
    next_sample: f64,
    window_index: u64,
    sampled: u32,
    gaze: u32,
}

impl Sampler {
    pub fn new(config: MeterConfig) -> Self {
        Self::with_origin(config, None)
    }

    /// A sampler whose windows start at `origin` (lesson time, ns) instead of the first frame.
    pub fn with_origin(config: MeterConfig, origin: Option<u64>) -> Self {
        Self {
            config,
            origin,
            next_sample: 0.0,
            window_index: 0,
            sampled: 0,
            gaze: 0,
        }
    }

    /// Lets sample-rate and threshold change while running; windows keep their length.
    pub fn set_sample_rate(&mut self, rate: f64) {
        self.config.sample_rate = rate;
    }

    pub fn origin(&self) -> Option<u64> {
        self.origin
    }

    fn window_bounds(&self, index: u64) -> (u64, u64) {
        let origin = self.origin.unwrap_or(0);
        (
            origin + index * self.config.window,
            origin + (index + 1) * self.config.window,
        )
    }

    /// Closes the current window when `running_time` lies past its end; returns it when it
    /// sampled at least one frame (empty windows, e.g. a paused live source, are skipped).
    pub fn advance(&mut self, running_time: u64) -> Option<SampleWindow> {
        let origin = self.origin?;
        let current = running_time.saturating_sub(origin) / self.config.window;
        if self.window_index >= current {
            return None;
        }
        let (start, end) = self.window_bounds(self.window_index);
        let done = (self.sampled > 0).then_some(SampleWindow {
            index: self.window_index,
            start,
            end,
            sampled: self.sampled,
            gaze: self.gaze,
            complete: true,
        });
        self.sampled = 0;
        self.gaze = 0;
        self.window_index = current;
        done
    }

    /// True when a frame at `running_time` is to be sampled (call [`Self::advance`] first).
    pub fn due(&mut self, running_time: u64) -> bool {
        let origin = *self.origin.get_or_insert(running_time);
        let t = (running_time - origin.min(running_time)) as f64;
        if t + 0.5 < self.next_sample {
            return false;
        }
        // Next instant strictly after this frame.
        let period = self.config.period();
        let k = (t / period).floor() + 1.0;
        self.next_sample = k * period;
        true
    }

    /// Counts a sampled frame's observation in the current window.
    pub fn record(&mut self, observation: Observation) {
        match observation {
            Observation::Gaze => {
                self.sampled += 1;
                self.gaze += 1;
            }
            Observation::NotGaze => self.sampled += 1,
            Observation::Unknown => {}
        }
    }

    /// The current window at EOS, if it sampled anything; `running_time` is where the stream
    /// ended (last frame's end): the window counts as complete when that reaches its end.
    pub fn flush(&mut self, running_time: Option<u64>) -> Option<SampleWindow> {
        self.origin?;
        if self.sampled == 0 {
            return None;
        }
        let (start, end) = self.window_bounds(self.window_index);
        let w = SampleWindow {
            index: self.window_index,
            start,
            end: running_time.map_or(end, |t| t.clamp(start, end)),
            sampled: self.sampled,
            gaze: self.gaze,
            complete: running_time.is_some_and(|t| t >= end),
        };
        self.sampled = 0;
        self.gaze = 0;
        self.window_index += 1;
        Some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = crate::attention::NS;

    fn cfg(rate: f64, window_s: u64) -> MeterConfig {
        MeterConfig {
            sample_rate: rate,
            window: window_s * S,
            ..MeterConfig::default()
        }
    }

    #[test]
    fn sampler_takes_one_frame_per_period_whatever_the_frame_rate() {
        // 30 fps for 3 s at 1 sample/s: frames 0, 30, 60 are sampled.
        let mut s = Sampler::new(cfg(1.0, 60));
        let due: Vec<usize> = (0..90)
            .filter(|i| s.due(1_000 * S + *i as u64 * S / 30))
            .collect();
        assert_eq!(due, vec![0, 30, 60]);
        // A source slower than the sample rate: every frame, missed instants not made up.
        let mut s = Sampler::new(cfg(4.0, 60));
        let due = (0..5).filter(|i| s.due(*i as u64 * S)).count();
        assert_eq!(due, 5);
        // Jittered timestamps still sample each second once.
        let mut s = Sampler::new(cfg(1.0, 60));
        let times = [0, S / 2, S - 1_000, S + 1_000, 2 * S - 3, 2 * S + 10];
        let due: Vec<bool> = times.iter().map(|t| s.due(*t)).collect();
        assert_eq!(due, vec![true, false, false, true, false, true]);
    }

    #[test]
    fn windows_count_sampled_and_gaze_frames_and_skip_unknown() {
        let mut s = Sampler::new(cfg(1.0, 4));
        let mut windows = Vec::new();
        // 10 s at 1 fps: gaze, not, unknown, gaze | gaze x4 | not, not (EOS)
        let obs = [
            Observation::Gaze,
            Observation::NotGaze,
            Observation::Unknown,
            Observation::Gaze,
            Observation::Gaze,
            Observation::Gaze,
            Observation::Gaze,
            Observation::Gaze,
            Observation::NotGaze,
            Observation::NotGaze,
        ];
        for (i, o) in obs.iter().enumerate() {
            let t = 5 * S + i as u64 * S;
            windows.extend(s.advance(t));
            assert!(s.due(t));
            s.record(*o);
        }
        let last = s.flush(Some(5 * S + 10 * S)).unwrap();
        assert_eq!(windows.len(), 2);
        assert_eq!(
            (
                windows[0].sampled,
                windows[0].gaze,
                windows[0].start,
                windows[0].end
            ),
            (3, 2, 5 * S, 9 * S)
        );
        assert_eq!(windows[0].attention(), Some(2.0 / 3.0));
        assert_eq!((windows[1].sampled, windows[1].gaze), (4, 4));
        assert!(windows[1].complete);
        assert_eq!(
            (last.index, last.sampled, last.gaze, last.complete),
            (2, 2, 0, false)
        );
        assert_eq!(last.end, 15 * S);
        assert!(s.flush(None).is_none());
        // A stream that ends exactly at a window's end completes it.
        let mut s = Sampler::new(cfg(1.0, 2));
        s.advance(0);
        s.due(0);
        s.record(Observation::Gaze);
        let w = s.flush(Some(2 * S)).unwrap();
        assert!(w.complete && w.end == 2 * S);
    }

    #[test]
    fn lesson_clock_continues_after_running_time_jumps_back() {
        let mut c = LessonClock::default();
        assert_eq!(c.map(5 * S), 5 * S);
        assert_eq!(c.map(6 * S), 6 * S);
        // A flushing seek: running time starts again at 0.
        assert_eq!(c.map(0), 6 * S);
        assert_eq!(c.map(S), 7 * S);
        assert_eq!(c.peek(S + S / 2), 7 * S + S / 2);
        assert_eq!(c.map(2 * S), 8 * S);
    }

    #[test]
    fn gaps_skip_empty_windows() {
        let mut s = Sampler::new(cfg(1.0, 2));
        s.advance(0);
        s.due(0);
        s.record(Observation::Gaze);
        // Next frame 9 s later: window 0 is reported, windows 1..3 were empty.
        let w = s.advance(9 * S);
        assert!(w.is_some());
        assert!(s.due(9 * S));
        s.record(Observation::NotGaze);
        let w = s.advance(10 * S).unwrap();
        assert_eq!((w.index, w.start, w.gaze, w.sampled), (4, 8 * S, 0, 1));
    }
}
