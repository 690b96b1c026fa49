//! What can go wrong in a step, and which step it was.

use strongroom_client::ClientError;

/// A step failed: the node or the contract refused, a local file is not what the step
/// needs, or the node answered something the step cannot use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The client library failed or the node or the contract refused.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A local file or argument is not what the step needs; nothing was sent for it.
    #[error("{0}")]
    Input(String),
    /// A key the node's evidence bound is unusable.
    #[error(transparent)]
    Crypto(#[from] strongroom_crypto::hpke::HpkeError),
    /// A WebAssembly module does not load in the sandbox.
    #[error(transparent)]
    Sandbox(#[from] strongroom_sandbox::SandboxError),
    /// Reading a local file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The node answered something the step cannot use.
    #[error("{0}")]
    Protocol(String),
    /// What the step was doing when `error` happened.
    #[error("{doing}: {error}")]
    Step {
        /// The step, in words ("cannot register the dataset").
        doing: String,
        /// Why it failed.
        error: Box<FlowError>,
    },
}

/// Names the step a failure happened in.
pub trait Doing<T> {
    /// Wraps an error with what was being done.
    fn doing(self, doing: &str) -> Result<T, FlowError>;
    /// Wraps an error with what was being done, worded only on failure.
    fn doing_with(self, doing: impl FnOnce() -> String) -> Result<T, FlowError>;
}

impl<T, E: Into<FlowError>> Doing<T> for Result<T, E> {
    fn doing(self, doing: &str) -> Result<T, FlowError> {
        self.doing_with(|| doing.to_owned())
    }

    fn doing_with(self, doing: impl FnOnce() -> String) -> Result<T, FlowError> {
        self.map_err(|e| FlowError::Step {
            doing: doing(),
            error: Box::new(e.into()),
        })
    }
}

/// An input error from words, for `return Err(input!(...))`.
macro_rules! input {
    ($($arg:tt)*) => {
        $crate::FlowError::Input(format!($($arg)*))
    };
}
pub(crate) use input;
