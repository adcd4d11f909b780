//! Statistics of window attention values: summaries and intervals.

use super::messages::Summary;
use super::reminder::Threshold;

/// Histogram bins of attention values over 0..1 (bin i = [i/10, (i+1)/10), 1.0 in the last).
pub const HISTOGRAM_BINS: usize = 10;

/// min/mean/max, distribution and low count of a set of attention values.
pub fn summarize(values: &[f64], threshold: Threshold) -> Summary {
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
        low: values.iter().filter(|v| threshold.is_low(**v)).count() as u32,
    }
}

/// Collects window values into statistics intervals of `interval` ns from `origin`: a window
/// belongs to the interval its end falls in (an end exactly on a boundary closes the earlier one).
#[derive(Debug, Clone)]
pub struct StatsCollector {
    interval: u64,
    /// For the low counts; may change while playing.
    pub threshold: Threshold,
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
    pub fn new(interval: u64, threshold: Threshold) -> Self {
        Self {
            interval: interval.max(1),
            threshold,
            current: 0,
            values: Vec::new(),
            lesson: Vec::new(),
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
            interval: summarize(&values, self.threshold),
            lesson: summarize(&self.lesson, self.threshold),
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
    const S: u64 = super::super::NS;

    #[test]
    fn summary_min_mean_max_and_distribution() {
        let s = summarize(&[0.0, 0.25, 0.5, 1.0, 0.95], Threshold::new(0.5));
        assert_eq!(s.windows, 5);
        assert_eq!(s.min, Some(0.0));
        assert_eq!(s.max, Some(1.0));
        assert!((s.mean.unwrap() - 0.54).abs() < 1e-12);
        assert_eq!(s.histogram, vec![1, 0, 1, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!(s.low, 2, "0.5 is not low at threshold 0.5");
        let inclusive = Threshold {
            value: 0.5,
            low_at_threshold: true,
        };
        assert_eq!(summarize(&[0.0, 0.25, 0.5, 1.0], inclusive).low, 3);
        let empty = summarize(&[], Threshold::new(0.5));
        assert_eq!(
            (empty.windows, empty.min, empty.mean, empty.max),
            (0, None, None, None)
        );
        assert_eq!(empty.histogram.iter().sum::<u32>(), 0);
    }

    #[test]
    fn stats_intervals_group_windows_by_their_end() {
        let mut c = StatsCollector::new(60 * S, Threshold::new(0.5));
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
