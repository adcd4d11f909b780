//! Faces without GStreamer: the reference face (canonical 468-point mesh).

pub mod reference;
