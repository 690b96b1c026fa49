//! The strongroom node: wiring of consensus, the enclave core and storage. So far it
//! holds the bridge between consensus and the enclave ([`EnclaveApplier`],
//! [`EnclaveSigner`]); the HTTPS API, configuration and lifecycle come with the node
//! issue.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod enclave_bridge;

pub use enclave_bridge::{EnclaveApplier, EnclaveSigner, SharedEnclave};
