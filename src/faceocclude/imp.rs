//! `faceocclude` element: wires properties, caps and buffers to [`crate::faceocclude`].

use std::sync::{Arc, LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;

use super::settings::*;
use super::{LevelMessage, OccludeOnMissing};
use crate::faceocclude::hands::Hands;
use crate::faceocclude::regions::{format_region_list, parse_region_list};
use crate::faceocclude::{
    Behaviour, Coverage, LevelPlan, MIN_STRENGTH, Mask, Planes, Policy, RegionStyles, StickerSet,
    occlude_faces,
};
use crate::frame::image::Layout;
use crate::gst::element::{Analysis, BufferTimes, WarnOnce, post};
use crate::gst::meta;
use crate::gst::video::layout_of;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "faceocclude",
        gst::DebugColorFlags::empty(),
        Some("facekit face occlusion"),
    )
});

/// What applied to the last frame, to post `faceocclude-level` only on changes.
#[derive(Debug, Clone, PartialEq)]
struct Applied {
    level: u32,
    max_level: u32,
    coverage: Coverage,
    from_policy: bool,
}

#[derive(Default)]
struct State {
    info: Option<gst_video::VideoInfo>,
    last: Option<Applied>,
    /// Warnings already given this stream.
    warned: WarnOnce,
}

#[derive(Default)]
pub struct FaceOcclude {
    settings: Mutex<Settings>,
    /// Custom PNG stickers (kept apart so switching the built-in set keeps them).
    custom_stickers: Mutex<StickerSet>,
    behaviour: Mutex<Behaviour>,
    state: Mutex<State>,
    /// The hand models (`show-hands`), loaded on first use.
    hands: Mutex<Hands>,
}

#[glib::object_subclass]
impl ObjectSubclass for FaceOcclude {
    const NAME: &'static str = "GstFacekitFaceOcclude";
    type Type = super::FaceOcclude;
    type ParentType = gst_base::BaseTransform;
}

impl FaceOcclude {
    /// The level plan and whether the policy raised it, for the current settings and counters.
    fn effective_plan(&self, s: &Settings) -> (LevelPlan, bool) {
        let mut plan = LevelPlan {
            priority: s.priority.clone(),
            unlock: s.unlock.clone(),
            level: s.level,
            level_step: s.level_step,
        };
        let mut from_policy = false;
        if !s.policy.is_empty() {
            let decision = s.policy.evaluate(&self.behaviour.lock().unwrap());
            if let Some(l) = decision.level {
                let l = l.min(plan.max_level());
                if l > plan.level {
                    plan.level = l;
                    from_policy = true;
                }
            }
            for r in decision.unlock {
                if !plan.unlock.contains(&r) {
                    plan.unlock.push(r);
                    from_policy = true;
                }
            }
        }
        plan.level = plan.level.min(plan.max_level());
        (plan, from_policy)
    }

    fn warn(&self, text: &str) {
        gst::warning!(CAT, imp = self, "{text}");
        gst::element_imp_warning!(self, gst::LibraryError::Settings, ("{text}"));
    }

    fn post_level(&self, applied: &Applied, buf: &gst::BufferRef) {
        let times = BufferTimes::of(&*self.obj(), buf);
        let msg = LevelMessage::new(
            applied.level,
            applied.max_level,
            &applied.coverage,
            applied.from_policy,
            times,
        );
        post(&*self.obj(), gst::Structure::from(&msg));
    }
}

impl ObjectImpl for FaceOcclude {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecUInt::builder("level")
                    .nick("Level")
                    .blurb("De-occlusion level: 0 covers everything; level k uncovers the first k regions of 'priority' (or, with an empty priority, weakens the whole-face occlusion by k x level-step); max-level and above uncover all. The policy may raise it")
                    .maximum(MAX_LEVEL_PROP)
                    .default_value(DEFAULT_LEVEL)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("max-level")
                    .nick("Maximum level")
                    .blurb("The level that uncovers everything: the number of priority regions, or ceil(1 / level-step) with an empty priority")
                    .maximum(MAX_LEVEL_PROP)
                    .default_value(10)
                    .read_only()
                    .build(),
                glib::ParamSpecString::builder("priority")
                    .nick("Priority")
                    .blurb("Comma-separated regions in the order levels uncover them (face, eyes, brows, nose, mouth, cheeks, forehead, chin, head, ears, neck); a covered 'face' is the rest of the face hull, a covered 'head' the rest of the head (face plus hair). Empty: whole-face mode")
                    .default_value(Some(""))
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("unlock")
                    .nick("Unlock")
                    .blurb("Comma-separated regions uncovered at any level (e.g. bought by the viewer)")
                    .default_value(Some(""))
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("level-step")
                    .nick("Level step")
                    .blurb("Whole-face mode: fraction of the blur / pixelation removed per level")
                    .minimum(0.01)
                    .maximum(1.0)
                    .default_value(DEFAULT_LEVEL_STEP)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("style", DEFAULT_STYLE)
                    .nick("Style")
                    .blurb("How covered regions look (regions named in 'styles' excepted)")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("styles")
                    .nick("Styles per region")
                    .blurb("A style per region, mixed in one rendition: 'eyes=sticker,mouth=blur:40,face=pixelate' (REGION=STYLE[:STRENGTH], strength in percent for blur and pixelate: blur radius or cell size). Regions not named use 'style'. A bad entry is refused with a warning naming it; the previous value stays")
                    .default_value(Some(""))
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("blur-strength")
                    .nick("Blur strength")
                    .blurb("Blur strength in percent: 100 blurs with a radius of 15% of the face width (at least 1: what a level uncovers is shown by the level, not by a blur of 0)")
                    .minimum(MIN_STRENGTH as f64)
                    .maximum(100.0)
                    .default_value(DEFAULT_BLUR_STRENGTH)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("pixelate-blocks")
                    .nick("Pixelate blocks")
                    .blurb("Pixelate style: cells across the face width at full strength")
                    .minimum(2)
                    .maximum(256)
                    .default_value(DEFAULT_PIXELATE_BLOCKS)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecUInt::builder("fill-color")
                    .nick("Fill colour")
                    .blurb("Fill style: colour as 0xAARRGGBB (alpha ignored)")
                    .default_value(DEFAULT_FILL_COLOR)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecDouble::builder("margin")
                    .nick("Margin")
                    .blurb("Every covered region grows by this fraction of the face box width")
                    .minimum(0.0)
                    .maximum(1.0)
                    .default_value(DEFAULT_MARGIN)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("sticker-set", DEFAULT_STICKER_SET)
                    .nick("Sticker set")
                    .blurb("Built-in stickers (drawn by code) for regions without a PNG in 'stickers'")
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("stickers")
                    .nick("Stickers")
                    .blurb("PNG stickers with alpha: 'KEY=PATH.png [anchor=A] [scale=S] [offset=DX:DY],...'. KEY a region (drawn where it is covered: face / head over the whole face / head, others per eye, brow, cheek, ear) or 'extra' (drawn on every stickered face, e.g. ears: 'extra=/p/ears.png anchor=head-top scale=0.6 offset=0:0.2'). anchor REGION (centred, stretched to it, scale times its box) or REGION-top / REGION-bottom (standing on / hanging from it, aspect kept, scale = width in head widths, narrowed as the head turns); offset in fractions of the sticker's size")
                    .default_value(Some(""))
                    .mutable_playing()
                    .build(),
                glib::ParamSpecString::builder("policy")
                    .nick("Policy")
                    .blurb("Behaviour rules raising the level or unlocking regions, e.g. 'likes >= 1 -> level 1; payment >= 5 -> unlock eyes; tips >= 10 -> level max' (grammar in docs/faceocclude.md). A malformed policy is refused with a warning naming line and column; the previous one stays")
                    .default_value(Some(""))
                    .mutable_playing()
                    .build(),
                glib::ParamSpecBoolean::builder("show-hands")
                    .nick("Show hands")
                    .blurb("Keep hands in front of a covered face visible (a signer's fingers): MediaPipe's palm detector and hand landmark model run around each covered face, the fingers (narrower than they are) and the palm show, the face between and around them stays covered. Hands the models are unsure of stay covered")
                    .default_value(DEFAULT_SHOW_HANDS)
                    .mutable_playing()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("on-missing", DEFAULT_ON_MISSING)
                    .nick("On missing analysis")
                    .blurb("Frames facedetect did not analyse or whose analysis failed, while anything is to be covered: blur-frame (fail-closed), drop, or pass (only when chosen)")
                    .mutable_playing()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn signals() -> &'static [glib::subclass::Signal] {
        static SIGNALS: LazyLock<Vec<glib::subclass::Signal>> = LazyLock::new(|| {
            vec![
                glib::subclass::Signal::builder("record-behaviour")
                    .param_types([String::static_type(), f64::static_type()])
                    .return_type::<bool>()
                    .action()
                    .class_handler(|args| {
                        let element = args[0].get::<super::FaceOcclude>().expect("signal arg");
                        let kind = args[1].get::<String>().expect("signal arg");
                        let amount = args[2].get::<f64>().expect("signal arg");
                        let imp = element.imp();
                        let result = imp.behaviour.lock().unwrap().record(&kind, amount);
                        match result {
                            Ok(()) => {
                                gst::debug!(CAT, imp = imp, "behaviour {kind} += {amount}");
                                Some(true.to_value())
                            }
                            Err(e) => {
                                imp.warn(&e);
                                Some(false.to_value())
                            }
                        }
                    })
                    .build(),
                glib::subclass::Signal::builder("reset-behaviour")
                    .action()
                    .class_handler(|args| {
                        let element = args[0].get::<super::FaceOcclude>().expect("signal arg");
                        *element.imp().behaviour.lock().unwrap() = Behaviour::default();
                        None
                    })
                    .build(),
            ]
        });
        SIGNALS.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let text = || {
            value
                .get::<Option<String>>()
                .expect("type checked upstream")
                .unwrap_or_default()
        };
        let mut warning = None;
        {
            let mut s = self.settings.lock().unwrap();
            match pspec.name() {
                "level" => s.level = value.get().expect("type checked upstream"),
                "priority" | "unlock" => match parse_region_list(&text()) {
                    Ok(list) if pspec.name() == "priority" => s.priority = list,
                    Ok(list) => s.unlock = list,
                    Err(e) => warning = Some(format!("{} refused: {e}", pspec.name())),
                },
                "level-step" => s.level_step = value.get().expect("type checked upstream"),
                "style" => s.style = value.get().expect("type checked upstream"),
                "styles" => match RegionStyles::parse(&text()) {
                    Ok(styles) => s.styles = styles,
                    Err(e) => {
                        warning = Some(format!("styles refused, the previous value stays: {e}"))
                    }
                },
                "blur-strength" => s.blur_strength = value.get().expect("type checked upstream"),
                "pixelate-blocks" => {
                    s.pixelate_blocks = value.get().expect("type checked upstream")
                }
                "fill-color" => s.fill_color = value.get().expect("type checked upstream"),
                "margin" => s.margin = value.get().expect("type checked upstream"),
                "sticker-set" => {
                    s.sticker_set = value.get().expect("type checked upstream");
                    let custom = self.custom_stickers.lock().unwrap().clone();
                    s.rebuild_stickers(&custom);
                }
                "stickers" => {
                    let spec = text();
                    match StickerSet::from_spec(&spec) {
                        Ok(custom) => {
                            s.stickers_spec = spec;
                            s.rebuild_stickers(&custom);
                            *self.custom_stickers.lock().unwrap() = custom;
                        }
                        Err(e) => warning = Some(format!("stickers refused: {e}")),
                    }
                }
                "policy" => {
                    let policy = text();
                    match Policy::parse(&policy) {
                        Ok(p) => {
                            s.policy = Arc::new(p);
                            s.policy_text = policy;
                        }
                        Err(e) => {
                            warning = Some(format!("policy refused, the previous one stays: {e}"))
                        }
                    }
                }
                "on-missing" => s.on_missing = value.get().expect("type checked upstream"),
                "show-hands" => s.show_hands = value.get().expect("type checked upstream"),
                _ => {
                    let _ = crate::gst::video::unknown_property(&*self.obj(), pspec);
                }
            }
        }
        if let Some(w) = warning {
            self.warn(&w);
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = self.settings.lock().unwrap();
        match pspec.name() {
            "level" => s.level.to_value(),
            "max-level" => {
                let s = s.clone();
                self.effective_plan(&s).0.max_level().to_value()
            }
            "priority" => format_region_list(&s.priority).to_value(),
            "unlock" => format_region_list(&s.unlock).to_value(),
            "level-step" => s.level_step.to_value(),
            "style" => s.style.to_value(),
            "styles" => s.styles.format().to_value(),
            "blur-strength" => s.blur_strength.to_value(),
            "pixelate-blocks" => s.pixelate_blocks.to_value(),
            "fill-color" => s.fill_color.to_value(),
            "margin" => s.margin.to_value(),
            "sticker-set" => s.sticker_set.to_value(),
            "stickers" => s.stickers_spec.to_value(),
            "policy" => s.policy_text.to_value(),
            "on-missing" => s.on_missing.to_value(),
            "show-hands" => s.show_hands.to_value(),
            _ => crate::gst::video::unknown_property(&*self.obj(), pspec),
        }
    }
}

impl GstObjectImpl for FaceOcclude {}

impl ElementImpl for FaceOcclude {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Face occluder (facekit)",
                "Filter/Effect/Video",
                "Covers faces found by facedetect (whole face or head, or eyes, brows, nose, mouth, cheeks, forehead, chin, ears, neck) with blur, pixelation, a colour or stickers, a style per region if wanted; de-occlusion levels, unlocks and a behaviour policy; fail-closed on frames without analysis",
                "facekit developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> =
            LazyLock::new(crate::gst::video::raw_video_pad_templates);
        TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for FaceOcclude {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = State::default();
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = State::default();
        Ok(())
    }

    fn set_caps(&self, incaps: &gst::Caps, _outcaps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let info = gst_video::VideoInfo::from_caps(incaps)
            .map_err(|_| gst::loggable_error!(CAT, "invalid caps {incaps}"))?;
        if layout_of(info.format()).is_none() {
            return Err(gst::loggable_error!(
                CAT,
                "unsupported format {}",
                info.format()
            ));
        }
        gst::debug!(CAT, imp = self, "caps {incaps}");
        self.state.lock().unwrap().info = Some(info);
        Ok(())
    }

    fn transform_ip(&self, buf: &mut gst::BufferRef) -> Result<gst::FlowSuccess, gst::FlowError> {
        let settings = self.settings.lock().unwrap().clone();
        let (plan, from_policy) = self.effective_plan(&settings);
        let coverage = plan.coverage();
        let applied = Applied {
            level: plan.level,
            max_level: plan.max_level(),
            coverage: coverage.clone(),
            from_policy,
        };
        let (info, changed) = {
            let mut state = self.state.lock().unwrap();
            let Some(info) = state.info.clone() else {
                drop(state);
                gst::element_imp_error!(self, gst::CoreError::Negotiation, ["buffer before caps"]);
                return Err(gst::FlowError::NotNegotiated);
            };
            let changed = state.last.as_ref() != Some(&applied);
            if changed {
                state.last = Some(applied.clone());
            }
            (info, changed)
        };
        let layout = layout_of(info.format()).ok_or(gst::FlowError::NotNegotiated)?;

        // `Err`: the faces are unknown (never analysed, analysis failed, unreadable metadata).
        let frame_faces = match meta::read_frame(buf) {
            Ok(crate::face::FrameFaces {
                marker: Some(marker),
                faces,
            }) if marker.analysed() => Ok((faces, marker)),
            unknown => Err(unknown),
        };

        let mut result = Ok(gst::FlowSuccess::Ok);
        if !coverage.nothing() {
            match frame_faces {
                Ok((_, marker)) if marker.dropped > 0 => {
                    if self.state.lock().unwrap().warned.first("dropped") {
                        gst::element_imp_warning!(
                            self,
                            gst::StreamError::Failed,
                            (
                                "facedetect found {} more faces than its max-faces and left them out; covering such frames whole. Raise facedetect's max-faces",
                                marker.dropped
                            )
                        );
                    }
                    self.with_planes(buf, &info, layout, cover_whole)?;
                }
                Ok((faces, marker)) if !faces.is_empty() => {
                    if marker.detector.starts_with("blazeface")
                        && self.state.lock().unwrap().warned.first("webcam")
                    {
                        gst::element_imp_warning!(
                            self,
                            gst::StreamError::Failed,
                            (
                                "faces come from facedetect's webcam detector ({}), which misses small, far and profile faces: fine for one person facing the camera, not to anonymise everyone in view. For that use pipelines/anonymise.sh (facedetect model=centerface confidence-threshold=0.25 landmarks=false lookahead=3, see docs/faceocclude.md)",
                                marker.detector
                            )
                        );
                    }
                    // Fail closed: should occluding a face ever panic, the frame is handled
                    // as one whose faces are unknown (`on-missing`), never passed as it is.
                    let occluded = self.with_planes(buf, &info, layout, |planes| {
                        let occluded =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                let hands = settings
                                    .show_hands
                                    .then(|| self.hands_mask(planes, &faces))
                                    .flatten();
                                let look = settings.look();
                                occlude_faces(planes, &look, &coverage, &faces, hands.as_ref());
                            }))
                            .is_ok();
                        if !occluded && settings.on_missing == OccludeOnMissing::BlurFrame {
                            cover_whole(planes);
                        }
                        occluded
                    })?;
                    if !occluded {
                        gst::element_imp_warning!(
                            self,
                            gst::StreamError::Failed,
                            (
                                "occluding the faces of a frame failed (a bug, please report it); the frame was handled as on-missing={:?} says",
                                settings.on_missing
                            )
                        );
                        if settings.on_missing == OccludeOnMissing::Drop {
                            result = Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED);
                        }
                    }
                }
                Ok(_) => {}
                Err(unknown) => {
                    let what = match settings.on_missing {
                        OccludeOnMissing::BlurFrame => {
                            "blurring whole frames (on-missing=blur-frame)"
                        }
                        OccludeOnMissing::Drop => "dropping such frames (on-missing=drop)",
                        OccludeOnMissing::Pass => "passing them unchanged (on-missing=pass)",
                    };
                    // Once per cause and stream: the shared "never analysed" text names the fix.
                    let warning = {
                        let warned = &mut self.state.lock().unwrap().warned;
                        match &unknown {
                            Ok(frame) => Analysis::of(frame).warning("faceocclude", what, warned),
                            Err(e) => warned.first("unreadable").then(|| format!("{e}; {what}")),
                        }
                    };
                    if let Some(w) = warning {
                        gst::element_imp_warning!(self, gst::StreamError::Failed, ("{w}"));
                    }
                    match settings.on_missing {
                        OccludeOnMissing::BlurFrame => {
                            self.with_planes(buf, &info, layout, cover_whole)?
                        }
                        OccludeOnMissing::Drop => {
                            result = Ok(gst_base::BASE_TRANSFORM_FLOW_DROPPED)
                        }
                        OccludeOnMissing::Pass => {}
                    }
                }
            }
        }
        if changed {
            self.post_level(&applied, buf);
        }
        result
    }
}

impl FaceOcclude {
    /// The sure hands' pixels around `faces` (`show-hands`); `None` (hands stay covered)
    /// when the models cannot be loaded or run, with one warning.
    fn hands_mask(&self, planes: &Planes, faces: &[crate::face::Face]) -> Option<Mask> {
        let mut hands = self.hands.lock().unwrap_or_else(|e| e.into_inner());
        match hands.keep_mask(&planes.view(), faces) {
            Ok((mask, seen)) => {
                gst::debug!(CAT, imp = self, "hands (palm, presence): {seen:?}");
                Some(mask)
            }
            Err(err) => {
                if self.state.lock().unwrap().warned.first("hands") {
                    gst::element_imp_warning!(
                        self,
                        gst::ResourceError::NotFound,
                        ("show-hands: hands stay covered: {err}")
                    );
                }
                None
            }
        }
    }

    fn with_planes<R>(
        &self,
        buf: &mut gst::BufferRef,
        info: &gst_video::VideoInfo,
        layout: Layout,
        f: impl FnOnce(&mut Planes) -> R,
    ) -> Result<R, gst::FlowError> {
        let Ok(mut frame) = gst_video::VideoFrameRef::from_buffer_ref_writable(buf, info) else {
            gst::element_imp_error!(
                self,
                gst::StreamError::Failed,
                ["cannot map the frame writable"]
            );
            return Err(gst::FlowError::Error);
        };
        let Some(mut planes) = crate::gst::video::canvas(&mut frame, layout).map(Planes::of) else {
            gst::element_imp_error!(
                self,
                gst::StreamError::Format,
                ["frame planes are smaller than the caps say"]
            );
            return Err(gst::FlowError::Error);
        };
        Ok(f(&mut planes))
    }
}
