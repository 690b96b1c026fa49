//! hpke (work in progress)
