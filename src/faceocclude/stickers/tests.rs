//! Unit tests of stickers: built-in sets, the `stickers` property, PNG loading.

use super::*;

#[test]
fn builtin_sets_have_every_region_and_mostly_opaque_centres() {
    for name in StickerSet::BUILTIN {
        let set = StickerSet::builtin(name).unwrap();
        for r in Region::ALL {
            let st = &set
                .get(r)
                .unwrap_or_else(|| panic!("{name} lacks {r:?}"))
                .sticker;
            assert_eq!(st.sample(0.5, 0.55)[3].round(), 255.0, "{name} {r:?}");
            // Corners of round stickers stay transparent.
            assert!(st.sample(0.01, 0.99)[3] < 10.0, "{name} {r:?}");
        }
    }
    assert!(StickerSet::builtin("dog").is_none());
    // The bunny's ears stand on the head: opaque low in the middle of each ear, clear
    // between them at the top.
    let bunny = StickerSet::builtin("bunny").unwrap();
    let ears = &bunny.extras[0];
    assert_eq!(ears.placement.side, StickerSide::Top);
    assert_eq!(ears.placement.anchor, Region::Head);
    assert!(ears.sticker.sample(0.3, 0.5)[3] > 250.0);
    assert!(ears.sticker.sample(0.5, 0.05)[3] < 10.0);
    // The panda covers the face with a whole head.
    let panda = StickerSet::builtin("panda").unwrap();
    assert_eq!(
        panda.get(Region::Face).unwrap().sticker,
        panda.get(Region::Head).unwrap().sticker
    );
}

#[test]
fn spec_options_place_stickers_and_name_bad_entries() {
    let dir = std::env::temp_dir().join(format!("facekit-stickers-opt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("e.png");
    image::RgbaImage::from_pixel(2, 4, image::Rgba([1, 2, 3, 255]))
        .save(&path)
        .unwrap();
    let p = path.display();
    let set = StickerSet::from_spec(&format!(
        "extra={p} anchor=head-top scale=0.8 offset=0:0.25, face={p} anchor=head, neck={p}"
    ))
    .unwrap();
    let extra = set.extras[0].placement;
    assert_eq!((extra.anchor, extra.side), (Region::Head, StickerSide::Top));
    assert_eq!((extra.scale, extra.offset), (0.8, [0.0, 0.25]));
    let face = set.get(Region::Face).unwrap().placement;
    assert_eq!(
        (face.anchor, face.side),
        (Region::Head, StickerSide::Centre)
    );
    assert_eq!(
        set.get(Region::Neck).unwrap().placement,
        StickerPlacement::on(Region::Neck)
    );
    for (spec, says) in [
        (format!("extra={p} anchor=hat-top"), "item 1 'extra="),
        (
            format!("extra={p} anchor=hat-top"),
            "anchor 'hat-top' is not REGION",
        ),
        (format!("face={p}, extra={p} scale=0"), "item 2"),
        (
            format!("extra={p} scale=big"),
            "scale 'big' is not a number",
        ),
        (format!("extra={p} offset=0.2"), "offset '0.2' is not DX:DY"),
        (format!("extra={p} tilt=3"), "unknown option 'tilt'"),
        (
            format!("extra={p} anchor"),
            "option 'anchor' is not NAME=VALUE",
        ),
        ("hat=/x.png".to_string(), "'hat' is not a region"),
    ] {
        let e = StickerSet::from_spec(&spec).unwrap_err();
        assert!(e.contains(says), "{spec}: {e}");
    }
    // PNG extras replace the built-in set's; region PNGs take precedence.
    let bunny = StickerSet::builtin("bunny").unwrap().overlaid_with(&set);
    assert_eq!(bunny.extras.len(), 1);
    assert_eq!(bunny.extras[0].sticker.width, 2);
    assert_eq!(bunny.get(Region::Face).unwrap().sticker.width, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn png_round_trip_and_spec_errors() {
    let dir = std::env::temp_dir().join(format!("facekit-stickers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.png");
    let img = image::RgbaImage::from_fn(4, 2, |x, _| image::Rgba([x as u8 * 60, 0, 0, 255]));
    img.save(&path).unwrap();
    let set = StickerSet::from_spec(&format!("mouth={}", path.display())).unwrap();
    let st = &set.get(Region::Mouth).unwrap().sticker;
    assert_eq!((st.width, st.height), (4, 2));
    assert_eq!(st.rgba[4], 60);
    let e = StickerSet::from_spec("lips=/x.png").unwrap_err();
    assert!(e.contains("'lips' is not a region"), "{e}");
    let e = StickerSet::from_spec(&format!("eyes={}", dir.join("none.png").display())).unwrap_err();
    assert!(e.contains("cannot open sticker"), "{e}");
    std::fs::write(dir.join("bad.png"), b"not a png").unwrap();
    let e = StickerSet::from_spec(&format!("eyes={}", dir.join("bad.png").display())).unwrap_err();
    assert!(e.contains("not a readable PNG"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
