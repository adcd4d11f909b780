//! Without the ONNX Runtime library the element fails in start() naming the path it tried;
//! the plugin itself still loads. Own test binary: the runtime loads once per process.

mod common;

#[test]
fn missing_runtime_is_an_element_error_naming_the_path() {
    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe { std::env::remove_var(gstfacekit::RUNTIME_ENV) };
    common::init();
    assert!(gst::ElementFactory::find("facedetect").is_some());
    let err = common::first_error(
        "videotestsrc num-buffers=1 ! facedetect ort-library=/nonexistent/libonnxruntime.so ! fakesink",
    )
    .expect("an error");
    assert!(err.contains("/nonexistent/libonnxruntime.so"), "{err}");
    assert!(err.contains("setup.sh"), "{err}");
}
