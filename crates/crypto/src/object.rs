//! object (work in progress)
