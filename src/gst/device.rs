//! The camera model read from the capture device upstream (`v4l2src`), for when
//! `camera-model` is unset: the GstDevice the device monitor lists for that device node, or
//! the open device's card name.

use std::path::Path;

use gst::prelude::*;

/// Device property keys that name the camera model, best first: udev's product name
/// (`ID_V4L_PRODUCT`, else `ID_MODEL_FROM_DATABASE`, `ID_MODEL_ENC`, `ID_MODEL`, as the
/// v4l2 device provider fills it in), then the V4L2 driver's card name (VIDIOC_QUERYCAP).
pub const MODEL_KEYS: [&str; 2] = ["device.product.name", "v4l2.device.card"];
/// Device property keys holding the device node (v4l2 and PipeWire providers).
const PATH_KEYS: [&str; 2] = ["device.path", "api.v4l2.path"];
/// What reports the model when no GstDevice matches: v4l2src's own `device-name` (the card
/// name of the open device).
pub const SOURCE_DEVICE_NAME: &str = "v4l2src.device-name";

/// The camera model found on the capture device and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceModel {
    pub model: String,
    /// The property it came from ([`MODEL_KEYS`] or [`SOURCE_DEVICE_NAME`]).
    pub key: &'static str,
    /// The device node (`/dev/video0`).
    pub device: String,
}

fn text(s: &gst::StructureRef, key: &str) -> Option<String> {
    s.get::<String>(key)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The camera model a device's properties carry, and the key it was read from.
pub fn model_of(device: &gst::Device) -> Option<(String, &'static str)> {
    let props = device.properties()?;
    MODEL_KEYS
        .iter()
        .find_map(|k| text(&props, k).map(|m| (m, *k)))
}

fn same_node(a: &str, b: &str) -> bool {
    let canonical = |p: &str| std::fs::canonicalize(p).unwrap_or_else(|_| Path::new(p).into());
    a == b || canonical(a) == canonical(b)
}

/// The device among `devices` whose node is `path` (symlinks such as /dev/v4l/by-id/...
/// resolved).
pub fn device_at<'a>(devices: &'a [gst::Device], path: &str) -> Option<&'a gst::Device> {
    devices.iter().find(|d| {
        d.properties().is_some_and(|p| {
            PATH_KEYS
                .iter()
                .any(|k| text(&p, k).is_some_and(|node| same_node(&node, path)))
        })
    })
}

/// The element feeding `pad`, through ghost pads and single-input elements, up to the
/// source; `None` when the chain is not linked (or loops).
fn upstream_source(pad: &gst::Pad) -> Option<gst::Element> {
    let mut pad = pad.clone();
    for _ in 0..64 {
        let mut peer = pad.peer()?;
        // Out of a bin: the peer is a ghost sink pad's internal proxy; go on from the ghost.
        if let Some(ghost) = peer
            .parent()
            .and_then(|p| p.downcast::<gst::GhostPad>().ok())
        {
            pad = ghost.upcast();
            continue;
        }
        // Into a bin: a ghost source pad leads to its target.
        while let Some(ghost) = peer.downcast_ref::<gst::GhostPad>() {
            peer = ghost.target()?;
        }
        let element = peer.parent_element()?;
        match element.sink_pads().into_iter().next() {
            None => return Some(element),
            Some(sink) => pad = sink,
        }
    }
    None
}

/// The capture device upstream of `pad`: a video source element with a `device` property
/// (v4l2src), and its device node. `None` for any other source (files, test sources).
pub fn capture_source(pad: &gst::Pad) -> Option<(gst::Element, String)> {
    let source = upstream_source(pad)?;
    let klass = source
        .factory()
        .and_then(|f| f.metadata(gst::ELEMENT_METADATA_KLASS).map(str::to_string))
        .unwrap_or_default();
    if !(klass.contains("Source") && klass.contains("Video")) {
        return None;
    }
    let prop = source.find_property("device")?;
    if prop.value_type() != String::static_type() {
        return None;
    }
    let path = source.property::<Option<String>>("device")?;
    Some((source, path))
}

/// Video capture devices the device monitor lists now (probing unstarted providers).
fn video_sources() -> Vec<gst::Device> {
    let monitor = gst::DeviceMonitor::new();
    if monitor
        .add_filter(Some("Video/Source"), None::<&gst::Caps>)
        .is_none()
    {
        return Vec::new();
    }
    monitor.devices().into_iter().collect()
}

/// The camera model of the capture device upstream of `pad`: `Ok(None)` when upstream is
/// not a capture device, `Err` (with the device node) when it is but nothing names a model.
pub fn lookup(pad: &gst::Pad) -> Result<Option<DeviceModel>, String> {
    let Some((source, path)) = capture_source(pad) else {
        return Ok(None);
    };
    let devices = video_sources();
    if let Some((model, key)) = device_at(&devices, &path).and_then(model_of) {
        return Ok(Some(DeviceModel {
            model,
            key,
            device: path,
        }));
    }
    let card = source
        .find_property("device-name")
        .filter(|p| p.value_type() == String::static_type())
        .and_then(|_| source.property::<Option<String>>("device-name"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match card {
        Some(model) => Ok(Some(DeviceModel {
            model,
            key: SOURCE_DEVICE_NAME,
            device: path,
        })),
        None => Err(format!(
            "the capture device {path} names no model (no {} among {} listed video devices, and {} is empty)",
            MODEL_KEYS.join(" or "),
            devices.len(),
            SOURCE_DEVICE_NAME
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gst::glib;
    use gst::subclass::prelude::*;

    mod imp {
        use super::*;

        #[derive(Default)]
        pub struct TestCamera;

        #[glib::object_subclass]
        impl ObjectSubclass for TestCamera {
            const NAME: &'static str = "FacekitTestCamera";
            type Type = super::TestCamera;
            type ParentType = gst::Device;
        }
        impl ObjectImpl for TestCamera {}
        impl GstObjectImpl for TestCamera {}
        impl DeviceImpl for TestCamera {}

        #[derive(Default)]
        pub struct TestCameras;

        #[glib::object_subclass]
        impl ObjectSubclass for TestCameras {
            const NAME: &'static str = "FacekitTestCameras";
            type Type = super::TestCameras;
            type ParentType = gst::DeviceProvider;
        }
        impl ObjectImpl for TestCameras {}
        impl GstObjectImpl for TestCameras {}
        impl DeviceProviderImpl for TestCameras {
            fn metadata() -> Option<&'static gst::subclass::DeviceProviderMetadata> {
                static META: std::sync::LazyLock<gst::subclass::DeviceProviderMetadata> =
                    std::sync::LazyLock::new(|| {
                        gst::subclass::DeviceProviderMetadata::new(
                            "facekit test cameras",
                            "Source/Video",
                            "Two cameras for the model lookup test",
                            "facekit developers",
                        )
                    });
                Some(&META)
            }

            fn probe(&self) -> Vec<gst::Device> {
                vec![
                    camera(
                        "USB Camera",
                        &[
                            ("device.path", "/dev/facekit-test-video7"),
                            ("device.product.name", "A100"),
                            ("v4l2.device.card", "UVC Camera (046d:0825)"),
                        ],
                    )
                    .upcast(),
                    camera(
                        "Card only",
                        &[
                            ("api.v4l2.path", "/dev/facekit-test-video8"),
                            ("v4l2.device.card", "B200 card"),
                        ],
                    )
                    .upcast(),
                ]
            }
        }
    }

    glib::wrapper! {
        pub struct TestCamera(ObjectSubclass<imp::TestCamera>) @extends gst::Device, gst::Object;
    }
    glib::wrapper! {
        pub struct TestCameras(ObjectSubclass<imp::TestCameras>) @extends gst::DeviceProvider, gst::Object;
    }

    fn camera(name: &str, props: &[(&str, &str)]) -> TestCamera {
        let mut s = gst::Structure::new_empty("v4l2deviceprovider");
        for (k, v) in props {
            s.set(*k, *v);
        }
        glib::Object::builder()
            .property("display-name", name)
            .property("device-class", "Video/Source")
            .property("caps", gst::Caps::builder("video/x-raw").build())
            .property("properties", s)
            .build()
    }

    #[test]
    fn model_is_read_from_the_product_name_then_the_card() {
        gst::init().unwrap();
        let product = camera(
            "x",
            &[
                ("device.path", "/dev/video0"),
                ("device.product.name", " A100 "),
                ("v4l2.device.card", "card"),
            ],
        );
        assert_eq!(
            model_of(product.upcast_ref()),
            Some(("A100".into(), "device.product.name"))
        );
        let card = camera("x", &[("v4l2.device.card", "B200")]);
        assert_eq!(
            model_of(card.upcast_ref()),
            Some(("B200".into(), "v4l2.device.card"))
        );
        assert_eq!(model_of(camera("x", &[]).upcast_ref()), None);
        let devices: Vec<gst::Device> = vec![card.upcast(), product.upcast()];
        assert_eq!(
            device_at(&devices, "/dev/video0").and_then(model_of),
            Some(("A100".into(), "device.product.name"))
        );
        assert!(device_at(&devices, "/dev/video1").is_none());
    }

    #[test]
    fn v4l2src_upstream_is_looked_up_through_the_device_monitor() {
        gst::init().unwrap();
        gst::DeviceProvider::register(
            None,
            "facekittestcameras",
            gst::Rank::PRIMARY,
            TestCameras::static_type(),
        )
        .unwrap();
        let Ok(v4l2src) = gst::ElementFactory::make("v4l2src").build() else {
            eprintln!("v4l2src missing (gstreamer1.0-plugins-good): skipped");
            return;
        };
        let lookup_for = |device: &str| {
            v4l2src.set_property("device", device);
            let pipeline = gst::Pipeline::new();
            let convert = gst::ElementFactory::make("videoconvert").build().unwrap();
            let end = gst::ElementFactory::make("identity").build().unwrap();
            pipeline.add_many([&v4l2src, &convert, &end]).unwrap();
            gst::Element::link_many([&v4l2src, &convert, &end]).unwrap();
            let found = lookup(&end.static_pad("sink").unwrap());
            pipeline.remove_many([&v4l2src, &convert, &end]).unwrap();
            found
        };
        assert_eq!(
            lookup_for("/dev/facekit-test-video7"),
            Ok(Some(DeviceModel {
                model: "A100".into(),
                key: "device.product.name",
                device: "/dev/facekit-test-video7".into()
            }))
        );
        assert_eq!(
            lookup_for("/dev/facekit-test-video8")
                .unwrap()
                .unwrap()
                .model,
            "B200 card"
        );
        // A device nobody lists and that is not open: no model, and the error says why.
        let e = lookup_for("/dev/facekit-test-video9").unwrap_err();
        assert!(
            e.contains("/dev/facekit-test-video9") && e.contains("device.product.name"),
            "{e}"
        );
        // Not a capture device upstream: no lookup at all.
        let src = gst::ElementFactory::make("videotestsrc").build().unwrap();
        let end = gst::ElementFactory::make("identity").build().unwrap();
        let pipeline = gst::Pipeline::new();
        pipeline.add_many([&src, &end]).unwrap();
        src.link(&end).unwrap();
        assert_eq!(lookup(&end.static_pad("sink").unwrap()), Ok(None));
    }
}
