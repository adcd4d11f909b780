//! The presenter's view of the class, built from the viewers' attention messages and placed
//! on one lesson clock.
//!
//! Every window carries its bounds on the wall clock (`unix-start-ms`, `unix-end-ms`); the
//! board measures them from the lesson start (the presenter's start, or the earliest window
//! when a viewer started before it), so a viewer who joins late is drawn late. Messages
//! without wall-clock bounds fall back to the viewer's own start.

use std::collections::BTreeMap;

use super::messages::{AttentionEvent, WindowReport};
use super::{HISTOGRAM_BINS, NS, Threshold};

/// One window of one viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewerWindow {
    /// Wall-clock bounds, Unix ms (0 = unknown).
    pub unix_ms: (u64, u64),
    /// Bounds in seconds since the viewer's own lesson start (fallback).
    pub own_s: (f64, f64),
    pub attention: f64,
    pub low: bool,
    pub complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    Reminder,
    Alert,
    Recovered,
}

impl MarkerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reminder => "reminder",
            Self::Alert => "alert",
            Self::Recovered => "recovered",
        }
    }
}

/// A reminder, alert or recovery, placed at the end of the window that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub window: ViewerWindow,
    pub kind: MarkerKind,
}

/// What the presenter knows about one viewer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewerTrack {
    /// Attention of the latest window.
    pub attention: Option<f64>,
    /// Alerted and not yet recovered.
    pub alerted: bool,
    /// The viewer's lesson ended (final statistics or a partial window at EOS).
    pub left: bool,
    pub windows: Vec<ViewerWindow>,
    pub markers: Vec<Marker>,
}

impl ViewerTrack {
    pub fn count(&self, kind: MarkerKind) -> usize {
        self.markers.iter().filter(|m| m.kind == kind).count()
    }
}

/// Histogram, mean and share of time below the threshold of a set of windows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distribution {
    /// Windows per attention decile (as the `attention-stats` histogram).
    pub histogram: [u32; HISTOGRAM_BINS],
    pub windows: u32,
    pub mean: Option<f64>,
    /// Share of the windows' time whose attention was low, 0..1.
    pub low_share: Option<f64>,
}

impl Distribution {
    pub fn of<'a>(windows: impl IntoIterator<Item = &'a ViewerWindow>) -> Self {
        let mut d = Self::default();
        let (mut sum, mut time, mut low_time) = (0.0, 0.0, 0.0);
        for w in windows {
            let bin = ((w.attention.clamp(0.0, 1.0) * HISTOGRAM_BINS as f64) as usize)
                .min(HISTOGRAM_BINS - 1);
            d.histogram[bin] += 1;
            d.windows += 1;
            sum += w.attention;
            let length = (w.own_s.1 - w.own_s.0).max(0.0);
            time += length;
            if w.low {
                low_time += length;
            }
        }
        if d.windows > 0 {
            d.mean = Some(sum / d.windows as f64);
            d.low_share = Some(if time > 0.0 { low_time / time } else { 0.0 });
        }
        d
    }
}

/// Viewers by id, with the class average and the lesson curve.
#[derive(Debug, Clone, Default)]
pub struct ClassBoard {
    pub viewers: BTreeMap<String, ViewerTrack>,
    /// Messages applied (for change detection by the renderer).
    pub revision: u64,
    /// Wall clock (Unix ms) of the lesson start as the presenter saw it.
    pub lesson_start_ms: Option<u64>,
    /// The start is the previous lesson's end ([`ClassBoard::next_lesson`]): no window moves it.
    pub start_fixed: bool,
    /// Window length of the messages, seconds.
    pub window_s: Option<f64>,
    pub threshold: Option<Threshold>,
}

fn own_seconds(r: &WindowReport) -> (f64, f64) {
    // Windows have a fixed length from the viewer's lesson origin; the partial window at EOS
    // is shorter, so the origin comes from the window index and start.
    let s = |ns: u64| ns as f64 / NS as f64;
    let len = r.window_end.saturating_sub(r.window_start);
    let origin = if r.complete && len > 0 {
        r.window_start.saturating_sub(r.window_index * len)
    } else {
        0
    };
    (
        s(r.window_start.saturating_sub(origin)),
        s(r.window_end.saturating_sub(origin)),
    )
}

impl ClassBoard {
    pub fn new(lesson_start_ms: u64) -> Self {
        Self {
            lesson_start_ms: Some(lesson_start_ms),
            ..Default::default()
        }
    }

    /// The lesson after one closed at `start_ms`: its clock starts there, whatever the windows
    /// (one straddling the boundary, or a late one of the lesson before, lies partly or wholly
    /// before it).
    pub fn next_lesson(start_ms: u64) -> Self {
        Self {
            start_fixed: true,
            ..Self::new(start_ms)
        }
    }

    pub fn apply(&mut self, event: &AttentionEvent) {
        self.revision += 1;
        if let AttentionEvent::Attention(r) = event {
            self.threshold = Some(r.threshold());
            if r.complete && r.window_end > r.window_start {
                self.window_s
                    .get_or_insert((r.window_end - r.window_start) as f64 / NS as f64);
            }
        }
        let track = self
            .viewers
            .entry(event.viewer_id().to_string())
            .or_default();
        let window = |r: &WindowReport| ViewerWindow {
            unix_ms: (r.unix_start_ms, r.unix_end_ms),
            own_s: own_seconds(r),
            attention: r.attention,
            low: r.threshold().is_low(r.attention),
            complete: r.complete,
        };
        let mut mark = |r: &WindowReport, kind| {
            track.attention = Some(r.attention);
            track.markers.push(Marker {
                window: window(r),
                kind,
            });
        };
        match event {
            AttentionEvent::Attention(r) => {
                track.attention = Some(r.attention);
                track.windows.push(window(r));
                // A partial window is the viewer's last one: it left.
                track.left |= !r.complete;
                if r.complete {
                    track.left = false;
                }
            }
            AttentionEvent::Reminder(r) => mark(r, MarkerKind::Reminder),
            AttentionEvent::Alert(r) => {
                mark(r, MarkerKind::Alert);
                track.alerted = true;
            }
            AttentionEvent::Recovered(r) => {
                mark(r, MarkerKind::Recovered);
                track.alerted = false;
            }
            AttentionEvent::Stats(s) => track.left |= s.is_final,
        }
    }

    /// The lesson's start on the wall clock: the presenter's, or the earliest window's (for
    /// the first lesson, where a viewer may have started before the presenter).
    pub fn origin_ms(&self) -> Option<u64> {
        if self.start_fixed {
            return self.lesson_start_ms;
        }
        self.viewers
            .values()
            .flat_map(|v| &v.windows)
            .map(|w| w.unix_ms.0)
            .filter(|ms| *ms > 0)
            .chain(self.lesson_start_ms)
            .min()
    }

    /// The latest end of a window on the wall clock, Unix ms.
    pub fn latest_window_end_ms(&self) -> Option<u64> {
        self.viewers
            .values()
            .flat_map(|v| &v.windows)
            .map(|w| w.unix_ms.1)
            .filter(|ms| *ms > 0)
            .max()
    }

    /// A window's bounds in seconds of lesson time (negative before the lesson's start).
    pub fn lesson_seconds(&self, w: &ViewerWindow) -> (f64, f64) {
        let since = |ms: u64, origin: u64| (ms as f64 - origin as f64) / 1000.0;
        match self.origin_ms() {
            Some(origin) if w.unix_ms.1 > 0 => {
                (since(w.unix_ms.0, origin), since(w.unix_ms.1, origin))
            }
            _ => w.own_s,
        }
    }

    /// Viewers whose lesson is still running.
    pub fn present(&self) -> impl Iterator<Item = (&String, &ViewerTrack)> {
        self.viewers.iter().filter(|(_, v)| !v.left)
    }

    /// Mean of the present viewers' latest attention (of every viewer once all have left);
    /// `None` before any window arrived.
    pub fn class_average(&self) -> Option<f64> {
        let mean = |values: Vec<f64>| {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        mean(self.present().filter_map(|(_, v)| v.attention).collect())
            .or_else(|| mean(self.viewers.values().filter_map(|v| v.attention).collect()))
    }

    /// Alerted viewers not recovered, least attentive first: (id, attention). A viewer who
    /// left while alerted stays listed (see [`ViewerTrack::left`]).
    pub fn alerted(&self) -> Vec<(String, f64)> {
        let mut list: Vec<(String, f64)> = self
            .viewers
            .iter()
            .filter(|(_, v)| v.alerted)
            .map(|(id, v)| (id.clone(), v.attention.unwrap_or(0.0)))
            .collect();
        list.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        list
    }

    /// A viewer's complete windows as (lesson seconds at the window end, attention).
    pub fn viewer_curve(&self, track: &ViewerTrack) -> Vec<(f64, f64)> {
        track
            .windows
            .iter()
            .filter(|w| w.complete)
            .map(|w| (self.lesson_seconds(w).1, w.attention))
            .collect()
    }

    fn bin_of(&self, w: &ViewerWindow, width: f64) -> i64 {
        let (a, b) = self.lesson_seconds(w);
        ((a + b) / 2.0 / width).floor() as i64
    }

    /// The class mean per lesson-time bin (one window long; a window belongs to the bin of
    /// its middle), over the viewers with a window in that bin, as (bin end s, mean). The
    /// newest bin is left out until every present viewer that was there before has reported
    /// it, so the latest point never averages a subset of the class.
    pub fn class_curve(&self) -> Vec<(f64, f64)> {
        let Some(width) = self.window_s else {
            return Vec::new();
        };
        // bin -> viewer -> (sum, n)
        let mut bins: BTreeMap<i64, BTreeMap<&str, (f64, u32)>> = BTreeMap::new();
        let mut first_bin: BTreeMap<&str, i64> = BTreeMap::new();
        for (id, v) in &self.viewers {
            for w in v.windows.iter().filter(|w| w.complete) {
                let k = self.bin_of(w, width);
                let e = bins.entry(k).or_default().entry(id).or_default();
                e.0 += w.attention;
                e.1 += 1;
                let f = first_bin.entry(id).or_insert(k);
                *f = (*f).min(k);
            }
        }
        let newest = bins.keys().next_back().copied();
        bins.iter()
            .filter(|(k, reported)| {
                Some(**k) != newest
                    || self.present().all(|(id, _)| {
                        reported.contains_key(id.as_str())
                            || first_bin.get(id.as_str()).is_none_or(|f| f >= *k)
                    })
            })
            .map(|(k, reported)| {
                let means: Vec<f64> = reported.values().map(|(s, n)| s / *n as f64).collect();
                (
                    (*k + 1) as f64 * width,
                    means.iter().sum::<f64>() / means.len() as f64,
                )
            })
            .collect()
    }

    /// Distribution of one viewer's windows (complete and partial) in this lesson.
    pub fn viewer_distribution(&self, track: &ViewerTrack) -> Distribution {
        Distribution::of(&track.windows)
    }

    /// Distribution over every viewer's windows.
    pub fn class_distribution(&self) -> Distribution {
        Distribution::of(self.viewers.values().flat_map(|v| &v.windows))
    }

    /// Seconds of lesson time covered so far (the latest window end).
    pub fn elapsed(&self) -> f64 {
        self.viewers
            .values()
            .flat_map(|v| &v.windows)
            .map(|w| self.lesson_seconds(w).1)
            .fold(0.0, f64::max)
    }

    /// Lesson seconds of the middle of an event's window (for lesson-length roll-over).
    pub fn event_seconds(&self, event: &AttentionEvent) -> Option<f64> {
        match event {
            AttentionEvent::Attention(r)
            | AttentionEvent::Reminder(r)
            | AttentionEvent::Alert(r)
            | AttentionEvent::Recovered(r) => {
                let w = ViewerWindow {
                    unix_ms: (r.unix_start_ms, r.unix_end_ms),
                    own_s: own_seconds(r),
                    attention: r.attention,
                    low: false,
                    complete: r.complete,
                };
                let (a, b) = self.lesson_seconds(&w);
                Some((a + b) / 2.0)
            }
            AttentionEvent::Stats(_) => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::attention::messages::tests::window_report;

    /// Presenter's lesson started at this wall-clock instant.
    pub const T0: u64 = 1_763_760_000_000;

    /// `viewer`'s window `index` of `len` s, the viewer having joined `join` s into the lesson.
    pub fn report(viewer: &str, join: u64, len: u64, index: u64, attention: f64) -> WindowReport {
        let start = index * len;
        WindowReport {
            viewer_id: viewer.into(),
            window_index: index,
            // The viewer's running time starts at 0 when it joins.
            window_start: start * NS,
            window_end: (start + len) * NS,
            unix_start_ms: T0 + (join + start) * 1000,
            unix_end_ms: T0 + (join + start + len) * 1000,
            attention,
            complete: true,
            ..window_report()
        }
    }

    fn att(r: WindowReport) -> AttentionEvent {
        AttentionEvent::Attention(r)
    }

    #[test]
    fn alerts_recoveries_average_and_curve() {
        let mut b = ClassBoard::new(T0);
        assert_eq!(b.class_average(), None);
        b.apply(&att(report("a", 0, 10, 0, 1.0)));
        b.apply(&att(report("b", 0, 10, 0, 0.2)));
        b.apply(&AttentionEvent::Reminder(report("b", 0, 10, 0, 0.2)));
        assert!(b.alerted().is_empty(), "a reminder is for the viewer only");
        b.apply(&att(report("a", 0, 10, 1, 0.8)));
        b.apply(&att(report("b", 0, 10, 1, 0.0)));
        b.apply(&AttentionEvent::Alert(report("b", 0, 10, 1, 0.0)));
        b.apply(&att(report("c", 0, 10, 0, 0.1)));
        b.apply(&AttentionEvent::Alert(report("c", 0, 10, 0, 0.1)));
        assert_eq!(b.alerted(), vec![("b".into(), 0.0), ("c".into(), 0.1)]);
        assert!((b.class_average().unwrap() - 0.3).abs() < 1e-12);
        // c has not reported the second bin, but a later bin exists for nobody: the newest
        // bin waits for c (present since bin 0).
        assert_eq!(b.class_curve(), vec![(10.0, (1.0 + 0.2 + 0.1) / 3.0)]);
        b.apply(&att(report("c", 0, 10, 1, 0.3)));
        assert_eq!(
            b.class_curve(),
            vec![
                (10.0, (1.0 + 0.2 + 0.1) / 3.0),
                (20.0, (0.8 + 0.0 + 0.3) / 3.0)
            ]
        );
        b.apply(&AttentionEvent::Recovered(report("b", 0, 10, 2, 0.9)));
        assert_eq!(
            b.alerted(),
            vec![("c".into(), 0.3)],
            "with c's latest value"
        );
        assert_eq!(b.viewers["b"].count(MarkerKind::Alert), 1);
        assert_eq!(b.viewers["b"].count(MarkerKind::Reminder), 1);
        // The partial window at EOS updates the latest value and means the viewer left.
        let mut partial = report("a", 0, 10, 2, 0.5);
        partial.complete = false;
        b.apply(&att(partial));
        assert_eq!(b.viewers["a"].attention, Some(0.5));
        assert!(b.viewers["a"].left);
        assert_eq!(b.viewer_curve(&b.viewers["a"]).len(), 2);
    }

    #[test]
    fn a_late_joiner_is_placed_on_the_lesson_clock_and_a_leaver_stops_counting() {
        // 60 s windows. anna and ben attend from the start, ben looks away from minute 2;
        // cleo joins 7 s late and looks away throughout; ben leaves after 3 minutes.
        let mut b = ClassBoard::new(T0);
        let script: [(&str, u64, &[f64]); 3] = [
            ("anna", 0, &[1.0, 1.0, 1.0, 1.0]),
            ("ben", 0, &[1.0, 0.0, 0.0]),
            ("cleo", 7, &[0.0, 0.0, 0.0, 0.0]),
        ];
        for i in 0..4 {
            for (id, join, values) in &script {
                if let Some(a) = values.get(i) {
                    b.apply(&att(report(id, *join, 60, i as u64, *a)));
                }
            }
            if i == 2 {
                b.apply(&AttentionEvent::Stats(crate::attention::StatsReport {
                    viewer_id: "ben".into(),
                    is_final: true,
                    ..crate::attention::messages::tests::stats_report()
                }));
            }
        }
        // cleo's windows sit 7 s later than anna's, in the same bins.
        let cleo = b.viewer_curve(&b.viewers["cleo"]);
        assert_eq!(cleo[0], (67.0, 0.0));
        let curve = b.class_curve();
        let expected = [
            (60.0, (1.0 + 1.0 + 0.0) / 3.0),
            (120.0, (1.0 + 0.0 + 0.0) / 3.0),
            (180.0, (1.0 + 0.0 + 0.0) / 3.0),
            // ben left: the class is anna and cleo.
            (240.0, (1.0 + 0.0) / 2.0),
        ];
        assert_eq!(curve.len(), expected.len(), "{curve:?}");
        for (got, want) in curve.iter().zip(expected) {
            assert!((got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9);
        }
        // The class fell, it did not improve; the header agrees with the latest point.
        assert!(curve[1].1 < curve[0].1);
        assert_eq!(b.class_average(), Some(0.5));
        assert_eq!(b.present().count(), 2);
        assert_eq!(b.elapsed(), 247.0);
    }

    #[test]
    fn the_newest_bin_waits_for_present_viewers_but_not_for_newcomers() {
        let mut b = ClassBoard::new(T0);
        b.apply(&att(report("a", 0, 60, 0, 1.0)));
        b.apply(&att(report("b", 0, 60, 0, 0.0)));
        b.apply(&att(report("a", 0, 60, 1, 1.0)));
        // b has not reported minute 2 yet: the curve stops at minute 1 (no 100% spike).
        assert_eq!(b.class_curve(), vec![(60.0, 0.5)]);
        // A newcomer's first window does not hold back nor need an earlier bin.
        b.apply(&att(report("c", 65, 60, 0, 1.0)));
        assert_eq!(b.class_curve(), vec![(60.0, 0.5)]);
        b.apply(&att(report("b", 0, 60, 1, 0.0)));
        assert_eq!(b.class_curve(), vec![(60.0, 0.5), (120.0, 2.0 / 3.0)]);
    }

    #[test]
    fn distributions_count_windows_and_weigh_low_time() {
        let mut b = ClassBoard::new(T0);
        for (i, a) in [0.9, 0.3, 0.5, 0.05].iter().enumerate() {
            b.apply(&att(report("a", 0, 60, i as u64, *a)));
        }
        let mut partial = report("a", 0, 60, 4, 0.0);
        partial.window_end = partial.window_start + 30 * NS;
        partial.unix_end_ms = partial.unix_start_ms + 30_000;
        partial.complete = false;
        b.apply(&att(partial));
        let d = b.viewer_distribution(&b.viewers["a"]);
        assert_eq!(d.windows, 5);
        assert_eq!(d.histogram, [2, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
        // Low (threshold 0.5, `<`): 0.3, 0.05 and the 30 s partial = 150 s of 270 s.
        assert!((d.low_share.unwrap() - 150.0 / 270.0).abs() < 1e-9);
        assert!((d.mean.unwrap() - 1.75 / 5.0).abs() < 1e-9);
        assert_eq!(b.class_distribution(), d);
        assert_eq!(Distribution::of(&[]).low_share, None);
    }

    #[test]
    fn messages_without_wall_clock_fall_back_to_the_viewers_start() {
        let mut b = ClassBoard::default();
        let mut r = report("a", 30, 10, 2, 1.0);
        r.window_start += 7 * NS;
        r.window_end += 7 * NS;
        r.unix_start_ms = 0;
        r.unix_end_ms = 0;
        b.apply(&att(r));
        assert_eq!(b.viewer_curve(&b.viewers["a"]), vec![(30.0, 1.0)]);
    }
}
