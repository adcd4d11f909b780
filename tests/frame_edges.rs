//! A real face against every frame edge, in padded I420 buffers as decoders hand them over
//! (rows padded to an aligned stride, planes padded to aligned heights): `facedetect !
//! faceocclude` (and `facequality`, `facecrop`) must neither fail nor panic, and
//! `faceocclude` must cover the face wherever the detector found it.

mod common;

use common::*;
use gst_video::prelude::*;
use gstfacekit::{FrameMut, Layout};

/// Stride alignment and extra rows, like avdec_h264's buffers.
const ALIGN: usize = 64;
const EXTRA_ROWS: usize = 16;

/// The astronaut as RGB and her face box, found by facedetect on the whole image.
fn astronaut() -> (usize, usize, Vec<u8>, [f32; 4]) {
    let (w, h, rgb) = rgb_frames(&astronaut_source()).remove(0);
    let faces = detect_rgb(&[(w, h, rgb.clone())], &[]);
    let b = faces[0].faces[0].bbox;
    (w, h, rgb, [b.x, b.y, b.width, b.height])
}

/// A padded I420 buffer of `width` x `height` with the face crop `face` (RGB, `fw` x `fh`)
/// pasted with its top-left corner at (`x`, `y`) (may lie outside), over a grey background.
fn padded_i420(
    width: usize,
    height: usize,
    face: (&[u8], usize, usize),
    at: (i64, i64),
) -> gst::Buffer {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let strides = [
        (width + 1).next_multiple_of(ALIGN),
        (cw + 1).next_multiple_of(ALIGN / 2),
        (cw + 1).next_multiple_of(ALIGN / 2),
    ];
    let rows = [
        height + EXTRA_ROWS,
        ch + EXTRA_ROWS / 2,
        ch + EXTRA_ROWS / 2,
    ];
    let offsets = [
        0,
        strides[0] * rows[0],
        strides[0] * rows[0] + strides[1] * rows[1],
    ];
    let mut data = vec![0u8; offsets[2] + strides[2] * rows[2]];
    {
        let (y, rest) = data.split_at_mut(offsets[1]);
        let (u, v) = rest.split_at_mut(offsets[2] - offsets[1]);
        let mut frame = FrameMut::new(Layout::I420, width, height, [y, u, v], strides).unwrap();
        for yy in 0..height as i64 {
            for xx in 0..width as i64 {
                let g = (96 + (xx * 7 + yy * 13) % 32) as u8;
                frame.put(xx, yy, [g, g, g]);
            }
        }
        let (rgb, fw, fh) = face;
        for fy in 0..fh {
            for fx in 0..fw {
                let p = &rgb[(fy * fw + fx) * 3..][..3];
                frame.put(at.0 + fx as i64, at.1 + fy as i64, [p[0], p[1], p[2]]);
            }
        }
    }
    let mut buf = gst::Buffer::from_mut_slice(data);
    gst_video::VideoMeta::add_full(
        buf.get_mut().unwrap(),
        gst_video::VideoFrameFlags::empty(),
        gst_video::VideoFormat::I420,
        width as u32,
        height as u32,
        &offsets,
        &strides.map(|s| s as i32),
    )
    .unwrap();
    buf
}

/// Luma of a mapped I420 buffer as rows of exactly `width` bytes.
fn luma(buf: &gst::BufferRef, info: &gst_video::VideoInfo) -> Vec<u8> {
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buf, info).unwrap();
    let (w, h) = (info.width() as usize, info.height() as usize);
    let stride = frame.plane_stride()[0] as usize;
    let data = frame.plane_data(0).unwrap();
    (0..h)
        .flat_map(|y| data[y * stride..y * stride + w].iter().copied())
        .collect()
}

/// Where the face crop lands for each edge and corner: the face box crosses the edge by
/// a third of its size, or touches it from outside (only a sliver of margin inside).
fn placements(
    width: usize,
    height: usize,
    face: [f32; 4],
    crop: [usize; 2],
) -> Vec<(&'static str, (i64, i64))> {
    let [fx, fy, fw, fh] = face.map(|v| v as i64);
    let (w, h) = (width as i64, height as i64);
    let (cx, cy) = ((w - fw) / 2 - fx, (h - fh) / 2 - fy);
    let (left, right) = (-fx - fw / 3, w - fx - 2 * fw / 3);
    let (top, bottom) = (-fy - fh / 3, h - fy - 2 * fh / 3);
    vec![
        ("inside", (cx, cy)),
        ("left", (left, cy)),
        ("right", (right, cy)),
        ("top", (cx, top)),
        ("bottom", (cx, bottom)),
        ("bottom-right", (right, bottom)),
        ("top-left", (left, top)),
        ("touching bottom", (cx, h - fy - fh)),
        ("touching right", (w - fx - fw, cy)),
        ("outside", (w + 10, h + 10)),
        ("crop wider than frame", (-(crop[0] as i64) / 4, cy)),
    ]
}

#[test]
fn faces_at_every_edge_of_padded_i420_are_covered_without_error() {
    init();
    let (aw, _ah, rgb, face) = astronaut();
    // A crop of the face with some margin, at two scales so faces fill more of the frame.
    let margin = face[2] * 0.4;
    let (x0, y0) = (
        (face[0] - margin).max(0.0) as usize,
        (face[1] - margin).max(0.0) as usize,
    );
    let (cw, chh) = (
        (face[2] + 2.0 * margin) as usize,
        (face[3] + 2.0 * margin) as usize,
    );
    let mut crop = Vec::with_capacity(cw * chh * 3);
    for y in y0..y0 + chh {
        crop.extend_from_slice(&rgb[(y * aw + x0) * 3..(y * aw + x0 + cw) * 3]);
    }
    let face_in_crop = [face[0] - x0 as f32, face[1] - y0 as f32, face[2], face[3]];

    let mut covered = 0;
    let mut detected_total = 0;
    // Odd and even sizes; the face fills about half and about a third of the height.
    for (width, height) in [(481usize, 271usize), (640, 360), (383, 297)] {
        let caps = gst_video::VideoInfo::builder(
            gst_video::VideoFormat::I420,
            width as u32,
            height as u32,
        )
        .fps(gst::Fraction::new(30, 1))
        .build()
        .unwrap();
        let mut h = gst_check::Harness::new_parse("facedetect ! faceocclude");
        h.set_src_caps(caps.to_caps().unwrap());
        for (i, (name, at)) in placements(width, height, face_in_crop, [cw, chh])
            .into_iter()
            .enumerate()
        {
            let mut input = padded_i420(width, height, (&crop, cw, chh), at);
            input
                .get_mut()
                .unwrap()
                .set_pts(gst::ClockTime::from_mseconds(33 * i as u64));
            let before = luma(&input, &caps);
            let out = h
                .push_and_pull(input)
                .unwrap_or_else(|e| panic!("{width}x{height} {name}: no output ({e:?})"));
            let faces = gstfacekit::read_frame(&out).unwrap();
            assert!(
                faces.marker.as_ref().is_some_and(|m| m.analysed()),
                "{width}x{height} {name}: analysis failed: {:?}",
                faces.marker
            );
            let after = luma(&out, &caps);
            for f in &faces.faces {
                detected_total += 1;
                // The central half of the face box (clipped to the frame) must have changed.
                let b = f.bbox;
                let xa = (b.x + b.width / 4.0).clamp(0.0, width as f32) as usize;
                let xb = (b.x + 3.0 * b.width / 4.0).clamp(0.0, width as f32) as usize;
                let ya = (b.y + b.height / 4.0).clamp(0.0, height as f32) as usize;
                let yb = (b.y + 3.0 * b.height / 4.0).clamp(0.0, height as f32) as usize;
                let (mut n, mut changed) = (0, 0);
                for y in ya..yb {
                    for x in xa..xb {
                        n += 1;
                        let d = before[y * width + x].abs_diff(after[y * width + x]);
                        changed += (d >= 2) as usize;
                    }
                }
                assert!(
                    n == 0 || changed * 3 >= n,
                    "{width}x{height} {name}: face at {b:?} not covered ({changed} of {n} pixels changed)"
                );
                covered += (n > 0) as usize;
            }
        }
    }
    // The test means something only when the detector sees the face in most placements.
    assert!(
        covered >= 12 && detected_total >= 12,
        "too few faces detected to check covering: {detected_total} detected, {covered} checked"
    );
}

#[test]
fn faces_at_the_edges_run_through_facequality_and_facecrop() {
    init();
    let (aw, ah, rgb, face) = astronaut();
    let (width, height) = (333usize, 251usize);
    let caps =
        gst_video::VideoInfo::builder(gst_video::VideoFormat::I420, width as u32, height as u32)
            .fps(gst::Fraction::new(30, 1))
            .build()
            .unwrap();
    for chain in [
        "facedetect ! facequality ! facecrop size=96x96",
        "facedetect ! facecrop size=161x97 ! faceocclude",
        // Head, ears, neck and stickers standing on the head reach past the frame's edges.
        "facedetect ! faceocclude style=sticker sticker-set=bunny priority=ears,neck,head",
        "facedetect ! faceocclude styles=head=pixelate,neck=fill,ears=sticker priority=face,head,ears,neck level=1",
    ] {
        let mut h = gst_check::Harness::new_parse(chain);
        h.set_src_caps(caps.to_caps().unwrap());
        for (i, (name, at)) in placements(width, height, face, [aw, ah])
            .into_iter()
            .enumerate()
        {
            let mut input = padded_i420(width, height, (&rgb, aw, ah), at);
            input
                .get_mut()
                .unwrap()
                .set_pts(gst::ClockTime::from_mseconds(33 * i as u64));
            assert!(h.push_and_pull(input).is_ok(), "{chain}: {name}: no output");
        }
    }
}
