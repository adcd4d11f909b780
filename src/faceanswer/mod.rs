//! `faceanswer`: the capture side of the face-first upload's closed loop. Placed in the
//! upload branch (`... ! rtph264pay ! faceanswer location=mqtt://... ! udpsink`), it passes
//! every buffer through and counts it, subscribes to the face server's answers for this
//! camera on an MQTT broker, posts each person's answer (identity and key image as JPEG) as
//! a `faceanswer-person` message, and at EOS tells the server the upload ended and holds
//! EOS until the server's `done` (or `timeout`), then posts `faceanswer-done`.
//!
//! Core modules (no GStreamer): [`protocol`] (the JSON records on the topics) and
//! [`persons`] (the server's merge of per-track key frames into persons).

use gst::glib;
use gst::prelude::*;

mod imp;
mod message;
pub mod persons;
pub mod protocol;

pub use message::{AnswerDoneMessage, AnswerPersonMessage, DONE_MESSAGE, PERSON_MESSAGE};

glib::wrapper! {
    pub struct FaceAnswer(ObjectSubclass<imp::FaceAnswer>) @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "faceanswer",
        gst::Rank::NONE,
        FaceAnswer::static_type(),
    )
}
