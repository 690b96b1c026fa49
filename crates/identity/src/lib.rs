//! Fabric-style membership for strongroom (work in progress).
