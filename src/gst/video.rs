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

/// The plane strides of a mapped frame (0 for absent planes).
fn strides_of(strides: &[i32]) -> [usize; 3] {
    let stride = |i: usize| strides.get(i).copied().unwrap_or(0).max(0) as usize;
    [stride(0), stride(1), stride(2)]
}

/// A read-only checked view of a mapped frame's planes; `None` when the planes do not hold
/// the frame the caps describe.
pub fn image_view<'a>(
    frame: &'a gst_video::VideoFrameRef<&gst::BufferRef>,
    layout: Layout,
) -> Option<ImageView<'a>> {
    let plane = |i: u32| frame.plane_data(i).unwrap_or(&[]);
    ImageView::new(
        layout,
        frame.width() as usize,
        frame.height() as usize,
        [plane(0), plane(1), plane(2)],
        strides_of(frame.plane_stride()),
    )
    .ok()
}

/// A checked writable view (drawing canvas) over a frame mapped writable; `None` when the
/// planes do not hold the frame the caps describe.
pub fn canvas<'a>(
    frame: &'a mut gst_video::VideoFrameRef<&mut gst::BufferRef>,
    layout: Layout,
) -> Option<Canvas<'a>> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let strides = strides_of(frame.plane_stride());
    let [p0, p1, p2, _] = frame.planes_data_mut();
    Canvas::new(layout, width, height, [p0, p1, p2], strides).ok()
}

/// Maps `buf` writable and hands `draw` a checked canvas over it. `Err` says why the frame
/// cannot be drawn on (the caller warns; the frame passes unchanged).
pub fn draw_on<R>(
    buf: &mut gst::BufferRef,
    info: &gst_video::VideoInfo,
    draw: impl FnOnce(&mut Canvas) -> R,
) -> Result<R, &'static str> {
    let layout = layout_of(info.format()).ok_or("unsupported video format")?;
    let mut frame = gst_video::VideoFrameRef::from_buffer_ref_writable(buf, info)
        .map_err(|_| "cannot map the frame writable for drawing")?;
    let mut canvas =
        canvas(&mut frame, layout).ok_or("frame planes are smaller than the caps say")?;
    Ok(draw(&mut canvas))
}

/// One BGRA picture (`pixels`, `width` x `height`) placed at `x`, `y` as an overlay
/// composition, for sinks that render `GstVideoOverlayCompositionMeta`.
pub fn bgra_composition(
    pixels: Vec<u8>,
    [x, y, width, height]: [u32; 4],
) -> Option<gst_video::VideoOverlayComposition> {
    let mut layer = gst::Buffer::from_mut_slice(pixels);
    gst_video::VideoMeta::add(
        layer.get_mut()?,
        gst_video::VideoFrameFlags::empty(),
        gst_video::VideoFormat::Bgra,
        width,
        height,
    )
    .ok()?;
    let rect = gst_video::VideoOverlayRectangle::new_raw(
        &layer,
        x as i32,
        y as i32,
        width,
        height,
        gst_video::VideoOverlayFormatFlags::empty(),
    );
    gst_video::VideoOverlayComposition::new(Some(&rect)).ok()
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
