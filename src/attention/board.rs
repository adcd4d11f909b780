//! The presenter's view of the class, built from the viewers' attention messages.

use std::collections::BTreeMap;

use super::NS;
use super::messages::{AttentionEvent, WindowReport};

/// What the presenter knows about one viewer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewerTrack {
    /// Attention of the latest window.
    pub attention: Option<f64>,
    /// Alerted and not yet recovered.
    pub alerted: bool,
    /// (seconds since the viewer's lesson start at the window's end, attention), in order.
    pub curve: Vec<(f64, f64)>,
}

/// Viewers by id, with the class average and the lesson curve.
#[derive(Debug, Clone, Default)]
pub struct ClassBoard {
    pub viewers: BTreeMap<String, ViewerTrack>,
    /// Messages applied (for change detection by the renderer).
    pub revision: u64,
}

fn seconds_since_start(r: &WindowReport) -> f64 {
    // Windows have a fixed length from the viewer's lesson origin; the partial window at EOS
    // is shorter, so the origin comes from its start.
    let len = if r.complete {
        r.window_end.saturating_sub(r.window_start)
    } else {
        0
    };
    let origin = if len > 0 {
        r.window_start.saturating_sub(r.window_index * len)
    } else {
        0
    };
    if len == 0 {
        return (r.window_end as f64) / NS as f64;
    }
    (r.window_end - origin.min(r.window_end)) as f64 / NS as f64
}

impl ClassBoard {
    pub fn apply(&mut self, event: &AttentionEvent) {
        self.revision += 1;
        let track = self
            .viewers
            .entry(event.viewer_id().to_string())
            .or_default();
        match event {
            AttentionEvent::Attention(r) => {
                track.attention = Some(r.attention);
                if r.complete {
                    track.curve.push((seconds_since_start(r), r.attention));
                }
            }
            AttentionEvent::Alert(r) => {
                track.alerted = true;
                track.attention = Some(r.attention);
            }
            AttentionEvent::Recovered(r) => {
                track.alerted = false;
                track.attention = Some(r.attention);
            }
            AttentionEvent::Reminder(_) | AttentionEvent::Stats(_) => {}
        }
    }

    /// Mean of the viewers' latest attention; `None` before any window arrived.
    pub fn class_average(&self) -> Option<f64> {
        let latest: Vec<f64> = self.viewers.values().filter_map(|v| v.attention).collect();
        (!latest.is_empty()).then(|| latest.iter().sum::<f64>() / latest.len() as f64)
    }

    /// Alerted viewers, least attentive first: (id, attention).
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

    /// The class mean per window end (seconds since each viewer's lesson start, to the ms).
    pub fn class_curve(&self) -> Vec<(f64, f64)> {
        let mut sums: BTreeMap<u64, (f64, u32)> = BTreeMap::new();
        for v in self.viewers.values() {
            for &(t, a) in &v.curve {
                let e = sums.entry((t * 1000.0).round() as u64).or_default();
                e.0 += a;
                e.1 += 1;
            }
        }
        sums.into_iter()
            .map(|(ms, (sum, n))| (ms as f64 / 1000.0, sum / n as f64))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::messages::tests::window_report;

    fn report(viewer: &str, index: u64, attention: f64) -> WindowReport {
        WindowReport {
            viewer_id: viewer.into(),
            window_index: index,
            window_start: 7 * NS + index * 10 * NS,
            window_end: 7 * NS + (index + 1) * 10 * NS,
            attention,
            ..window_report()
        }
    }

    #[test]
    fn alerts_recoveries_average_and_curve() {
        let mut b = ClassBoard::default();
        assert_eq!(b.class_average(), None);
        b.apply(&AttentionEvent::Attention(report("a", 0, 1.0)));
        b.apply(&AttentionEvent::Attention(report("b", 0, 0.2)));
        b.apply(&AttentionEvent::Reminder(report("b", 0, 0.2)));
        assert!(b.alerted().is_empty(), "a reminder is for the viewer only");
        b.apply(&AttentionEvent::Attention(report("a", 1, 0.8)));
        b.apply(&AttentionEvent::Attention(report("b", 1, 0.0)));
        b.apply(&AttentionEvent::Alert(report("b", 1, 0.0)));
        b.apply(&AttentionEvent::Attention(report("c", 0, 0.1)));
        b.apply(&AttentionEvent::Alert(report("c", 0, 0.1)));
        assert_eq!(b.alerted(), vec![("b".into(), 0.0), ("c".into(), 0.1)]);
        assert!((b.class_average().unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(
            b.class_curve(),
            vec![(10.0, (1.0 + 0.2 + 0.1) / 3.0), (20.0, 0.4)]
        );
        b.apply(&AttentionEvent::Recovered(report("b", 2, 0.9)));
        assert_eq!(b.alerted(), vec![("c".into(), 0.1)]);
        assert_eq!(b.revision, 9);
        // The partial window at EOS updates the latest value but not the curve.
        let mut partial = report("a", 2, 0.5);
        partial.complete = false;
        b.apply(&AttentionEvent::Attention(partial));
        assert_eq!(b.viewers["a"].attention, Some(0.5));
        assert_eq!(b.viewers["a"].curve.len(), 2);
    }
}
