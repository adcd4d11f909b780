//! GStreamer glue shared by the elements: supported formats and frame views.

use gst_video::prelude::*;

use crate::frame::draw::Canvas;
use crate::frame::image::{ImageView, Layout};

/// The layout of a supported raw video format.
pub fn layout_of(format: gst_video::VideoFormat) -> Option<Layout> {
    use gst_video::VideoFormat as F;
    Some(match format {
        F::I420 => Layout::I420,
        F::Nv12 => Layout::Nv12,
        F::Rgb => Layout::RGB,
        F::Bgr => Layout::BGR,
        F::Rgba | F::Rgbx => Layout::RGBA,
        F::Bgra | F::Bgrx => Layout::BGRA,
        F::Argb | F::Xrgb => Layout::ARGB,
        F::Abgr | F::Xbgr => Layout::ABGR,
        _ => return None,
    })
}

/// Raw formats the elements read and write in place.
pub const FORMATS: &[gst_video::VideoFormat] = &[
    gst_video::VideoFormat::I420,
    gst_video::VideoFormat::Nv12,
    gst_video::VideoFormat::Rgb,
    gst_video::VideoFormat::Bgr,
    gst_video::VideoFormat::Rgba,
    gst_video::VideoFormat::Bgra,
    gst_video::VideoFormat::Rgbx,
    gst_video::VideoFormat::Bgrx,
    gst_video::VideoFormat::Argb,
    gst_video::VideoFormat::Abgr,
    gst_video::VideoFormat::Xrgb,
    gst_video::VideoFormat::Xbgr,
];

/// A read-only view of a mapped frame's planes.
pub fn image_view<'a>(
    frame: &'a gst_video::VideoFrameRef<&gst::BufferRef>,
    layout: Layout,
) -> Option<ImageView<'a>> {
    let strides = frame.plane_stride();
    let plane = |i: u32| frame.plane_data(i).ok();
    let (planes, strides): ([&[u8]; 3], [usize; 3]) = match layout {
        Layout::I420 => (
            [plane(0)?, plane(1)?, plane(2)?],
            [
                strides[0] as usize,
                strides[1] as usize,
                strides[2] as usize,
            ],
        ),
        Layout::Nv12 => (
            [plane(0)?, plane(1)?, &[]],
            [strides[0] as usize, strides[1] as usize, 0],
        ),
        Layout::Packed { .. } => ([plane(0)?, &[], &[]], [strides[0] as usize, 0, 0]),
    };
    Some(ImageView {
        width: frame.width() as usize,
        height: frame.height() as usize,
        layout,
        planes,
        strides,
    })
}

/// A drawing canvas over a frame mapped writable.
pub fn canvas<'a>(
    frame: &'a mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
    layout: Layout,
) -> Canvas<'a> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let s = frame.plane_stride();
    let stride = |i: usize| s.get(i).copied().unwrap_or(0).max(0) as usize;
    let strides = [stride(0), stride(1), stride(2)];
    let [p0, p1, p2, _] = frame.planes_data_mut();
    Canvas {
        width,
        height,
        layout,
        planes: [p0, p1, p2],
        strides,
    }
}

/// Always-present `sink` and `src` templates for raw video in [`FORMATS`], any size.
pub fn raw_video_pad_templates() -> Vec<gst::PadTemplate> {
    let caps = gst_video::VideoCapsBuilder::new()
        .format_list(FORMATS.iter().copied())
        .build();
    ["src", "sink"]
        .into_iter()
        .map(|name| {
            let direction = if name == "src" {
                gst::PadDirection::Src
            } else {
                gst::PadDirection::Sink
            };
            gst::PadTemplate::new(name, direction, gst::PadPresence::Always, &caps)
                .expect("valid static pad template")
        })
        .collect()
}

/// GObject only hands an element the properties it installed; should another name ever
/// arrive, log it and answer the spec's default instead of panicking in the element.
pub fn unknown_property(
    element: &impl IsA<gst::Object>,
    pspec: &gst::glib::ParamSpec,
) -> gst::glib::Value {
    gst::error!(
        gst::CAT_RUST,
        obj = element,
        "unknown property '{}'",
        pspec.name()
    );
    pspec.default_value().clone()
}
