//! Platform presets.
