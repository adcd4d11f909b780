//! Key frame files: the `keyframe-location` template (checked and filled in) and writing a
//! crop as PNG or JPEG.

use std::path::{Path, PathBuf};

use super::crop::RgbCrop;

/// Image file formats for key frames, from the template's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Png,
    Jpeg,
}

/// Checks a `keyframe-location` template: it must name a `.png`, `.jpg` or `.jpeg` file,
/// contain `{track}` and `{time}`, and its folder must exist.
pub fn check_location(template: &str) -> Result<FileFormat, String> {
    const EXAMPLE: &str = "e.g. /var/lib/faces/face-{track}-{time}.png";
    if !template.contains("{track}") || !template.contains("{time}") {
        return Err(format!(
            "keyframe-location '{template}' must contain {{track}} (track id) and {{time}} \
             (running time in ms) so that key frames do not overwrite each other, {EXAMPLE}"
        ));
    }
    let lower = template.to_ascii_lowercase();
    let format = if lower.ends_with(".png") {
        FileFormat::Png
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        FileFormat::Jpeg
    } else {
        return Err(format!(
            "keyframe-location '{template}' must end in .png, .jpg or .jpeg, {EXAMPLE}"
        ));
    };
    let dir = Path::new(template)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!(
            "keyframe-location '{template}': folder '{}' does not exist; create it first",
            dir.display()
        ));
    }
    Ok(format)
}

/// The file name of a key frame: `{track}` and `{time}` (running time, whole ms) filled in.
pub fn keyframe_path(template: &str, track: i32, running_time_ns: u64) -> PathBuf {
    PathBuf::from(
        template
            .replace("{track}", &track.to_string())
            .replace("{time}", &(running_time_ns / 1_000_000).to_string()),
    )
}

/// Writes a crop as PNG or JPEG (quality 92).
pub fn write_crop(path: &Path, crop: &RgbCrop, format: FileFormat) -> Result<(), String> {
    let fail =
        |e: &dyn std::fmt::Display| format!("cannot write key frame {}: {e}", path.display());
    let image = image::RgbImage::from_raw(crop.width as u32, crop.height as u32, crop.rgb.clone())
        .ok_or_else(|| fail(&"crop size does not match its pixels"))?;
    match format {
        FileFormat::Png => image
            .save_with_format(path, image::ImageFormat::Png)
            .map_err(|e| fail(&e)),
        FileFormat::Jpeg => {
            let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
            let mut out = std::io::BufWriter::new(file);
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
                .encode_image(&image)
                .map_err(|e| fail(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::BoundingBox;
    use crate::facequality::crop::crop_rgb;
    use crate::facequality::fixtures::{stripes, view};

    #[test]
    fn location_template_is_checked_and_filled() {
        let dir = std::env::temp_dir();
        let ok = format!("{}/kf-{{track}}-{{time}}.JPG", dir.display());
        assert_eq!(check_location(&ok).unwrap(), FileFormat::Jpeg);
        assert!(
            check_location("/tmp/kf.png")
                .unwrap_err()
                .contains("{track}")
        );
        assert!(
            check_location("/tmp/kf-{track}-{time}.bmp")
                .unwrap_err()
                .contains(".png")
        );
        assert!(
            check_location("/nonexistent-dir/kf-{track}-{time}.png")
                .unwrap_err()
                .contains("does not exist")
        );
        assert_eq!(
            keyframe_path("/x/f-{track}-{time}.png", 3, 2_040_000_000),
            PathBuf::from("/x/f-3-2040.png")
        );
    }

    #[test]
    fn crop_written_as_png_and_jpeg_decodes() {
        let data = stripes(20, 10, 2, 60.0);
        let crop = crop_rgb(
            &view(&data, 20, 10),
            &BoundingBox::new(0.0, 0.0, 20.0, 10.0),
            0.0,
        )
        .unwrap();
        for (ext, format) in [("png", FileFormat::Png), ("jpg", FileFormat::Jpeg)] {
            let path = std::env::temp_dir()
                .join(format!("facekit-quality-unit-{}.{ext}", std::process::id()));
            write_crop(&path, &crop, format).unwrap();
            let back = image::open(&path).unwrap().to_rgb8();
            assert_eq!(back.dimensions(), (20, 10));
            if format == FileFormat::Png {
                assert_eq!(back.into_raw(), crop.rgb);
            }
            let _ = std::fs::remove_file(path);
        }
    }
}
