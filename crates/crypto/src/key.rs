//! key (work in progress)
