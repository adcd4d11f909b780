//! quality logic, free of GStreamer (not built yet).
