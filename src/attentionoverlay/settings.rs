//! The element's property values and their defaults (GStreamer-free: `imp.rs` maps them to
//! and from properties).

use std::path::PathBuf;

use super::{OverlayMode, PanelPosition};
use crate::attention::paint;
use crate::attention::panel::Placement;
use crate::attention::presenter::LessonFiles;

pub const DEFAULT_DRAW: bool = true;
pub const DEFAULT_LESSON_LENGTH: f64 = 2400.0;
pub const DEFAULT_PANEL_SCALE: f64 = 1.0;
pub const DEFAULT_PANEL_OPACITY: f64 = 0.7;

#[derive(Debug, Clone)]
pub struct Settings {
    pub subscribe: Option<String>,
    pub course: Option<String>,
    pub history_location: Option<String>,
    pub report_location: Option<String>,
    pub font: String,
    pub draw: bool,
    pub mode: OverlayMode,
    pub lesson_length: f64,
    pub panel_scale: f64,
    pub panel_position: PanelPosition,
    pub panel_opacity: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            subscribe: None,
            course: None,
            history_location: None,
            report_location: None,
            font: paint::DEFAULT_FONT.into(),
            draw: DEFAULT_DRAW,
            mode: OverlayMode::default(),
            lesson_length: DEFAULT_LESSON_LENGTH,
            panel_scale: DEFAULT_PANEL_SCALE,
            panel_position: PanelPosition::default(),
            panel_opacity: DEFAULT_PANEL_OPACITY,
        }
    }
}

impl Settings {
    pub fn placement(&self) -> Placement {
        Placement {
            scale: self.panel_scale as f32,
            corner: self.panel_position.into(),
            opacity: self.panel_opacity as f32,
        }
    }
}

impl Settings {
    /// Where a finished lesson's report and history record go.
    pub fn lesson_files(&self) -> LessonFiles {
        LessonFiles {
            report: self.report_location.as_ref().map(PathBuf::from),
            history: self.history_location.as_ref().map(PathBuf::from),
        }
    }
}
