//! attention logic, free of GStreamer (not built yet).
