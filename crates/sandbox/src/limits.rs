//! The resources a run may use.

use serde::{Deserialize, Serialize};

use crate::SandboxError;

/// Fuel and memory for one run of an algorithm. Every WebAssembly instruction costs
/// fuel; memory counts the module's linear memory.
///
/// ```
/// use strongroom_sandbox::Limits;
///
/// let limits = Limits::default();
/// assert_eq!(limits.fuel(), Limits::DEFAULT_FUEL);
/// assert!(Limits::new(0, Limits::DEFAULT_MEMORY_BYTES).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawLimits", into = "RawLimits")]
pub struct Limits {
    fuel: u64,
    memory_bytes: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    fuel: u64,
    memory_bytes: u64,
}

impl Limits {
    /// Fuel when the task sets none: ten billion instructions.
    pub const DEFAULT_FUEL: u64 = 10_000_000_000;
    /// The most fuel a task may give.
    pub const MAX_FUEL: u64 = 1_000_000_000_000;
    /// Memory when the task sets none: 256 MiB.
    pub const DEFAULT_MEMORY_BYTES: u64 = 256 << 20;
    /// The least memory a task may set: 1 MiB.
    pub const MIN_MEMORY_BYTES: u64 = 1 << 20;
    /// The most memory a task may set: 4 GiB, all a 32-bit module can address.
    pub const MAX_MEMORY_BYTES: u64 = 4 << 30;

    /// Limits of `fuel` (1 ..= [`Self::MAX_FUEL`]) and `memory_bytes`
    /// ([`Self::MIN_MEMORY_BYTES`] ..= [`Self::MAX_MEMORY_BYTES`]).
    pub fn new(fuel: u64, memory_bytes: u64) -> Result<Self, SandboxError> {
        if !(1..=Self::MAX_FUEL).contains(&fuel) {
            return Err(SandboxError::BadLimit {
                name: "fuel",
                reason: format!("{fuel} is outside 1 ..= {}", Self::MAX_FUEL),
            });
        }
        if !(Self::MIN_MEMORY_BYTES..=Self::MAX_MEMORY_BYTES).contains(&memory_bytes) {
            return Err(SandboxError::BadLimit {
                name: "memory_bytes",
                reason: format!(
                    "{memory_bytes} is outside {} ..= {}",
                    Self::MIN_MEMORY_BYTES,
                    Self::MAX_MEMORY_BYTES
                ),
            });
        }
        Ok(Self { fuel, memory_bytes })
    }

    /// The fuel a run starts with.
    pub fn fuel(&self) -> u64 {
        self.fuel
    }

    /// The most linear memory the module may have, in bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.memory_bytes
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: Self::DEFAULT_FUEL,
            memory_bytes: Self::DEFAULT_MEMORY_BYTES,
        }
    }
}

impl TryFrom<RawLimits> for Limits {
    type Error = SandboxError;
    fn try_from(raw: RawLimits) -> Result<Self, SandboxError> {
        Self::new(raw.fuel, raw.memory_bytes)
    }
}

impl From<Limits> for RawLimits {
    fn from(limits: Limits) -> Self {
        Self {
            fuel: limits.fuel,
            memory_bytes: limits.memory_bytes,
        }
    }
}
