//! API errors: a status and an [`ErrorBody`] whose `code` is one of [`ErrorCode`].
//! Errors become responses only here, at the API edge.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use strongroom_api_types::ErrorBody;
use strongroom_consensus::ConsensusError;
use strongroom_store::StoreError;

use crate::error::NodeError;

/// The `code` of an [`ErrorBody`]. Each code has one HTTP status; the OpenAPI document
/// lists exactly these, per status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the request is malformed (JSON, field, parameter, path).
    BadRequest,
    /// 412: this node has not yet applied the ledger entry the query names
    /// (`Strongroom-Min-Sequence`, a precondition on its state); retry, here or at
    /// another node.
    Behind,
    /// 409: an object exists at the location (objects are never overwritten).
    Exists,
    /// 500: the node failed; not the client's fault.
    Internal,
    /// 429: the signing member sent more than its rate (checked by the core).
    MemberRateLimited,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 404: no signature entry covers the ledger entry yet, or it does not exist.
    NotCovered,
    /// 404: no such route, or an object the member may not access or that is not there.
    NotFound,
    /// 503: this node does not lead the cluster.
    NotLeader,
    /// 413: the body, the sealed request or the object is larger than the limit.
    PayloadTooLarge,
    /// 429: the client address sent more than its rate.
    RateLimited,
    /// 401: no authorization, or one the core refused.
    Unauthorized,
    /// 503: the node is stopping.
    Unavailable,
    /// 415: the body's content type is not the one the operation takes.
    UnsupportedMediaType,
}

impl ErrorCode {
    /// Every code, in alphabetical order.
    pub const ALL: [Self; 14] = [
        Self::BadRequest,
        Self::Behind,
        Self::Exists,
        Self::Internal,
        Self::MemberRateLimited,
        Self::MethodNotAllowed,
        Self::NotCovered,
        Self::NotFound,
        Self::NotLeader,
        Self::PayloadTooLarge,
        Self::RateLimited,
        Self::Unauthorized,
        Self::Unavailable,
        Self::UnsupportedMediaType,
    ];

    /// The code as it appears in the body.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Behind => "behind",
            Self::Exists => "exists",
            Self::Internal => "internal",
            Self::MemberRateLimited => "member_rate_limited",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotCovered => "not_covered",
            Self::NotFound => "not_found",
            Self::NotLeader => "not_leader",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::Unavailable => "unavailable",
            Self::UnsupportedMediaType => "unsupported_media_type",
        }
    }

    /// The status the code is answered with.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Exists => StatusCode::CONFLICT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::MemberRateLimited | Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotCovered | Self::NotFound => StatusCode::NOT_FOUND,
            Self::Behind => StatusCode::PRECONDITION_FAILED,
            Self::NotLeader | Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }
}

/// An API error: an [`ErrorCode`] (and so a status) and a sentence for people.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    error: String,
}

impl ApiError {
    /// An error with `code`, saying `error`.
    pub fn new(code: ErrorCode, error: impl Into<String>) -> Self {
        Self {
            code,
            error: error.into(),
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(error: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, error)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(error: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, error)
    }

    /// 500 `internal`, logged.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(ErrorCode::Internal, error.to_string())
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.as_str().into(),
            error: self.error,
        };
        (self.code.status(), Json(body)).into_response()
    }
}

impl From<ConsensusError> for ApiError {
    fn from(e: ConsensusError) -> Self {
        match e {
            ConsensusError::TooLarge { .. } => Self::new(ErrorCode::PayloadTooLarge, e.to_string()),
            ConsensusError::NotLeader { .. } => Self::new(ErrorCode::NotLeader, e.to_string()),
            ConsensusError::Stopped | ConsensusError::Lagging { .. } => {
                Self::new(ErrorCode::Unavailable, e.to_string())
            }
            other => Self::internal(other),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Consensus(e) => e.into(),
            NodeError::Throttled { .. } => Self::new(ErrorCode::MemberRateLimited, e.to_string()),
            NodeError::Unauthorized(_) => Self::unauthorized(e.to_string()),
            NodeError::NotFoundOrDenied => Self::new(ErrorCode::NotFound, e.to_string()),
            NodeError::BadRequest(_) => Self::bad_request(e.to_string()),
            NodeError::Forwarded { .. } => Self::new(ErrorCode::Unavailable, e.to_string()),
            other => Self::internal(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidLocation { .. } => Self::bad_request(e.to_string()),
            StoreError::Exists { .. } => Self::new(ErrorCode::Exists, e.to_string()),
            StoreError::NotFound { .. } => Self::new(ErrorCode::NotFound, e.to_string()),
            StoreError::TooLarge { .. } => Self::new(ErrorCode::PayloadTooLarge, e.to_string()),
            StoreError::Interrupted { .. } => Self::bad_request(e.to_string()),
            other => Self::internal(other),
        }
    }
}
