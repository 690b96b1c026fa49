//! The parts of `bad_input_changes_nothing`: one module per kind of refusal, and the
//! fixture they share.

pub(crate) mod edge;
pub(crate) mod fixture;
pub(crate) mod objects;
pub(crate) mod ordered;
