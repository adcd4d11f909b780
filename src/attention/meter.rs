//! The viewer side's orchestration, without GStreamer: running time and observations in,
//! attention events and finished lessons out. `attentionmeter` only reads buffers and
//! properties, calls [`Meter::frame`] / [`Meter::finish`] and posts what comes back.

use super::history::LessonRecord;
use super::messages::{AttentionEvent, StatsReport, WindowContext, WindowReport};
use super::{
    LessonClock, NS, Observation, ReminderMachine, ReminderState, SampleWindow, Sampler,
    StatsCollector, Threshold,
};

/// Sampling, windowing and lesson parameters, in stream running time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterConfig {
    /// Sampled frames per second.
    pub sample_rate: f64,
    /// Window length in nanoseconds.
    pub window: u64,
    /// Statistics interval in nanoseconds.
    pub stats_interval: u64,
    /// When a window's attention is low.
    pub threshold: Threshold,
    /// Alert on the first low window (no viewer reminder).
    pub single_stage: bool,
    /// Lesson length in nanoseconds (0 = the lesson lasts until EOS).
    pub lesson_length: u64,
}

impl Default for MeterConfig {
    fn default() -> Self {
        Self {
            sample_rate: 1.0,
            window: 60 * NS,
            stats_interval: 60 * NS,
            threshold: Threshold::new(0.5),
            single_stage: false,
            lesson_length: 40 * 60 * NS,
        }
    }
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
        if !(0.0..=1.0).contains(&self.threshold.value) {
            return Err(format!(
                "threshold {} is outside 0..1 (a fraction of gaze frames, e.g. 0.5)",
                self.threshold.value
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
        if self.lesson_length != 0 && self.lesson_length < self.window {
            return Err(format!(
                "lesson-length {} s is shorter than one window of {} s: raise lesson-length (0 = until EOS)",
                self.lesson_length as f64 / NS as f64,
                self.window as f64 / NS as f64
            ));
        }
        Ok(())
    }

    pub(super) fn period(&self) -> f64 {
        NS as f64 / self.sample_rate
    }
}

/// When a frame is, in running time (ns) and on the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameTime {
    pub running_time: u64,
    /// Running time where the frame ends (EOS completes a window that reached its end).
    pub end: Option<u64>,
    /// Wall clock now, Unix milliseconds (anchors the lesson on the wall clock once).
    pub unix_ms: u64,
}

/// What [`Meter`] returns: messages to post, lessons to append to the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeterOutput {
    pub events: Vec<AttentionEvent>,
    pub lessons: Vec<LessonRecord>,
}

/// One viewer's attention over lessons.
#[derive(Debug, Clone)]
pub struct Meter {
    config: MeterConfig,
    viewer_id: String,
    course: String,
    clock: LessonClock,
    sampler: Sampler,
    machine: ReminderMachine,
    stats: StatsCollector,
    lesson: u32,
    /// Lesson time (ns) where the current lesson started.
    lesson_start: Option<u64>,
    /// (lesson time ns, Unix ms) of the first frame: maps lesson time to the wall clock.
    anchor: Option<(u64, u64)>,
    last_end: Option<u64>,
    last_attention: Option<f64>,
    finished: bool,
}

impl Meter {
    pub fn new(config: MeterConfig, viewer_id: &str, course: &str) -> Self {
        Self {
            config,
            viewer_id: viewer_id.into(),
            course: course.into(),
            clock: LessonClock::default(),
            sampler: Sampler::new(config),
            machine: ReminderMachine::new(config.single_stage),
            stats: StatsCollector::new(config.stats_interval, config.threshold),
            lesson: 0,
            lesson_start: None,
            anchor: None,
            last_end: None,
            last_attention: None,
            finished: false,
        }
    }

    pub fn config(&self) -> &MeterConfig {
        &self.config
    }

    /// Takes a new sample rate and threshold while running when they are valid.
    pub fn set_live(&mut self, sample_rate: f64, threshold: Threshold) -> Result<(), String> {
        let candidate = MeterConfig {
            sample_rate,
            threshold,
            ..self.config
        };
        candidate.validate()?;
        self.config = candidate;
        self.sampler.set_sample_rate(sample_rate);
        self.stats.threshold = threshold;
        Ok(())
    }

    /// Latest complete window's attention in this lesson (`None` before the first one).
    pub fn last_attention(&self) -> Option<f64> {
        self.last_attention
    }

    pub fn state(&self) -> ReminderState {
        self.machine.state
    }

    /// Seconds until the first window of the lesson closes (`None` once it has, or before
    /// the first frame).
    pub fn first_window_in(&self) -> Option<f64> {
        if self.last_attention.is_some() {
            return None;
        }
        let start = self.lesson_start?;
        let now = self.last_end?;
        Some((start + self.config.window).saturating_sub(now) as f64 / NS as f64)
    }

    fn unix_ms(&self, t: u64) -> u64 {
        self.anchor
            .map_or(0, |(lt, ms)| ms + t.saturating_sub(lt) / 1_000_000)
    }

    /// One frame; `observe` is called only when the frame is sampled.
    pub fn frame(&mut self, time: FrameTime, observe: impl FnOnce() -> Observation) -> MeterOutput {
        let mut out = MeterOutput::default();
        if self.finished {
            return out;
        }
        let rt = self.clock.map(time.running_time);
        self.last_end = Some(time.end.map_or(rt, |e| self.clock.peek(e)));
        self.anchor.get_or_insert((rt, time.unix_ms));
        let start = *self.lesson_start.get_or_insert(rt);
        let length = self.config.lesson_length;
        if length > 0 && rt >= start + length {
            self.close_lesson(start + length, &mut out);
            let next = start + length * ((rt - start) / length);
            self.begin_lesson(next);
        }
        if self.sampler.origin().is_none() {
            self.sampler = Sampler::with_origin(self.config, Some(rt));
        }
        if let Some(w) = self.sampler.advance(rt) {
            self.finish_window(&w, &mut out.events);
        }
        let origin = self.sampler.origin().unwrap_or(rt);
        if let Some(closed) = self.stats.tick(rt.saturating_sub(origin)) {
            out.events.push(self.stats_event(&closed, false));
        }
        if self.sampler.due(rt) {
            self.sampler.record(observe());
        }
        out
    }

    /// At EOS (or stop): the last window, the final statistics and the lesson's record.
    pub fn finish(&mut self) -> MeterOutput {
        let mut out = MeterOutput::default();
        if !self.finished {
            self.finished = true;
            if let Some(end) = self.last_end {
                self.close_lesson(end, &mut out);
            }
        }
        out
    }

    /// Closes the lesson at lesson time `end`: last windows, final stats, history record.
    fn close_lesson(&mut self, end: u64, out: &mut MeterOutput) {
        if let Some(w) = self.sampler.advance(end) {
            self.finish_window(&w, &mut out.events);
        }
        if let Some(w) = self.sampler.flush(Some(end)) {
            self.finish_window(&w, &mut out.events);
        }
        let Some(origin) = self.sampler.origin() else {
            return;
        };
        if self.stats.lesson_values().is_empty() {
            return;
        }
        let last = self.stats.finish();
        out.events.push(self.stats_event(&last, true));
        out.lessons.push(LessonRecord::new(
            &self.course,
            &self.viewer_id,
            self.unix_ms(origin) / 1000,
            self.config.window as f64 / NS as f64,
            self.stats.lesson_values().to_vec(),
        ));
    }

    fn begin_lesson(&mut self, start: u64) {
        self.lesson += 1;
        self.lesson_start = Some(start);
        self.sampler = Sampler::with_origin(self.config, Some(start));
        self.machine = ReminderMachine::new(self.config.single_stage);
        self.stats = StatsCollector::new(self.config.stats_interval, self.config.threshold);
        self.last_attention = None;
    }

    fn stats_event(&self, closed: &super::IntervalStats, is_final: bool) -> AttentionEvent {
        AttentionEvent::Stats(StatsReport::new(
            &self.viewer_id,
            &self.course,
            self.lesson,
            closed,
            self.sampler.origin().unwrap_or(0),
            self.config.stats_interval,
            is_final,
        ))
    }

    /// Runs the state machine and statistics on a finished window.
    fn finish_window(&mut self, window: &SampleWindow, out: &mut Vec<AttentionEvent>) {
        let Some(attention) = window.attention() else {
            return;
        };
        let transition = if window.complete {
            self.last_attention = Some(attention);
            self.machine.step(attention, self.config.threshold)
        } else {
            None
        };
        let context = WindowContext {
            viewer_id: &self.viewer_id,
            course: &self.course,
            lesson: self.lesson,
            threshold: self.config.threshold,
            state: self.machine.state,
            unix_ms: (self.unix_ms(window.start), self.unix_ms(window.end)),
        };
        let report = WindowReport::new(&context, window);
        out.push(AttentionEvent::Attention(report.clone()));
        if let Some(t) = transition {
            out.push(AttentionEvent::for_transition(t, report));
        }
        let origin = self.sampler.origin().unwrap_or(0);
        for closed in self.stats.add(window.end.saturating_sub(origin), attention) {
            out.push(self.stats_event(&closed, false));
        }
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
            ..MeterConfig::default()
        }
    }

    /// Feeds one frame per second, gaze when `script[i]`; returns everything emitted.
    fn run(meter: &mut Meter, script: &[bool], t0: u64) -> MeterOutput {
        let mut all = MeterOutput::default();
        for (i, gaze) in script.iter().enumerate() {
            let t = t0 + i as u64 * S;
            let frame = FrameTime {
                running_time: t,
                end: Some(t + S),
                unix_ms: 1_700_000_000_000 + i as u64 * 1000,
            };
            let out = meter.frame(frame, || {
                if *gaze {
                    Observation::Gaze
                } else {
                    Observation::NotGaze
                }
            });
            all.events.extend(out.events);
            all.lessons.extend(out.lessons);
        }
        let out = meter.finish();
        all.events.extend(out.events);
        all.lessons.extend(out.lessons);
        all
    }

    fn names(out: &MeterOutput) -> Vec<(&'static str, u64)> {
        out.events
            .iter()
            .filter_map(|e| match e {
                AttentionEvent::Attention(_) => None,
                AttentionEvent::Stats(s) => Some((e.name(), s.interval_index)),
                AttentionEvent::Reminder(r)
                | AttentionEvent::Alert(r)
                | AttentionEvent::Recovered(r) => Some((e.name(), r.window_index)),
            })
            .collect()
    }

    fn pattern(windows: &[usize], len: usize) -> Vec<bool> {
        windows
            .iter()
            .flat_map(|g| (0..len).map(move |k| k < *g))
            .collect()
    }

    #[test]
    fn config_validation_names_the_property() {
        assert!(cfg(1.0, 60).validate().is_ok());
        assert!(cfg(0.0, 60).validate().unwrap_err().contains("sample-rate"));
        assert!(cfg(1.0, 0).validate().unwrap_err().contains("window"));
        let mut c = cfg(1.0, 60);
        c.threshold.value = 1.5;
        assert!(c.validate().unwrap_err().contains("threshold"));
        c.threshold.value = -0.1;
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
        let mut c = cfg(1.0, 60);
        c.lesson_length = 30 * S;
        assert!(c.validate().unwrap_err().contains("lesson-length"));
        c.lesson_length = 0;
        assert!(c.validate().is_ok(), "0 = until EOS");
    }

    #[test]
    fn scripted_lesson_gives_exact_events_and_statistics() {
        // Windows of 5 s at 1 fps: gaze frames 5, 1, 0, 4, 2, 2, 5; stats every 10 s.
        let mut c = cfg(1.0, 5);
        c.stats_interval = 10 * S;
        let mut m = Meter::new(c, "anna", "c1");
        let out = run(&mut m, &pattern(&[5, 1, 0, 4, 2, 2, 5], 5), 100 * S);
        assert_eq!(
            names(&out),
            vec![
                ("attention-reminder", 1),
                ("attention-stats", 0),
                ("attention-alert", 2),
                ("attention-recovered", 3),
                ("attention-stats", 1),
                ("attention-reminder", 4),
                ("attention-alert", 5),
                ("attention-stats", 2),
                ("attention-recovered", 6),
                ("attention-stats", 3),
            ]
        );
        let stats: Vec<&StatsReport> = out
            .events
            .iter()
            .filter_map(|e| match e {
                AttentionEvent::Stats(s) => Some(s),
                _ => None,
            })
            .collect();
        let values: Vec<Vec<f64>> = stats.iter().map(|s| s.values.clone()).collect();
        assert_eq!(
            values,
            vec![vec![1.0, 0.2], vec![0.0, 0.8], vec![0.4, 0.4], vec![1.0]]
        );
        let lesson = &stats[3].lesson;
        assert!(stats[3].is_final && !stats[2].is_final);
        assert_eq!((lesson.windows, lesson.low), (7, 4));
        assert_eq!(lesson.histogram, vec![1, 0, 1, 0, 2, 0, 0, 0, 1, 2]);
        assert!((lesson.mean.unwrap() - 3.8 / 7.0).abs() < 1e-9);
        // The alert names the state and carries the wall clock of its window.
        let alert = out
            .events
            .iter()
            .find_map(|e| match e {
                AttentionEvent::Alert(r) => Some(r),
                _ => None,
            })
            .unwrap();
        assert_eq!(alert.state, "alerted");
        assert_eq!((alert.window_start, alert.window_end), (110 * S, 115 * S));
        assert_eq!(
            (alert.unix_start_ms, alert.unix_end_ms),
            (1_700_000_010_000, 1_700_000_015_000)
        );
        assert_eq!(out.lessons.len(), 1);
        assert_eq!(
            out.lessons[0].curve,
            vec![1.0, 0.2, 0.0, 0.8, 0.4, 0.4, 1.0]
        );
        assert_eq!(out.lessons[0].started, 1_700_000_000);
        assert!(m.finish().events.is_empty(), "finish is idempotent");
    }

    #[test]
    fn lesson_length_closes_the_statistics_and_starts_a_new_lesson() {
        // Lessons of 10 s, windows of 5 s: 25 s of video = two full lessons and half a third.
        let mut c = cfg(1.0, 5);
        c.stats_interval = 10 * S;
        c.lesson_length = 10 * S;
        let mut m = Meter::new(c, "ben", "c1");
        let out = run(&mut m, &pattern(&[5, 0, 0, 5, 1], 5), 0);
        let finals: Vec<(u32, Vec<f64>, u32)> = out
            .events
            .iter()
            .filter_map(|e| match e {
                AttentionEvent::Stats(s) if s.is_final => {
                    Some((s.lesson_index, s.values.clone(), s.lesson.windows))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            finals,
            vec![
                (0, vec![1.0, 0.0], 2),
                (1, vec![0.0, 1.0], 2),
                (2, vec![0.2], 1)
            ]
        );
        let curves: Vec<Vec<f64>> = out.lessons.iter().map(|l| l.curve.clone()).collect();
        assert_eq!(curves, vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.2]]);
        assert_eq!(
            out.lessons.iter().map(|l| l.started).collect::<Vec<_>>(),
            vec![1_700_000_000, 1_700_000_010, 1_700_000_020]
        );
        // Each lesson starts afresh: window indices restart and the state machine is reset
        // (lesson 1 opens with a low window: a reminder, not an alert).
        let lesson1: Vec<(String, u64)> = out
            .events
            .iter()
            .filter_map(|e| match e {
                AttentionEvent::Reminder(r) | AttentionEvent::Alert(r) if r.lesson_index == 1 => {
                    Some((e.name().to_string(), r.window_index))
                }
                _ => None,
            })
            .collect();
        assert_eq!(lesson1, vec![("attention-reminder".to_string(), 0)]);
    }

    #[test]
    fn single_stage_alerts_on_the_first_low_window() {
        let mut c = cfg(1.0, 5);
        c.single_stage = true;
        let mut m = Meter::new(c, "cleo", "c1");
        let out = run(&mut m, &pattern(&[5, 1, 5], 5), 0);
        assert_eq!(
            names(&out)
                .into_iter()
                .filter(|(n, _)| *n != "attention-stats")
                .collect::<Vec<_>>(),
            vec![("attention-alert", 1), ("attention-recovered", 2)]
        );
    }

    #[test]
    fn the_cue_knows_when_the_first_window_closes() {
        let mut m = Meter::new(cfg(1.0, 5), "d", "c");
        assert_eq!(m.first_window_in(), None);
        let frame = |t: u64| FrameTime {
            running_time: t,
            end: Some(t + S),
            unix_ms: 0,
        };
        m.frame(frame(0), || Observation::Gaze);
        assert_eq!(m.first_window_in(), Some(4.0));
        for i in 1..6 {
            m.frame(frame(i * S), || Observation::Gaze);
        }
        assert_eq!((m.first_window_in(), m.last_attention()), (None, Some(1.0)));
    }
}
