//! The `faceocclude-level` element message, typed, with its `GstStructure` form.

/// Structure name of the level message.
pub const LEVEL_MESSAGE: &str = "faceocclude-level";

/// Posted when a new effective level / unlock set takes effect, with the first frame it
/// applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelMessage {
    /// Effective level (the `level` property raised by the policy), clamped to `max_level`.
    pub level: u32,
    pub max_level: u32,
    /// Regions covered from this frame on (`face` = the rest of the face).
    pub covered: Vec<String>,
    /// Regions uncovered by `unlock` or by the policy.
    pub unlocked: Vec<String>,
    /// True when the policy raised the level or unlocked regions.
    pub from_policy: bool,
    /// Occlusion strength 0..1 (whole-face mode weakens it per level).
    pub intensity: f64,
    pub timestamp: Option<gst::ClockTime>,
    pub running_time: Option<gst::ClockTime>,
}

impl LevelMessage {
    /// The message for a frame drawn at `level` with `coverage`.
    pub(crate) fn new(
        level: u32,
        max_level: u32,
        coverage: &super::Coverage,
        from_policy: bool,
        times: crate::gst::element::BufferTimes,
    ) -> Self {
        let names =
            |regions: &[super::Region]| regions.iter().map(|r| r.name().to_string()).collect();
        LevelMessage {
            level,
            max_level,
            covered: names(&coverage.covered),
            unlocked: names(&coverage.uncovered),
            from_policy,
            intensity: coverage.intensity,
            timestamp: times.pts,
            running_time: times.running_time,
        }
    }
}

fn list(items: &[String]) -> gst::Array {
    gst::Array::new(items.iter().map(|s| s.as_str()))
}

impl From<&LevelMessage> for gst::Structure {
    fn from(m: &LevelMessage) -> Self {
        gst::Structure::builder(LEVEL_MESSAGE)
            .field("level", m.level)
            .field("max-level", m.max_level)
            .field("covered", list(&m.covered))
            .field("unlocked", list(&m.unlocked))
            .field("from-policy", m.from_policy)
            .field("intensity", m.intensity)
            .field("timestamp", m.timestamp)
            .field("running-time", m.running_time)
            .build()
    }
}

impl TryFrom<&gst::StructureRef> for LevelMessage {
    type Error = String;

    fn try_from(s: &gst::StructureRef) -> Result<Self, String> {
        if s.name() != LEVEL_MESSAGE {
            return Err(format!("not a {LEVEL_MESSAGE} message: {}", s.name()));
        }
        let strings = |name: &str| -> Result<Vec<String>, String> {
            let a = s
                .get::<gst::Array>(name)
                .map_err(|e| format!("{LEVEL_MESSAGE}.{name}: {e}"))?;
            a.iter()
                .map(|v| {
                    v.get::<String>()
                        .map_err(|e| format!("{LEVEL_MESSAGE}.{name}: {e}"))
                })
                .collect()
        };
        let get_err =
            |name: &str, e: gst::structure::GetError<_>| format!("{LEVEL_MESSAGE}.{name}: {e}");
        Ok(Self {
            level: s.get("level").map_err(|e| get_err("level", e))?,
            max_level: s.get("max-level").map_err(|e| get_err("max-level", e))?,
            covered: strings("covered")?,
            unlocked: strings("unlocked")?,
            from_policy: s
                .get("from-policy")
                .map_err(|e| get_err("from-policy", e))?,
            intensity: s.get("intensity").map_err(|e| get_err("intensity", e))?,
            timestamp: s
                .get::<Option<gst::ClockTime>>("timestamp")
                .map_err(|e| get_err("timestamp", e))?,
            running_time: s
                .get::<Option<gst::ClockTime>>("running-time")
                .map_err(|e| get_err("running-time", e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_message_round_trip() {
        gst::init().unwrap();
        let m = LevelMessage {
            level: 2,
            max_level: 8,
            covered: vec!["mouth".into(), "face".into()],
            unlocked: vec!["eyes".into()],
            from_policy: true,
            intensity: 1.0,
            timestamp: Some(gst::ClockTime::from_mseconds(40)),
            running_time: None,
        };
        let s = gst::Structure::from(&m);
        assert_eq!(s.name(), LEVEL_MESSAGE);
        assert_eq!(LevelMessage::try_from(s.as_ref()).unwrap(), m);
        let other = gst::Structure::builder("facedetect").build();
        assert!(LevelMessage::try_from(other.as_ref()).is_err());
    }
}
