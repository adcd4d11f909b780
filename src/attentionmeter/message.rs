//! Bus messages of `attentionmeter`: each [`AttentionEvent`] as a structure with the same
//! field names as its JSON form.

use gst::glib;
use gst::prelude::*;

use crate::attention::messages::AttentionEvent;

fn json_to_value(v: &serde_json::Value, name: &str) -> Option<glib::SendValue> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => b.to_send_value(),
        J::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.to_send_value(),
            (None, Some(i), _) => i.to_send_value(),
            (_, _, Some(f)) => f.to_send_value(),
            _ => return None,
        },
        J::String(s) => s.to_send_value(),
        J::Array(items) => {
            gst::Array::from_values(items.iter().filter_map(|i| json_to_value(i, name)))
                .to_send_value()
        }
        J::Object(fields) => {
            let mut s = gst::Structure::new_empty(name);
            for (k, v) in fields {
                if let Some(v) = json_to_value(v, k) {
                    s.set_value(k.as_str(), v);
                }
            }
            s.to_send_value()
        }
    })
}

fn value_to_json(v: &glib::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    if let Ok(b) = v.get::<bool>() {
        return Ok(J::Bool(b));
    }
    if let Ok(u) = v.get::<u64>() {
        return Ok(J::from(u));
    }
    if let Ok(u) = v.get::<u32>() {
        return Ok(J::from(u));
    }
    if let Ok(i) = v.get::<i64>() {
        return Ok(J::from(i));
    }
    if let Ok(i) = v.get::<i32>() {
        return Ok(J::from(i));
    }
    if let Ok(f) = v.get::<f64>() {
        return serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or_else(|| format!("{f} is not a finite number"));
    }
    if let Ok(s) = v.get::<String>() {
        return Ok(J::String(s));
    }
    if let Ok(a) = v.get::<gst::Array>() {
        return a
            .iter()
            .map(|i| value_to_json(i))
            .collect::<Result<_, _>>()
            .map(J::Array);
    }
    if let Ok(s) = v.get::<gst::Structure>() {
        return structure_fields(&s).map(J::Object);
    }
    Err(format!("unexpected field type {}", v.type_()))
}

fn structure_fields(
    s: &gst::StructureRef,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    s.iter()
        .map(|(k, v)| {
            value_to_json(v)
                .map(|j| (k.to_string(), j))
                .map_err(|e| format!("{k}: {e}"))
        })
        .collect()
}

impl From<&AttentionEvent> for gst::Structure {
    fn from(event: &AttentionEvent) -> Self {
        let mut s = gst::Structure::new_empty(event.name());
        for (k, v) in event.fields() {
            if let Some(v) = json_to_value(&v, &k) {
                s.set_value(k.as_str(), v);
            }
        }
        s
    }
}

impl TryFrom<&gst::StructureRef> for AttentionEvent {
    type Error = crate::face::MetaError;

    fn try_from(s: &gst::StructureRef) -> Result<Self, Self::Error> {
        let fields = structure_fields(s).map_err(crate::face::MetaError)?;
        AttentionEvent::from_fields(s.name(), fields).map_err(crate::face::MetaError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::messages::tests::{stats_report, window_report};

    #[test]
    fn structures_round_trip_with_typed_fields() {
        gst::init().unwrap();
        let alert = AttentionEvent::Alert(window_report());
        let s = gst::Structure::from(&alert);
        assert_eq!(s.name(), "attention-alert");
        assert_eq!(s.get::<String>("viewer-id").unwrap(), "anna");
        assert_eq!(s.get::<f64>("attention").unwrap(), 0.2);
        assert_eq!(s.get::<u64>("gaze").unwrap(), 12);
        assert_eq!(s.get::<u64>("window-end").unwrap(), 240_000_000_000);
        assert_eq!(s.get::<String>("state").unwrap(), "alerted");
        assert_eq!(s.get::<u64>("unix-end-ms").unwrap(), 1_763_760_240_000);
        assert!(s.get::<bool>("complete").unwrap());
        assert_eq!(AttentionEvent::try_from(s.as_ref()).unwrap(), alert);

        let stats = AttentionEvent::Stats(stats_report());
        let s = gst::Structure::from(&stats);
        let interval = s.get::<gst::Structure>("interval").unwrap();
        assert_eq!(interval.get::<f64>("mean").unwrap(), 0.75);
        assert_eq!(interval.get::<gst::Array>("histogram").unwrap().len(), 10);
        assert!(
            s.get::<gst::Structure>("lesson")
                .unwrap()
                .get::<f64>("min")
                .is_err()
        );
        assert!(s.get::<bool>("final").unwrap());
        assert_eq!(AttentionEvent::try_from(s.as_ref()).unwrap(), stats);
        // Through a string (as an application may log and re-read it).
        let text = s.to_string();
        let parsed: gst::Structure = text.parse().unwrap();
        assert_eq!(AttentionEvent::try_from(parsed.as_ref()).unwrap(), stats);

        let other = gst::Structure::builder("attention")
            .field("attention", "x")
            .build();
        assert!(AttentionEvent::try_from(other.as_ref()).is_err());
    }
}
