//! The reminder/alert state machine and the threshold test it uses.

/// When a window's attention is low.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// 0..1.
    pub value: f64,
    /// True: a value exactly at the threshold is low (`<=`); false (default): `<`.
    pub low_at_threshold: bool,
}

impl Threshold {
    pub const fn new(value: f64) -> Self {
        Self {
            value,
            low_at_threshold: false,
        }
    }

    pub fn is_low(&self, attention: f64) -> bool {
        if self.low_at_threshold {
            attention <= self.value
        } else {
            attention < self.value
        }
    }
}

/// Where a viewer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReminderState {
    #[default]
    NotReminded,
    /// One low window: the viewer was reminded.
    Reminded,
    /// Low again (or low once in single-stage mode): the presenter was alerted.
    Alerted,
}

impl ReminderState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotReminded => "not-reminded",
            Self::Reminded => "reminded",
            Self::Alerted => "alerted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "not-reminded" => Some(Self::NotReminded),
            "reminded" => Some(Self::Reminded),
            "alerted" => Some(Self::Alerted),
            _ => None,
        }
    }
}

/// What a window's attention made the state machine say, beside the `attention` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Low while not reminded: remind the viewer; now reminded.
    Reminder,
    /// Low again while reminded or alerted (or low at all in single-stage mode): alert the
    /// presenter; now alerted.
    Alert,
    /// Not low while reminded or alerted: back to not reminded.
    Recovered,
}

/// The machine, per complete window. Two stages (default): low & not reminded → reminder;
/// low & reminded → alert; low & alerted → alert again; not low & reminded/alerted →
/// recovered. Single stage: low & not reminded → alert directly (no viewer reminder).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReminderMachine {
    pub state: ReminderState,
    pub single_stage: bool,
}

impl ReminderMachine {
    pub fn new(single_stage: bool) -> Self {
        Self {
            state: ReminderState::NotReminded,
            single_stage,
        }
    }

    pub fn step(&mut self, attention: f64, threshold: Threshold) -> Option<Transition> {
        use ReminderState::*;
        let low = threshold.is_low(attention);
        let (next, transition) = match (self.state, low) {
            (NotReminded, true) if self.single_stage => (Alerted, Some(Transition::Alert)),
            (NotReminded, true) => (Reminded, Some(Transition::Reminder)),
            (Reminded | Alerted, true) => (Alerted, Some(Transition::Alert)),
            (Reminded | Alerted, false) => (NotReminded, Some(Transition::Recovered)),
            (NotReminded, false) => (NotReminded, None),
        };
        self.state = next;
        transition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALF: Threshold = Threshold::new(0.5);

    #[test]
    fn state_machine_every_transition() {
        let mut m = ReminderMachine::default();
        // not reminded + high: nothing.
        assert_eq!(m.step(0.9, HALF), None);
        assert_eq!(m.state, ReminderState::NotReminded);
        // exactly at the threshold is not low (by default).
        assert_eq!(m.step(0.5, HALF), None);
        // not reminded + low: reminder.
        assert_eq!(m.step(0.49, HALF), Some(Transition::Reminder));
        assert_eq!(m.state, ReminderState::Reminded);
        // reminded + low: alert; alerted + low: alert again.
        assert_eq!(m.step(0.1, HALF), Some(Transition::Alert));
        assert_eq!(m.state, ReminderState::Alerted);
        assert_eq!(m.step(0.0, HALF), Some(Transition::Alert));
        assert_eq!(m.state, ReminderState::Alerted);
        // alerted + at threshold: recovered.
        assert_eq!(m.step(0.5, HALF), Some(Transition::Recovered));
        assert_eq!(m.state, ReminderState::NotReminded);
        // reminder then recovered without an alert.
        assert_eq!(m.step(0.2, HALF), Some(Transition::Reminder));
        assert_eq!(m.step(1.0, HALF), Some(Transition::Recovered));
        // threshold 0 never reminds; threshold 1 reminds below full attention.
        let mut m = ReminderMachine::default();
        assert_eq!(m.step(0.0, Threshold::new(0.0)), None);
        assert_eq!(
            m.step(0.99, Threshold::new(1.0)),
            Some(Transition::Reminder)
        );
        for s in [
            ReminderState::NotReminded,
            ReminderState::Reminded,
            ReminderState::Alerted,
        ] {
            assert_eq!(ReminderState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReminderState::parse("x"), None);
    }

    #[test]
    fn single_stage_alerts_on_the_first_low_window() {
        let mut m = ReminderMachine::new(true);
        assert_eq!(m.step(0.8, HALF), None);
        assert_eq!(m.step(0.2, HALF), Some(Transition::Alert));
        assert_eq!(m.state, ReminderState::Alerted);
        assert_eq!(m.step(0.2, HALF), Some(Transition::Alert));
        assert_eq!(m.step(0.7, HALF), Some(Transition::Recovered));
        assert_eq!(
            m.step(0.1, HALF),
            Some(Transition::Alert),
            "no reminder ever"
        );
    }

    #[test]
    fn a_value_at_the_threshold_is_low_only_when_asked() {
        let inclusive = Threshold {
            value: 0.5,
            low_at_threshold: true,
        };
        assert!(!HALF.is_low(0.5) && HALF.is_low(0.4999));
        assert!(inclusive.is_low(0.5) && !inclusive.is_low(0.5001));
        let mut m = ReminderMachine::default();
        assert_eq!(m.step(0.5, inclusive), Some(Transition::Reminder));
    }
}
