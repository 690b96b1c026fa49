//! The `strongroom` command (work in progress).
fn main() {}
