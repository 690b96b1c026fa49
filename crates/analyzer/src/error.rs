//! Why a task was not executed, sorted by what happens next.

use strongroom_client::ClientError;

/// Why the analyzer did not finish a task. [`AnalyzerError::Task`] fails the task for
/// good (its reason goes on the ledger); the others leave it to the next pass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyzerError {
    /// The node or the network failed; nothing was decided about the task.
    #[error("{doing}: {source}")]
    Node {
        /// What the analyzer was doing.
        doing: String,
        /// The client's error.
        #[source]
        source: ClientError,
    },
    /// The task cannot be executed as defined (an input missing or damaged, an
    /// algorithm this analyzer does not run, a window it cannot apply, a result that
    /// breaks the release rule). The reason names what, never a value from the data.
    #[error("{0}")]
    Task(String),
    /// This analyzer cannot execute the task now (its work directory, its keys).
    #[error("{0}")]
    Local(String),
}

impl AnalyzerError {
    /// Sorts a client error met while `doing` something for a task: the node or the
    /// network (retry later), or the task's own (a missing object, a ciphertext that
    /// does not match, a key that does not open).
    pub fn from_client(doing: impl Into<String>, source: ClientError) -> Self {
        let doing = doing.into();
        match source {
            ClientError::Transport { .. } => Self::Node { doing, source },
            ClientError::Api { status, .. } if status != 404 => Self::Node { doing, source },
            other => Self::Task(format!("{doing}: {other}")),
        }
    }

    /// Whether the task is left for the next pass rather than failed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Task(_))
    }
}

/// Shorthand for a task failure.
pub(crate) fn task(reason: impl Into<String>) -> AnalyzerError {
    AnalyzerError::Task(reason.into())
}
