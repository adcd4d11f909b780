//! Shared GStreamer glue: face metadata on buffers, bus messages, caps and video frames,
//! capture devices.

pub mod device;
pub mod element;
pub mod landmarks_meta;
pub mod meta;
pub mod video;
