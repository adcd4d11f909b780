//! Element messages of `attentionoverlay`.

use std::path::Path;

/// Posted once the subscription to the broker is in place; field `url`.
pub const SUBSCRIBED: &str = "attentionoverlay-subscribed";
/// Posted after a report was written; fields `location` (SVG), `document` (JSON beside it)
/// and `series` (curves drawn).
pub const REPORT: &str = "attentionoverlay-report";

pub fn subscribed(url: &str) -> gst::Structure {
    gst::Structure::builder(SUBSCRIBED)
        .field("url", url)
        .build()
}

pub fn report(location: &Path, document: &Path, series: u32) -> gst::Structure {
    gst::Structure::builder(REPORT)
        .field("location", location.display().to_string())
        .field("document", document.display().to_string())
        .field("series", series)
        .build()
}
