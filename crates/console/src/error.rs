//! Why a console could not start or serve.

use std::net::SocketAddr;

/// A console could not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The address is not a loopback address: the console acts with the member's key
    /// and serves only the member's own machine.
    #[error("{0} is not a loopback address: the console serves only this machine")]
    NotLoopback(SocketAddr),
    /// Serving failed.
    #[error("the console stopped serving: {0}")]
    Serve(std::io::Error),
    /// The directory for uploads could not be made.
    #[error("cannot make a directory for uploads: {0}")]
    Uploads(std::io::Error),
}
