//! Attention in online classes, without GStreamer: gaze test, sampling and windows, the
//! two-stage reminder/alert state machine, statistics, the history file, the typed messages
//! (JSON via serde), the presenter's class board, MQTT transport and report rendering.
//!
//! `attentionmeter` and `attentionoverlay` only wire buffers, properties and the bus to this.

pub mod board;
pub mod history;
pub mod messages;
pub mod mqtt;
pub mod paint;
pub mod report;

pub use board::ClassBoard;
pub use messages::{AttentionEvent, StatsReport, Summary, WindowReport};

/// Nanoseconds per second (running times are carried in nanoseconds, as GStreamer's).
pub const NS: u64 = 1_000_000_000;

/// A closed interval of angles in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AngleRange {
    pub min: f64,
    pub max: f64,
}

impl AngleRange {
    #[cfg(test)]
    pub const fn new(min: f64, max: f64) -> Self {
        Self { min, max }
    }

    pub fn contains(&self, v: f64) -> bool {
        v >= self.min && v <= self.max
    }

    /// Parses `"MIN,MAX"` (degrees; `:` also accepted as separator). Errors say how to fix it.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        let example = "e.g. \"-20,20\"";
        let parts: Vec<&str> = text.split([',', ':']).map(str::trim).collect();
        if text.trim().is_empty() {
            return Err(format!(
                "{name} is empty: give MIN,MAX in degrees ({example})"
            ));
        }
        if parts.len() != 2 {
            return Err(format!(
                "{name} '{text}' is not MIN,MAX in degrees ({example})"
            ));
        }
        let num = |s: &str| -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!("{name} '{text}': '{s}' is not a number of degrees ({example})")
                })
        };
        let (min, max) = (num(parts[0])?, num(parts[1])?);
        if min > max {
            return Err(format!(
                "{name} '{text}' is inverted: MIN must not exceed MAX (did you mean \"{max},{min}\"?)"
            ));
        }
        if min < -180.0 || max > 180.0 {
            return Err(format!(
                "{name} '{text}' leaves -180..180 degrees ({example})"
            ));
        }
        Ok(Self { min, max })
    }
}

impl std::fmt::Display for AngleRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.min, self.max)
    }
}

/// The gaze test: a head pose looks at the screen when pitch and yaw both lie in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GazeCone {
    pub pitch: AngleRange,
    pub yaw: AngleRange,
}

impl GazeCone {
    /// `pose` = (pitch, yaw) in degrees of the primary face; `None` = no face = not a gaze frame.
    pub fn is_gaze(&self, pose: Option<(f64, f64)>) -> bool {
        pose.is_some_and(|(pitch, yaw)| self.pitch.contains(pitch) && self.yaw.contains(yaw))
    }
}

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

/// Sampling and windowing parameters, in stream running time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterConfig {
    /// Sampled frames per second.
    pub sample_rate: f64,
    /// Window length in nanoseconds.
    pub window: u64,
    /// Statistics interval in nanoseconds.
    pub stats_interval: u64,
    /// Attention below this (0..1) is low.
    pub threshold: f64,
}

impl MeterConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.sample_rate.is_finite() && self.sample_rate > 0.0) {
            return Err(format!(
                "sample-rate {} must be above 0 frames per second (e.g. 1)",
                self.sample_rate
            ));
        }
        if self.window == 0 {
            return Err("window must be above 0 seconds (e.g. 60)".into());
        }
        if self.stats_interval == 0 {
            return Err("stats-interval must be above 0 seconds (e.g. 60)".into());
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(format!(
                "threshold {} is outside 0..1 (a fraction of gaze frames, e.g. 0.5)",
                self.threshold
            ));
        }
        let period = NS as f64 / self.sample_rate;
        if period > self.window as f64 {
            return Err(format!(
                "sample-rate {} samples less than once per window of {} s: raise sample-rate or window",
                self.sample_rate,
                self.window as f64 / NS as f64
            ));
        }
        Ok(())
    }

    fn period(&self) -> f64 {
        NS as f64 / self.sample_rate
    }
}

/// A finished window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub index: u64,
    /// Running time of the window start / end, nanoseconds.
    pub start: u64,
    pub end: u64,
    pub sampled: u32,
    pub gaze: u32,
    /// False for the partial window flushed at EOS.
    pub complete: bool,
}

impl Window {
    /// gaze / sampled, `None` when nothing was sampled.
    pub fn attention(&self) -> Option<f64> {
        (self.sampled > 0).then(|| self.gaze as f64 / self.sampled as f64)
    }
}

/// Decides which frames are sampled and cuts running time into windows.
///
/// Sample instants are `origin + k / sample-rate`, origin = the first frame's running time;
/// a frame is sampled when it is the first at or after the next instant (instants a slow
/// source skipped are not made up). Window `w` covers `[origin + w*window, origin + (w+1)*window)`.
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
        Self {
            config,
            origin: None,
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
    pub fn advance(&mut self, running_time: u64) -> Option<Window> {
        let origin = self.origin?;
        let current = running_time.saturating_sub(origin) / self.config.window;
        if self.window_index >= current {
            return None;
        }
        let (start, end) = self.window_bounds(self.window_index);
        let done = (self.sampled > 0).then_some(Window {
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
    pub fn flush(&mut self, running_time: Option<u64>) -> Option<Window> {
        self.origin?;
        if self.sampled == 0 {
            return None;
        }
        let (start, end) = self.window_bounds(self.window_index);
        let w = Window {
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

/// The two-stage state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReminderState {
    #[default]
    NotReminded,
    Reminded,
}

impl ReminderState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotReminded => "not-reminded",
            Self::Reminded => "reminded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "not-reminded" => Some(Self::NotReminded),
            "reminded" => Some(Self::Reminded),
            _ => None,
        }
    }
}

/// What a window's attention made the state machine say, beside the `attention` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Low while not reminded: remind the viewer; now reminded.
    Reminder,
    /// Low again while reminded: alert the presenter; stays reminded.
    Alert,
    /// At or above the threshold while reminded: back to not reminded.
    Recovered,
}

/// The exact two-stage machine: low & not reminded → reminder (→ reminded); low & reminded →
/// alert (stays reminded, so every further low window alerts again); at/above threshold →
/// not reminded (recovered when it was reminded).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReminderMachine {
    pub state: ReminderState,
}

impl ReminderMachine {
    pub fn step(&mut self, attention: f64, threshold: f64) -> Option<Transition> {
        let low = attention < threshold;
        let (next, transition) = match (self.state, low) {
            (ReminderState::NotReminded, true) => {
                (ReminderState::Reminded, Some(Transition::Reminder))
            }
            (ReminderState::Reminded, true) => (ReminderState::Reminded, Some(Transition::Alert)),
            (ReminderState::Reminded, false) => {
                (ReminderState::NotReminded, Some(Transition::Recovered))
            }
            (ReminderState::NotReminded, false) => (ReminderState::NotReminded, None),
        };
        self.state = next;
        transition
    }
}

/// Histogram bins of attention values over 0..1 (bin i = [i/10, (i+1)/10), 1.0 in the last).
pub const HISTOGRAM_BINS: usize = 10;

/// min/mean/max and distribution of a set of attention values.
pub fn summarize(values: &[f64]) -> Summary {
    let mut histogram = vec![0u32; HISTOGRAM_BINS];
    for v in values {
        let bin = ((v.clamp(0.0, 1.0) * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
        histogram[bin] += 1;
    }
    let stat = |f: fn(f64, f64) -> f64| values.iter().copied().reduce(f);
    Summary {
        windows: values.len() as u32,
        min: stat(f64::min),
        max: stat(f64::max),
        mean: (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64),
        histogram,
    }
}

/// Collects window values into statistics intervals of `interval` ns from `origin`: a window
/// belongs to the interval its end falls in (an end exactly on a boundary closes the earlier one).
#[derive(Debug, Clone, Default)]
pub struct StatsCollector {
    interval: u64,
    /// Interval being filled, and its values.
    current: u64,
    values: Vec<f64>,
    /// Every complete and partial window value of the lesson, in order.
    lesson: Vec<f64>,
}

/// One finished statistics interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalStats {
    pub index: u64,
    pub values: Vec<f64>,
    pub interval: Summary,
    pub lesson: Summary,
}

impl StatsCollector {
    pub fn new(interval: u64) -> Self {
        Self {
            interval: interval.max(1),
            ..Default::default()
        }
    }

    fn interval_of(&self, offset_end: u64) -> u64 {
        offset_end.saturating_sub(1) / self.interval
    }

    /// Adds a window (end relative to the lesson origin, ns); returns the intervals it closed.
    pub fn add(&mut self, offset_end: u64, attention: f64) -> Vec<IntervalStats> {
        let idx = self.interval_of(offset_end);
        let mut closed = Vec::new();
        if idx > self.current {
            if !self.values.is_empty() {
                closed.push(self.take());
            }
            self.current = idx;
        }
        self.values.push(attention);
        self.lesson.push(attention);
        closed
    }

    /// Closes the intervals that ended at or before `offset` (ns from origin).
    pub fn tick(&mut self, offset: u64) -> Option<IntervalStats> {
        (offset / self.interval > self.current && !self.values.is_empty()).then(|| {
            let s = self.take();
            self.current = offset / self.interval;
            s
        })
    }

    fn take(&mut self) -> IntervalStats {
        let values = std::mem::take(&mut self.values);
        IntervalStats {
            index: self.current,
            interval: summarize(&values),
            lesson: summarize(&self.lesson),
            values,
        }
    }

    /// At EOS: the last interval (possibly with no values) and the whole lesson.
    pub fn finish(&mut self) -> IntervalStats {
        self.take()
    }

    pub fn lesson_values(&self) -> &[f64] {
        &self.lesson
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = NS;

    fn cfg(rate: f64, window_s: u64) -> MeterConfig {
        MeterConfig {
            sample_rate: rate,
            window: window_s * S,
            stats_interval: 60 * S,
            threshold: 0.5,
        }
    }

    #[test]
    fn angle_ranges_parse_and_explain_bad_values() {
        assert_eq!(
            AngleRange::parse("pitch-range", " -20 , 25.5").unwrap(),
            AngleRange::new(-20.0, 25.5)
        );
        assert_eq!(
            AngleRange::parse("yaw-range", "-30:30").unwrap(),
            AngleRange::new(-30.0, 30.0)
        );
        let e = AngleRange::parse("pitch-range", "").unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = AngleRange::parse("pitch-range", "20,-20").unwrap_err();
        assert!(e.contains("inverted") && e.contains("-20,20"), "{e}");
        let e = AngleRange::parse("yaw-range", "a,3").unwrap_err();
        assert!(e.contains("'a' is not a number"), "{e}");
        assert!(AngleRange::parse("yaw-range", "1,2,3").is_err());
        assert!(AngleRange::parse("yaw-range", "-200,0").is_err());
        assert!(AngleRange::parse("yaw-range", "nan,0").is_err());
    }

    #[test]
    fn gaze_needs_a_face_with_both_angles_in_range() {
        let cone = GazeCone {
            pitch: AngleRange::new(-20.0, 20.0),
            yaw: AngleRange::new(-30.0, 30.0),
        };
        assert!(cone.is_gaze(Some((0.0, 0.0))));
        assert!(cone.is_gaze(Some((20.0, -30.0))), "bounds are inside");
        assert!(!cone.is_gaze(Some((21.0, 0.0))));
        assert!(!cone.is_gaze(Some((0.0, -31.0))));
        assert!(!cone.is_gaze(None), "no face is not a gaze frame");
    }

    #[test]
    fn config_validation_names_the_property() {
        assert!(cfg(1.0, 60).validate().is_ok());
        assert!(cfg(0.0, 60).validate().unwrap_err().contains("sample-rate"));
        assert!(cfg(1.0, 0).validate().unwrap_err().contains("window"));
        let mut c = cfg(1.0, 60);
        c.threshold = 1.5;
        assert!(c.validate().unwrap_err().contains("threshold"));
        c.threshold = -0.1;
        assert!(c.validate().is_err());
        assert!(
            cfg(0.01, 60)
                .validate()
                .unwrap_err()
                .contains("once per window")
        );
        let mut c = cfg(1.0, 60);
        c.stats_interval = 0;
        assert!(c.validate().unwrap_err().contains("stats-interval"));
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

    #[test]
    fn state_machine_every_transition() {
        let mut m = ReminderMachine::default();
        // not reminded + high: nothing.
        assert_eq!(m.step(0.9, 0.5), None);
        assert_eq!(m.state, ReminderState::NotReminded);
        // exactly at the threshold is not low.
        assert_eq!(m.step(0.5, 0.5), None);
        // not reminded + low: reminder.
        assert_eq!(m.step(0.49, 0.5), Some(Transition::Reminder));
        assert_eq!(m.state, ReminderState::Reminded);
        // reminded + low: alert, stays reminded; again: alert again.
        assert_eq!(m.step(0.1, 0.5), Some(Transition::Alert));
        assert_eq!(m.state, ReminderState::Reminded);
        assert_eq!(m.step(0.0, 0.5), Some(Transition::Alert));
        // reminded + at threshold: recovered.
        assert_eq!(m.step(0.5, 0.5), Some(Transition::Recovered));
        assert_eq!(m.state, ReminderState::NotReminded);
        // reminder then recovered without an alert.
        assert_eq!(m.step(0.2, 0.5), Some(Transition::Reminder));
        assert_eq!(m.step(1.0, 0.5), Some(Transition::Recovered));
        // threshold 0 never reminds; threshold 1 reminds below full attention.
        let mut m = ReminderMachine::default();
        assert_eq!(m.step(0.0, 0.0), None);
        assert_eq!(m.step(0.99, 1.0), Some(Transition::Reminder));
        assert_eq!(
            ReminderState::parse("reminded"),
            Some(ReminderState::Reminded)
        );
        assert_eq!(
            ReminderState::parse(ReminderState::NotReminded.as_str()),
            Some(ReminderState::NotReminded)
        );
        assert_eq!(ReminderState::parse("x"), None);
    }

    #[test]
    fn summary_min_mean_max_and_distribution() {
        let s = summarize(&[0.0, 0.25, 0.5, 1.0, 0.95]);
        assert_eq!(s.windows, 5);
        assert_eq!(s.min, Some(0.0));
        assert_eq!(s.max, Some(1.0));
        assert!((s.mean.unwrap() - 0.54).abs() < 1e-12);
        assert_eq!(s.histogram, vec![1, 0, 1, 0, 0, 1, 0, 0, 0, 2]);
        let empty = summarize(&[]);
        assert_eq!(
            (empty.windows, empty.min, empty.mean, empty.max),
            (0, None, None, None)
        );
        assert_eq!(empty.histogram.iter().sum::<u32>(), 0);
    }

    #[test]
    fn stats_intervals_group_windows_by_their_end() {
        let mut c = StatsCollector::new(60 * S);
        // Windows of 20 s: ends 20, 40, 60 → interval 0; 80, 100 → interval 1.
        assert!(c.add(20 * S, 1.0).is_empty());
        assert!(c.add(40 * S, 0.5).is_empty());
        assert!(c.add(60 * S, 0.0).is_empty());
        let closed = c.add(80 * S, 0.25);
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].index, 0);
        assert_eq!(closed[0].values, vec![1.0, 0.5, 0.0]);
        assert_eq!(closed[0].interval.mean, Some(0.5));
        assert_eq!(closed[0].lesson.windows, 3);
        c.add(100 * S, 0.75);
        // A tick past the interval's end closes it even before the next window.
        let t = c.tick(121 * S).unwrap();
        assert_eq!((t.index, t.values.clone()), (1, vec![0.25, 0.75]));
        assert_eq!(t.lesson.windows, 5);
        assert_eq!(t.lesson.min, Some(0.0));
        assert!(c.tick(130 * S).is_none(), "no values, nothing to post");
        let last = c.finish();
        assert_eq!(last.interval.windows, 0);
        assert_eq!(last.lesson.windows, 5);
        assert_eq!(c.lesson_values().len(), 5);
    }
}
