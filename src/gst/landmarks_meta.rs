//! `GstFacekitLandmarksMeta`: a buffer's face landmarks as Rust values, keyed by the face ROI
//! meta's id, so readers take them without parsing the `landmarks` param's 468 x 3 GValues.
//!
//! A typed `GstMeta` (a Rust [`MetaAPI`] implementation after gstreamer-rs' `custom_meta`
//! example). The ROI metas keep their `landmarks` param for other GStreamer code; this meta
//! is the fast copy `crate::gst::meta` writes beside it and prefers when reading. It has no
//! tags, so it survives every transform, and is copied as is: the points are normalised to
//! the face box, so they stay valid when a scaler transforms the ROI boxes.

use std::fmt;

use gst::prelude::*;

use crate::face::Landmarks;

/// The landmarks of every face of a buffer, by face ROI id.
#[repr(transparent)]
pub struct LandmarksMeta(imp::LandmarksMeta);

// Metas must be Send + Sync; the contents are plain owned data.
unsafe impl Send for LandmarksMeta {}
unsafe impl Sync for LandmarksMeta {}

impl LandmarksMeta {
    /// Adds a meta holding `faces` (ROI id, landmarks) to `buffer`.
    pub fn add(
        buffer: &mut gst::BufferRef,
        faces: Vec<(i32, Landmarks)>,
    ) -> gst::MetaRefMut<'_, Self, gst::meta::Standalone> {
        unsafe {
            let mut params = std::mem::ManuallyDrop::new(imp::Params { faces });
            let meta = gst::ffi::gst_buffer_add_meta(
                buffer.as_mut_ptr(),
                imp::meta_info(),
                &mut *params as *mut imp::Params as gst::glib::ffi::gpointer,
            ) as *mut imp::LandmarksMeta;
            Self::from_mut_ptr(buffer, meta)
        }
    }

    /// The landmarks of the face whose ROI has `id`; `None` when there is none, or more than
    /// one (ids are track ids, unique per frame, unless another producer reused them).
    pub fn get(&self, id: i32) -> Option<&Landmarks> {
        let mut found = self.0.faces.iter().filter(|(i, _)| *i == id);
        match (found.next(), found.next()) {
            (Some((_, lm)), None) => Some(lm),
            _ => None,
        }
    }

    pub fn faces(&self) -> &[(i32, Landmarks)] {
        &self.0.faces
    }

    pub fn faces_mut(&mut self) -> &mut Vec<(i32, Landmarks)> {
        &mut self.0.faces
    }
}

unsafe impl MetaAPI for LandmarksMeta {
    type GstType = imp::LandmarksMeta;

    fn meta_api() -> gst::glib::Type {
        imp::meta_api_type()
    }
}

impl fmt::Debug for LandmarksMeta {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("LandmarksMeta")
            .field("faces", &self.0.faces.len())
            .finish()
    }
}

mod imp {
    use std::ptr;

    use gst::glib;
    use gst::glib::translate::*;

    use crate::face::Landmarks;

    pub(super) struct Params {
        pub faces: Vec<(i32, Landmarks)>,
    }

    #[repr(C)]
    pub struct LandmarksMeta {
        parent: gst::ffi::GstMeta,
        pub(super) faces: Vec<(i32, Landmarks)>,
    }

    pub(super) fn meta_api_type() -> glib::Type {
        static TYPE: std::sync::OnceLock<glib::Type> = std::sync::OnceLock::new();
        *TYPE.get_or_init(|| unsafe {
            let t = glib::Type::from_glib(gst::ffi::gst_meta_api_type_register(
                c"GstFacekitLandmarksMetaAPI".as_ptr() as *const _,
                // No tags: the meta describes faces, not pixels, and survives every transform.
                [ptr::null::<std::os::raw::c_char>()].as_ptr() as *mut *const _,
            ));
            assert_ne!(t, glib::Type::INVALID);
            t
        })
    }

    unsafe extern "C" fn init(
        meta: *mut gst::ffi::GstMeta,
        params: glib::ffi::gpointer,
        _buffer: *mut gst::ffi::GstBuffer,
    ) -> glib::ffi::gboolean {
        assert!(!params.is_null());
        unsafe {
            let meta = &mut *(meta as *mut LandmarksMeta);
            let params = ptr::read(params as *const Params);
            ptr::write(&mut meta.faces, params.faces);
        }
        true.into_glib()
    }

    unsafe extern "C" fn free(meta: *mut gst::ffi::GstMeta, _buffer: *mut gst::ffi::GstBuffer) {
        unsafe {
            let meta = &mut *(meta as *mut LandmarksMeta);
            ptr::drop_in_place(&mut meta.faces);
        }
    }

    unsafe extern "C" fn transform(
        dest: *mut gst::ffi::GstBuffer,
        meta: *mut gst::ffi::GstMeta,
        _buffer: *mut gst::ffi::GstBuffer,
        _type: glib::ffi::GQuark,
        _data: glib::ffi::gpointer,
    ) -> glib::ffi::gboolean {
        unsafe {
            let faces = (*(meta as *const LandmarksMeta)).faces.clone();
            let dest = gst::BufferRef::from_mut_ptr(dest);
            // One per buffer: a copy onto a buffer that has one replaces its faces.
            match dest.meta_mut::<super::LandmarksMeta>() {
                Some(mut existing) => *existing.faces_mut() = faces,
                None => {
                    super::LandmarksMeta::add(dest, faces);
                }
            }
        }
        true.into_glib()
    }

    pub(super) fn meta_info() -> *const gst::ffi::GstMetaInfo {
        struct MetaInfo(ptr::NonNull<gst::ffi::GstMetaInfo>);
        unsafe impl Send for MetaInfo {}
        unsafe impl Sync for MetaInfo {}
        static META_INFO: std::sync::OnceLock<MetaInfo> = std::sync::OnceLock::new();
        META_INFO
            .get_or_init(|| unsafe {
                MetaInfo(
                    ptr::NonNull::new(gst::ffi::gst_meta_register(
                        meta_api_type().into_glib(),
                        c"GstFacekitLandmarksMeta".as_ptr() as *const _,
                        std::mem::size_of::<LandmarksMeta>(),
                        Some(init),
                        Some(free),
                        Some(transform),
                    ) as *mut gst::ffi::GstMetaInfo)
                    .expect("cannot register GstFacekitLandmarksMeta"),
                )
            })
            .0
            .as_ptr()
    }
}
