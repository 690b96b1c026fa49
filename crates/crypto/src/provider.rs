//! provider (work in progress)
