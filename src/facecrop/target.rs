//! The target size: `size`, else the camera table (by camera model, or by capture
//! resolution), else `fallback-size`; and the camera model the table is asked for.

use std::time::Duration;

use super::camera::{self, CameraTable, ConfigError, Size, SizeSource};
use super::settings::Settings;

/// The camera model in effect and where it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraModel {
    /// None: no model (the table's resolution rules decide).
    pub name: Option<String>,
    /// `property`, a device property key (`device.product.name`, ...) or `none`.
    pub source: &'static str,
    /// The capture device it was read from.
    pub device: Option<String>,
}

impl CameraModel {
    pub fn read_from_device(&self) -> bool {
        self.device.is_some()
    }
}

/// What the target size is chosen from, as `start()` found it.
#[derive(Debug, Default)]
pub struct Targets {
    /// The camera model: `camera-model`, or read from the capture device upstream.
    pub camera: CameraModel,
    /// The camera table, when config-location is set and it loaded.
    pub table: Option<CameraTable>,
    /// Why the table did not load (start() already failed unless size or fallback-size is set).
    pub table_error: Option<ConfigError>,
}

/// Why a stream cannot start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    /// A property is not a size, or no target size can come from the settings.
    Settings(String),
    /// The camera table did not load and neither `size` nor `fallback-size` stands in.
    Table(ConfigError),
}

impl Targets {
    /// The targets a stream starts with: the camera table from `config-location` when set.
    /// A table that did not load is fatal unless `size` or `fallback-size` stands in (it
    /// stays in `table_error`). Errors that do not depend on the capture size come now,
    /// not at the first buffer.
    pub fn start(
        settings: &Settings,
        camera: impl FnOnce() -> CameraModel,
    ) -> Result<Self, StartError> {
        for (name, value) in [
            ("size", &settings.size),
            ("fallback-size", &settings.fallback_size),
        ] {
            if let Some(Err(e)) = value.as_deref().map(Size::parse) {
                return Err(StartError::Settings(format!("property {name}: {e}")));
            }
        }
        let camera = camera();
        let targets = match &settings.config_location {
            None => Self {
                camera,
                ..Self::default()
            },
            Some(location) => {
                let timeout = Duration::from_millis(settings.config_timeout_ms as u64);
                Self::load(camera, location, timeout)
            }
        };
        if let Some(e) = &targets.table_error
            && settings.fallback_size.is_none()
            && settings.size.is_none()
        {
            return Err(StartError::Table(e.clone()));
        }
        targets
            .resolve(settings, None)
            .map_err(StartError::Settings)?;
        Ok(targets)
    }

    /// Loads the camera table from `location` for `camera`; `table_error` says why it did
    /// not load. A service that does not know a model read from the device is asked again
    /// for its full table (the resolution rules still apply).
    pub fn load(camera: CameraModel, location: &str, timeout: Duration) -> Self {
        let mut loaded = camera::load_table(location, camera.name.as_deref(), timeout);
        if camera.read_from_device()
            && matches!(loaded, Err(ConfigError::HttpStatus { status: 404, .. }))
        {
            loaded = camera::load_table(location, None, timeout);
        }
        let (table, table_error) = match loaded {
            Ok(table) => (Some(table), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            camera,
            table,
            table_error,
        }
    }

    /// Where the size came from, when `target` is the size a `capture` gets; else why not
    /// (the caps downstream chose did not follow `transform_caps`).
    pub fn check(
        &self,
        settings: &Settings,
        capture: Size,
        target: Size,
    ) -> Result<SizeSource, String> {
        let resolved = self.resolve(settings, Some(capture)).ok().flatten();
        let Some((expected, source)) = resolved else {
            return Err(format!("no target size for {capture}"));
        };
        if expected != target {
            return Err(format!(
                "downstream gave {target}, the target is {expected}"
            ));
        }
        Ok(source)
    }

    /// The target size and where it came from, or the user-facing reason there is none.
    /// `capture` is the input size when known (needed by resolution rules); `Ok(None)`
    /// until it is.
    pub fn resolve(
        &self,
        settings: &Settings,
        capture: Option<Size>,
    ) -> Result<Option<(Size, SizeSource)>, String> {
        if let Some(size) = &settings.size {
            return Size::parse(size)
                .map(|s| Some((s, SizeSource::Property)))
                .map_err(|e| format!("property size: {e}"));
        }
        let fallback = || -> Result<Option<Size>, String> {
            settings
                .fallback_size
                .as_deref()
                .map(|f| Size::parse(f).map_err(|e| format!("property fallback-size: {e}")))
                .transpose()
        };
        let from_table = match (&self.table, &self.table_error) {
            (Some(table), _) => match (&self.camera.name, capture) {
                // A model read from the device that the table does not list: the resolution
                // rules still apply (the user did not ask for that model).
                (Some(model), Some(capture)) if self.camera.read_from_device() => table
                    .for_model(model)
                    .map(|s| (s, SizeSource::CameraModel))
                    .or_else(|_| {
                        table
                            .for_resolution(capture)
                            .map(|s| (s, SizeSource::Resolution))
                    }),
                (Some(model), _) => table.for_model(model).map(|s| (s, SizeSource::CameraModel)),
                (None, Some(capture)) => table
                    .for_resolution(capture)
                    .map(|s| (s, SizeSource::Resolution)),
                // Resolution rules need the capture size; not known yet.
                (None, None) => return Ok(None),
            },
            (None, Some(e)) => Err(e.clone()),
            (None, None) => {
                return match fallback()? {
                    Some(s) => Ok(Some((s, SizeSource::Fallback))),
                    None => Err(
                        "no target size: set size=WxH, or config-location (a camera table file or http:// URL) with camera-model, or fallback-size"
                            .into(),
                    ),
                };
            }
        };
        match from_table {
            Ok(found) => Ok(Some(found)),
            Err(e) => match fallback()? {
                Some(s) => Ok(Some((s, SizeSource::Fallback))),
                None => Err(e.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(size: Option<&str>, fallback: Option<&str>) -> Settings {
        Settings {
            size: size.map(Into::into),
            fallback_size: fallback.map(Into::into),
            ..Settings::default()
        }
    }

    #[test]
    fn size_wins_then_fallback_then_a_clear_error() {
        let none = Targets::default();
        assert_eq!(
            none.resolve(&settings(Some("64x48"), Some("32x32")), None),
            Ok(Some((Size::new(64, 48), SizeSource::Property)))
        );
        assert_eq!(
            none.resolve(&settings(None, Some("32x32")), None),
            Ok(Some((Size::new(32, 32), SizeSource::Fallback)))
        );
        let err = none.resolve(&settings(None, None), None).unwrap_err();
        assert!(err.contains("set size=WxH"), "{err}");
        let err = none.resolve(&settings(Some("0x"), None), None).unwrap_err();
        assert!(err.starts_with("property size:"), "{err}");
        let s = settings(Some("64x48"), None);
        let capture = Size::new(640, 480);
        assert_eq!(
            none.check(&s, capture, Size::new(64, 48)),
            Ok(SizeSource::Property)
        );
        let e = none.check(&s, capture, Size::new(32, 32)).unwrap_err();
        assert_eq!(e, "downstream gave 32x32, the target is 64x48");
        let e = none
            .check(&settings(None, None), capture, capture)
            .unwrap_err();
        assert_eq!(e, "no target size for 640x480");
    }

    #[test]
    fn a_stream_starts_only_with_a_size_to_come() {
        let no_camera = CameraModel::default;
        let bad = Targets::start(&settings(Some("0x"), None), no_camera).unwrap_err();
        assert!(
            matches!(&bad, StartError::Settings(e) if e.starts_with("property size:")),
            "{bad:?}"
        );
        let none = Targets::start(&settings(None, None), no_camera).unwrap_err();
        assert!(
            matches!(&none, StartError::Settings(e) if e.contains("set size=WxH")),
            "{none:?}"
        );
        let missing = Settings {
            config_location: Some("/nonexistent/cameras.json".into()),
            ..settings(None, None)
        };
        let e = Targets::start(&missing, no_camera).unwrap_err();
        assert!(
            matches!(e, StartError::Table(ConfigError::File { .. })),
            "{e:?}"
        );
        let standing_in = Settings {
            fallback_size: Some("32x32".into()),
            ..missing
        };
        let t = Targets::start(&standing_in, no_camera).unwrap();
        assert!(t.table_error.is_some());
    }

    #[test]
    fn a_table_that_did_not_load_falls_back_or_says_why() {
        let failed = Targets::load(
            CameraModel::default(),
            "/nonexistent/cameras.toml",
            Duration::from_millis(10),
        );
        let e = failed
            .table_error
            .clone()
            .expect("a missing file does not load");
        assert_eq!(
            failed.resolve(&settings(None, Some("32x32")), None),
            Ok(Some((Size::new(32, 32), SizeSource::Fallback)))
        );
        assert_eq!(
            failed.resolve(&settings(None, None), None),
            Err(e.to_string())
        );
    }
}
