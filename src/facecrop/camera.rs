//! Target sizes and the camera table: per camera model or capture resolution, from a file
//! or an `http://` config service.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// A frame or target size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// Smallest target side: below this a crop holds no usable face.
pub const MIN_SIDE: u32 = 8;
/// Largest target side accepted.
pub const MAX_SIDE: u32 = 8192;

impl Size {
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// Parses `WIDTHxHEIGHT` (e.g. `60x60`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("size '{text}' is not WIDTHxHEIGHT (e.g. 160x160)");
        let (w, h) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let width: u32 = w.trim().parse().map_err(|_| bad())?;
        let height: u32 = h.trim().parse().map_err(|_| bad())?;
        Self::new(width, height).validated()
    }

    /// Checks the size is within [`MIN_SIDE`]..=[`MAX_SIDE`].
    pub fn validated(self) -> Result<Self, String> {
        if (MIN_SIDE..=MAX_SIDE).contains(&self.width)
            && (MIN_SIDE..=MAX_SIDE).contains(&self.height)
        {
            Ok(self)
        } else {
            Err(format!(
                "size {self} is out of range: each side must be {MIN_SIDE}..{MAX_SIDE} pixels"
            ))
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// Where the target size came from (reported in `facecrop` messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSource {
    /// The `size` property.
    Property,
    /// The camera table entry of `camera-model`.
    CameraModel,
    /// The camera table rule matching the capture resolution.
    Resolution,
    /// `fallback-size`, because the table could not give one.
    Fallback,
}

impl SizeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Property => "property",
            Self::CameraModel => "camera-model",
            Self::Resolution => "resolution",
            Self::Fallback => "fallback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Property,
            Self::CameraModel,
            Self::Resolution,
            Self::Fallback,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One row of a camera table: either a camera model (`type`) or a capture-resolution rule
/// (`min-width` .. `max-height`, each optional and inclusive), and the target size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraEntry {
    #[serde(rename = "type", default)]
    pub model: Option<String>,
    #[serde(deserialize_with = "pixels")]
    pub width: u32,
    #[serde(deserialize_with = "pixels")]
    pub height: u32,
    #[serde(rename = "min-width", default, deserialize_with = "optional_pixels")]
    pub min_width: Option<u32>,
    #[serde(rename = "max-width", default, deserialize_with = "optional_pixels")]
    pub max_width: Option<u32>,
    #[serde(rename = "min-height", default, deserialize_with = "optional_pixels")]
    pub min_height: Option<u32>,
    #[serde(rename = "max-height", default, deserialize_with = "optional_pixels")]
    pub max_height: Option<u32>,
}

/// A pixel count as a calibration tool writes it: a JSON number or a string of digits
/// (`60` or `"60"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Pixels {
    Number(u32),
    Text(String),
}

impl Pixels {
    fn value<E: serde::de::Error>(self) -> Result<u32, E> {
        match self {
            Self::Number(n) => Ok(n),
            Self::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("'{t}' is not a whole number of pixels"))),
        }
    }
}

fn pixels<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Pixels::deserialize(d)
        .map_err(|_| serde::de::Error::custom("expected a whole number of pixels (60 or \"60\")"))?
        .value()
}

fn optional_pixels<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    pixels(d).map(Some)
}

impl CameraEntry {
    fn is_resolution_rule(&self) -> bool {
        self.min_width.is_some()
            || self.max_width.is_some()
            || self.min_height.is_some()
            || self.max_height.is_some()
    }

    fn matches_resolution(&self, capture: Size) -> bool {
        let within = |v: u32, lo: Option<u32>, hi: Option<u32>| {
            lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi)
        };
        self.is_resolution_rule()
            && within(capture.width, self.min_width, self.max_width)
            && within(capture.height, self.min_height, self.max_height)
    }

    fn describe(&self) -> String {
        match &self.model {
            Some(m) => format!("entry '{m}'"),
            None => format!(
                "rule {}..{} x {}..{}",
                self.min_width.map_or("*".into(), |v| v.to_string()),
                self.max_width.map_or("*".into(), |v| v.to_string()),
                self.min_height.map_or("*".into(), |v| v.to_string()),
                self.max_height.map_or("*".into(), |v| v.to_string()),
            ),
        }
    }
}

/// Why the camera table gave no size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The file could not be read.
    File { path: String, error: String },
    /// The service answered with an HTTP error status.
    HttpStatus { url: String, status: u16 },
    /// The service did not answer within the timeout.
    Timeout { url: String, millis: u64 },
    /// The service could not be reached.
    Unreachable { url: String, error: String },
    /// `https://` was asked for, but the plugin has no TLS stack.
    HttpsUnsupported { url: String },
    /// The table is not valid JSON of the documented shape.
    Malformed { location: String, error: String },
    /// `camera-model` is not in the table.
    UnknownModel { model: String, known: Vec<String> },
    /// No resolution rule matches the capture size.
    NoRule { capture: Size },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, error } => {
                write!(f, "cannot read camera table file '{path}': {error}")
            }
            Self::HttpStatus { url, status } => write!(
                f,
                "camera config service {url} answered HTTP {status}; check config-location"
            ),
            Self::Timeout { url, millis } => write!(
                f,
                "camera config service {url} did not answer within {millis} ms (config-timeout)"
            ),
            Self::Unreachable { url, error } => {
                write!(f, "camera config service {url} is unreachable: {error}")
            }
            Self::HttpsUnsupported { url } => write!(
                f,
                "{url}: https is not supported by this build (no TLS stack); serve the table over http on a trusted network, behind a local TLS proxy, or from a file"
            ),
            Self::Malformed { location, error } => write!(
                f,
                "malformed camera table from {location}: {error}; expected a JSON list (or {{\"cameras\": [...]}}, or one record) of {{\"type\": \"A100\", \"width\": 60, \"height\": 60}} entries (numbers or strings of digits) or {{\"min-width\"/\"max-width\"/\"min-height\"/\"max-height\", \"width\", \"height\"}} rules"
            ),
            Self::UnknownModel { model, known } => write!(
                f,
                "camera model '{model}' is not in the camera table (models: {}); fix camera-model or add an entry, or set fallback-size",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Self::NoRule { capture } => write!(
                f,
                "no camera table rule matches the capture resolution {capture}; add a resolution rule, set camera-model or size, or set fallback-size"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The camera table: model entries and capture-resolution rules, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CameraTable {
    pub entries: Vec<CameraEntry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TableDocument {
    List(Vec<CameraEntry>),
    Object {
        cameras: Vec<CameraEntry>,
    },
    /// One record, as a config service answers `?model=...`.
    One(CameraEntry),
}

impl CameraTable {
    /// Parses a table: a JSON list of entries or `{"cameras": [...]}`. `location` names the
    /// source in errors.
    pub fn parse(json: &str, location: &str) -> Result<Self, ConfigError> {
        let malformed = |error: String| ConfigError::Malformed {
            location: location.to_string(),
            error,
        };
        let entries = match serde_json::from_str::<serde_json::Value>(json) {
            Err(e) => return Err(malformed(e.to_string())),
            Ok(value) => match serde_json::from_value::<TableDocument>(value.clone()) {
                Ok(TableDocument::List(e) | TableDocument::Object { cameras: e }) => e,
                Ok(TableDocument::One(e)) => vec![e],
                // Untagged enums hide the real cause: parse the likely shape again for it.
                Err(_) => {
                    let cause = if value.get("width").is_some() || value.get("type").is_some() {
                        serde_json::from_value::<CameraEntry>(value).err()
                    } else {
                        let list = value.get("cameras").cloned().unwrap_or(value);
                        serde_json::from_value::<Vec<CameraEntry>>(list).err()
                    };
                    return Err(malformed(
                        cause.map_or("not a list of entries".into(), |e| e.to_string()),
                    ));
                }
            },
        };
        for entry in &entries {
            Size::new(entry.width, entry.height)
                .validated()
                .map_err(|e| malformed(format!("{}: {e}", entry.describe())))?;
            if entry.model.is_none() && !entry.is_resolution_rule() {
                return Err(malformed(format!(
                    "an entry ({}x{}) has neither \"type\" nor a resolution range",
                    entry.width, entry.height
                )));
            }
            let inverted =
                |lo: Option<u32>, hi: Option<u32>| lo.zip(hi).is_some_and(|(l, h)| l > h);
            if inverted(entry.min_width, entry.max_width)
                || inverted(entry.min_height, entry.max_height)
            {
                return Err(malformed(format!("{} has min > max", entry.describe())));
            }
        }
        Ok(Self { entries })
    }

    /// The target size of camera `model` (exact, case-sensitive match of `type`).
    pub fn for_model(&self, model: &str) -> Result<Size, ConfigError> {
        self.entries
            .iter()
            .find(|e| e.model.as_deref() == Some(model))
            .map(|e| Size::new(e.width, e.height))
            .ok_or_else(|| ConfigError::UnknownModel {
                model: model.to_string(),
                known: self
                    .entries
                    .iter()
                    .filter_map(|e| e.model.clone())
                    .collect(),
            })
    }

    /// The target size of the first resolution rule containing `capture`.
    pub fn for_resolution(&self, capture: Size) -> Result<Size, ConfigError> {
        self.entries
            .iter()
            .find(|e| e.matches_resolution(capture))
            .map(|e| Size::new(e.width, e.height))
            .ok_or(ConfigError::NoRule { capture })
    }
}

/// The URL asked for: `location` with the camera model added as the `model` query parameter.
pub fn config_url(location: &str, model: Option<&str>) -> String {
    let Some(model) = model else {
        return location.to_string();
    };
    let mut encoded = String::new();
    for b in model.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(b as char)
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}model={encoded}")
}

/// Loads the camera table from a file path (or `file://` URL) or an `http://` service, which
/// is asked with the camera model in the query (see [`config_url`]). Blocks up to `timeout`.
pub fn load_table(
    location: &str,
    model: Option<&str>,
    timeout: Duration,
) -> Result<CameraTable, ConfigError> {
    if location.starts_with("https://") {
        return Err(ConfigError::HttpsUnsupported {
            url: location.to_string(),
        });
    }
    if location.starts_with("http://") {
        let url = config_url(location, model);
        let agent = ureq::AgentBuilder::new().timeout(timeout).build();
        let started = Instant::now();
        let body = match agent.get(&url).call() {
            Ok(response) => response.into_string().map_err(|e| {
                if started.elapsed() >= timeout {
                    ConfigError::Timeout {
                        url: url.clone(),
                        millis: timeout.as_millis() as u64,
                    }
                } else {
                    ConfigError::Unreachable {
                        url: url.clone(),
                        error: e.to_string(),
                    }
                }
            })?,
            Err(ureq::Error::Status(status, _)) => {
                return Err(ConfigError::HttpStatus { url, status });
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(if started.elapsed() >= timeout {
                    ConfigError::Timeout {
                        url,
                        millis: timeout.as_millis() as u64,
                    }
                } else {
                    ConfigError::Unreachable {
                        url,
                        error: t.to_string(),
                    }
                });
            }
        };
        return CameraTable::parse(&body, &url);
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_string(),
        error: e.to_string(),
    })?;
    CameraTable::parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_parsing() {
        assert_eq!(Size::parse("60x60"), Ok(Size::new(60, 60)));
        assert_eq!(Size::parse(" 160 X 120 "), Ok(Size::new(160, 120)));
        assert!(Size::parse("60").unwrap_err().contains("WIDTHxHEIGHT"));
        assert!(Size::parse("ax5").is_err());
        assert!(Size::parse("4x60").unwrap_err().contains("out of range"));
    }

    const TABLE: &str = r#"[
        {"type": "A100", "width": 60, "height": 60},
        {"type": "B200", "width": 160, "height": 120},
        {"max-width": 640, "width": 80, "height": 80},
        {"min-width": 641, "max-height": 1080, "width": 160, "height": 160}
    ]"#;

    #[test]
    fn table_models_and_rules() {
        let t = CameraTable::parse(TABLE, "t.json").unwrap();
        assert_eq!(t.for_model("A100"), Ok(Size::new(60, 60)));
        assert_eq!(t.for_model("B200"), Ok(Size::new(160, 120)));
        let err = t.for_model("a100").unwrap_err();
        assert!(
            err.to_string()
                .contains("'a100' is not in the camera table (models: A100, B200)")
        );
        assert_eq!(t.for_resolution(Size::new(640, 480)), Ok(Size::new(80, 80)));
        assert_eq!(
            t.for_resolution(Size::new(1280, 720)),
            Ok(Size::new(160, 160))
        );
        assert_eq!(
            t.for_resolution(Size::new(3840, 2160)),
            Err(ConfigError::NoRule {
                capture: Size::new(3840, 2160)
            })
        );
        // Model entries never act as resolution rules.
        let only_models = CameraTable::parse(
            r#"{"cameras": [{"type": "A100", "width": 60, "height": 60}]}"#,
            "x",
        )
        .unwrap();
        assert!(only_models.for_resolution(Size::new(640, 480)).is_err());
    }

    #[test]
    fn malformed_tables_say_why() {
        let msg = |json: &str| {
            CameraTable::parse(json, "cfg.json")
                .unwrap_err()
                .to_string()
        };
        assert!(msg("{not json").contains("malformed camera table from cfg.json"));
        assert!(msg(r#"[{"type": "A100", "width": 60}]"#).contains("height"));
        assert!(
            msg(r#"[{"type": "A100", "width": 60, "height": 60, "widht": 3}]"#).contains("widht")
        );
        assert!(
            msg(r#"{"cameras": [{"type": "A100", "width": "6o", "height": 60}]}"#)
                .contains("'6o' is not a whole number")
        );
        assert!(msg(r#"[{"width": 60, "height": 60}]"#).contains("neither"));
        assert!(msg(r#"[{"type": "A", "width": 2, "height": 60}]"#).contains("out of range"));
        assert!(
            msg(r#"[{"min-width": 9, "max-width": 3, "width": 60, "height": 60}]"#)
                .contains("min > max")
        );
        assert!(msg("42").contains("not a list") || msg("42").contains("invalid type"));
    }

    #[test]
    fn numbers_as_strings_and_single_records_are_accepted() {
        let t = CameraTable::parse(r#"{"type":"A100","width":"60","height":"60"}"#, "svc").unwrap();
        assert_eq!(t.for_model("A100").unwrap(), Size::new(60, 60));
        let t = CameraTable::parse(
            r#"[{"type":"B2","width":"160","height":120},{"min-width":"1280","width":"96","height":"96"}]"#,
            "f",
        )
        .unwrap();
        assert_eq!(t.for_model("B2").unwrap(), Size::new(160, 120));
        assert_eq!(
            t.for_resolution(Size::new(1920, 1080)).unwrap(),
            Size::new(96, 96)
        );
        for (bad, why) in [
            (r#"{"type":"A100","width":"sixty","height":"60"}"#, "width"),
            (r#"{"type":"A100","width":"60"}"#, "height"),
            (r#"{"type":"A100","width":-5,"height":"60"}"#, "width"),
            (
                r#"{"type":"A100","width":"60","height":"60","depth":1}"#,
                "depth",
            ),
        ] {
            let e = CameraTable::parse(bad, "http://svc/camera-config?model=A100").unwrap_err();
            let text = e.to_string();
            assert!(
                text.contains(why) && text.contains("http://svc"),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn config_url_carries_the_model() {
        assert_eq!(config_url("http://h/c.json", None), "http://h/c.json");
        assert_eq!(
            config_url("http://h/c", Some("A100")),
            "http://h/c?model=A100"
        );
        assert_eq!(
            config_url("http://h/c?v=2", Some("X 1/2")),
            "http://h/c?v=2&model=X%201%2F2"
        );
    }

    #[test]
    fn table_from_file_and_errors() {
        let path = std::env::temp_dir().join(format!("facecrop-unit-{}.json", std::process::id()));
        std::fs::write(&path, TABLE).unwrap();
        let p = path.to_str().unwrap();
        let t = load_table(p, Some("A100"), Duration::from_secs(1)).unwrap();
        assert_eq!(t.for_model("A100"), Ok(Size::new(60, 60)));
        let t = load_table(&format!("file://{p}"), None, Duration::from_secs(1)).unwrap();
        assert_eq!(t.entries.len(), 4);
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            load_table(p, None, Duration::from_secs(1)),
            Err(ConfigError::File { .. })
        ));
        let e = load_table(
            "https://example.invalid/t.json",
            None,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(e.to_string().contains("https is not supported"));
    }

    #[test]
    fn size_source_names_round_trip() {
        for s in [
            SizeSource::Property,
            SizeSource::CameraModel,
            SizeSource::Resolution,
            SizeSource::Fallback,
        ] {
            assert_eq!(SizeSource::parse(s.as_str()), Some(s));
        }
    }
}
