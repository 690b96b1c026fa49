//! The ABI's imports, wrapped in safe functions over slices.
//!
//! On wasm32 these call the host (module `strongroom`); this module holds the SDK's only
//! unsafe code. Elsewhere they call the in-process host of [`crate::testing`], if a test
//! installed one on this thread, and otherwise behave as a host with no inputs, no
//! columns, and nothing to record.

/// How many inputs the task has, as the host reports it.
pub(crate) fn inputs() -> i32 {
    #[cfg(target_arch = "wasm32")]
    return imports::inputs();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::with_host(|host| host.inputs()).unwrap_or(0);
}

/// How many declared columns each row has, as the host reports it.
pub(crate) fn columns() -> i32 {
    #[cfg(target_arch = "wasm32")]
    return imports::columns();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testing::with_host(|host| host.columns()).unwrap_or(0);
}

/// Reads the next batch of `input` into `buf`: the number of bytes written, 0 at the
/// end of the input, or `-m` when the next row needs `m` bytes. At most `i32::MAX`
/// bytes of `buf` are offered.
pub(crate) fn read(input: i32, buf: &mut [u8]) -> i32 {
    let cap = clamp_len(buf.len());
    #[cfg(target_arch = "wasm32")]
    {
        let ptr = buf.as_mut_ptr().expose_provenance() as i32;
        // Safety: `[ptr, ptr + cap)` lies inside `buf` (`cap <= buf.len()`), which this
        // function borrows mutably, so the host writes only into memory nothing else
        // refers to; any bytes are valid `u8`s. The provenance of `buf` is exposed, so
        // the host's writes through the address are visible to Rust.
        unsafe { imports::read(input, ptr, cap) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let offered = buf.get_mut(..cap as usize).unwrap_or_default();
        crate::testing::with_host(|host| host.read(input, offered)).unwrap_or(0)
    }
}

/// Row `row` of the current batch counts toward the group encoded as `group`.
pub(crate) fn contribute(row: i32, group: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    {
        let (ptr, len) = (
            group.as_ptr().expose_provenance() as i32,
            clamp_len(group.len()),
        );
        // Safety: the host only reads `[ptr, ptr + len)`, which lies inside `group`
        // (`len <= group.len()`), borrowed for the whole call.
        unsafe { imports::contribute(row, ptr, len) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with_host(|host| host.contribute(row, group));
}

/// Sets cell `name` of the group encoded as `group` to `value`.
pub(crate) fn emit(group: &[u8], name: &[u8], value: f64) {
    #[cfg(target_arch = "wasm32")]
    {
        let group = (
            group.as_ptr().expose_provenance() as i32,
            clamp_len(group.len()),
        );
        let name = (
            name.as_ptr().expose_provenance() as i32,
            clamp_len(name.len()),
        );
        // Safety: the host only reads `[group.0, group.0 + group.1)` and
        // `[name.0, name.0 + name.1)`, which lie inside the slices `group` and `name`
        // (each length is at most its slice's), borrowed for the whole call.
        unsafe { imports::emit(group.0, group.1, name.0, name.1, value) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with_host(|host| host.emit(group, name, value));
}

/// A length as the ABI's `i32`, never more than `len`.
fn clamp_len(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// The imports themselves, with the types of `docs/formats/algorithm-abi.md`.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod imports {
    #[link(wasm_import_module = "strongroom")]
    unsafe extern "C" {
        /// `inputs: () -> i32`. Takes no pointer, so calling it is safe.
        pub safe fn inputs() -> i32;
        /// `columns: () -> i32`. Takes no pointer, so calling it is safe.
        pub safe fn columns() -> i32;
        /// `read: (input: i32, ptr: i32, cap: i32) -> i32`. Writes up to `cap` bytes
        /// at `ptr`.
        pub fn read(input: i32, ptr: i32, cap: i32) -> i32;
        /// `contribute: (row: i32, group_ptr: i32, group_len: i32)`. Reads the group
        /// at `group_ptr`.
        pub fn contribute(row: i32, group_ptr: i32, group_len: i32);
        /// `emit: (group_ptr: i32, group_len: i32, name_ptr: i32, name_len: i32,
        /// value: f64)`. Reads the group and the name.
        pub fn emit(group_ptr: i32, group_len: i32, name_ptr: i32, name_len: i32, value: f64);
    }
}
