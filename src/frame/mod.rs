//! Raw video frames without GStreamer: the view of a frame's planes, sampling, colour
//! conversion, polygon scan conversion and drawing.

pub mod color;
pub mod draw;
pub mod image;
pub mod polygon;
pub mod view;

#[cfg(test)]
mod properties;
