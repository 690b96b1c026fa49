//! An S3-compatible bucket as the home of a [`DatasetStore`](crate::DatasetStore):
//! what to connect to ([`S3Config`]), checked before anything is built, and the
//! `object_store` client made from it.
//!
//! # What the store keeps, and what it gives up, on S3
//!
//! The upload path is the one of the local store: a multipart upload to a private
//! staging name, then a create-only move to the location. On S3 the move is a
//! server-side copy completed with `If-None-Match: *` (`object_store`'s
//! [`S3CopyIfNotExists::Multipart`]), then a delete of the staged object. So:
//!
//! - **atomic**: unchanged. Neither an unfinished multipart upload nor the copy is
//!   visible until S3 completes it, whole.
//! - **never over an existing object**: unchanged, provided the server honours
//!   conditional writes (`If-None-Match` on `CompleteMultipartUpload`: AWS S3 since
//!   2024, moto). A server that ignores the header would let the later of two
//!   racing uploads replace the earlier one; the check before the upload still
//!   refuses an object that is already there.
//! - **bounded**: weaker. An object is at most [`S3_MAX_OBJECT_SIZE`] (5 GiB), S3's
//!   limit on the single-part copy of the move, whatever larger limit the caller sets.
//! - **nothing left behind after a crash**: weaker. A node killed during an upload
//!   leaves an incomplete multipart upload (invisible, but billed) that only the
//!   bucket's lifecycle rule `AbortIncompleteMultipartUpload` removes; a node killed
//!   between the end of the upload and the move leaves a staged object, which
//!   [`DatasetStore::remove_stale_staging`](crate::DatasetStore::remove_stale_staging)
//!   removes once it is older than a day (other nodes may be uploading into the same
//!   staging area, so nothing younger is touched).
//!
//! Plain HTTP is allowed only for an endpoint given explicitly as `http://` together
//! with [`S3Config::allow_http`]: a local test server. Credentials are never read from
//! the endpoint URL.
//!
//! # TLS
//!
//! `object_store`'s client is reqwest over rustls. Its reqwest is built with reqwest's
//! `rustls-tls-native-roots` feature, which takes the *ring* provider explicitly when
//! no process-wide default is installed, so this crate installs none; the server's
//! certificate is checked against the system's roots, plus
//! [`S3Config::root_certificate_pem`] when given.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut, S3CopyIfNotExists};
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, Certificate, ClientOptions, ObjectStore, RetryConfig};
use zeroize::Zeroizing;

use crate::{StoreError, validate_location};

/// Largest object a store on S3 holds: 5 GiB, S3's limit on the single-part
/// server-side copy that moves an upload into place.
pub const S3_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The region used when neither the configuration nor the environment names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Variables of the standard AWS environment that [`S3Credentials::Environment`] reads,
/// with the `object_store` setting each one feeds. Nothing else is taken from the
/// environment: not the endpoint, not `AWS_ALLOW_HTTP`, not `AWS_SKIP_SIGNATURE`.
const CREDENTIAL_VARIABLES: [(&str, AmazonS3ConfigKey); 10] = [
    ("AWS_ACCESS_KEY_ID", AmazonS3ConfigKey::AccessKeyId),
    ("AWS_SECRET_ACCESS_KEY", AmazonS3ConfigKey::SecretAccessKey),
    ("AWS_SESSION_TOKEN", AmazonS3ConfigKey::Token),
    (
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        AmazonS3ConfigKey::WebIdentityTokenFile,
    ),
    ("AWS_ROLE_ARN", AmazonS3ConfigKey::RoleArn),
    ("AWS_ROLE_SESSION_NAME", AmazonS3ConfigKey::RoleSessionName),
    ("AWS_ENDPOINT_URL_STS", AmazonS3ConfigKey::StsEndpoint),
    (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        AmazonS3ConfigKey::ContainerCredentialsRelativeUri,
    ),
    (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        AmazonS3ConfigKey::ContainerCredentialsFullUri,
    ),
    (
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        AmazonS3ConfigKey::ContainerAuthorizationTokenFile,
    ),
];

/// Where a store on S3 keeps its objects, and how it reaches them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// A prefix inside the bucket, `/`-separated segments as in a location; none: the
    /// bucket's root.
    pub prefix: Option<String>,
    /// The service's URL, `https://HOST[:PORT]` (or `http://` with
    /// [`S3Config::allow_http`]); none: AWS's endpoint for the region.
    pub endpoint: Option<String>,
    /// The region; none: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then
    /// [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// Allow plain HTTP: only with an `http://` [`S3Config::endpoint`] (a local test
    /// server), and required for one.
    pub allow_http: bool,
    /// The credentials.
    pub credentials: S3Credentials,
    /// A PEM certificate (or several) trusted for the endpoint, besides the system's
    /// roots: an S3-compatible server with a private CA.
    pub root_certificate_pem: Option<Vec<u8>>,
}

/// The credentials of a store on S3.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum S3Credentials {
    /// The standard AWS environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN`; else web identity (`AWS_WEB_IDENTITY_TOKEN_FILE`,
    /// `AWS_ROLE_ARN`), container credentials (`AWS_CONTAINER_CREDENTIALS_*`), and last
    /// the instance metadata service.
    #[default]
    Environment,
    /// A fixed access key.
    Static {
        /// The access key id.
        access_key_id: String,
        /// The secret access key.
        secret_access_key: Zeroizing<String>,
        /// A session token, for temporary credentials.
        session_token: Option<Zeroizing<String>>,
    },
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment => f.write_str("Environment"),
            Self::Static { access_key_id, .. } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .finish_non_exhaustive(),
        }
    }
}

/// What is wrong with an [`S3Config`]; each variant names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum S3ConfigError {
    /// `allow_http` does not match the endpoint's scheme.
    #[error("{0}")]
    AllowHttp(&'static str),
    /// The bucket name is not one S3 accepts.
    #[error("bucket {bucket:?}: {reason}")]
    Bucket {
        /// The bucket given.
        bucket: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The credentials are incomplete.
    #[error("credentials: {0}")]
    Credentials(&'static str),
    /// The endpoint is not an `https://` (or `http://`) URL of a host.
    #[error("endpoint {endpoint:?}: {reason}")]
    Endpoint {
        /// The endpoint given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The prefix is not made of valid location segments.
    #[error("prefix {prefix:?}: {reason}")]
    Prefix {
        /// The prefix given.
        prefix: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The region is not a region name.
    #[error("region {region:?}: {reason}")]
    Region {
        /// The region given.
        region: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The root certificate is not PEM.
    #[error("root certificate: {0}")]
    RootCertificate(String),
    /// The URL is not `s3://BUCKET[/PREFIX]`.
    #[error("{url:?}: {reason}")]
    Url {
        /// The URL given (its first 80 characters).
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl S3Config {
    /// The bucket and prefix of `s3://BUCKET[/PREFIX]`, everything else at its default
    /// (AWS's endpoint, credentials from the environment, HTTPS only).
    pub fn from_url(url: &str) -> Result<Self, S3ConfigError> {
        let invalid = |reason| S3ConfigError::Url {
            url: url.chars().take(80).collect(),
            reason,
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("expected s3://BUCKET[/PREFIX]"))?;
        if rest.contains(['?', '#', '@']) {
            return Err(invalid(
                "a query, fragment or user part is not accepted (credentials come from the environment)",
            ));
        }
        let (bucket, prefix) = match rest.split_once('/') {
            Some((bucket, prefix)) => (bucket, prefix.trim_end_matches('/')),
            None => (rest, ""),
        };
        let config = Self {
            bucket: bucket.to_owned(),
            prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            endpoint: None,
            region: None,
            allow_http: false,
            credentials: S3Credentials::Environment,
            root_certificate_pem: None,
        };
        config.check_bucket()?;
        config.check_prefix()?;
        Ok(config)
    }

    /// Checks every field; [`DatasetStore::s3`](crate::DatasetStore::s3) does so first.
    pub fn check(&self) -> Result<(), S3ConfigError> {
        self.check_bucket()?;
        self.check_prefix()?;
        let http = match &self.endpoint {
            None => false,
            Some(endpoint) => check_endpoint(endpoint)?,
        };
        match (http, self.allow_http) {
            (true, false) => {
                return Err(S3ConfigError::AllowHttp(
                    "the endpoint is http://: objects and signed requests would cross the \
                     network unencrypted; allow plain HTTP explicitly (for a local test \
                     server only) or use https://",
                ));
            }
            (false, true) => {
                return Err(S3ConfigError::AllowHttp(
                    "plain HTTP is allowed only for an endpoint given as http:// (a local \
                     test server)",
                ));
            }
            _ => {}
        }
        if let Some(region) = &self.region {
            check_region(region)?;
        }
        if let S3Credentials::Static {
            access_key_id,
            secret_access_key,
            ..
        } = &self.credentials
            && (access_key_id.is_empty() || secret_access_key.is_empty())
        {
            return Err(S3ConfigError::Credentials(
                "the access key id and the secret access key must both be given",
            ));
        }
        if let Some(pem) = &self.root_certificate_pem {
            root_certificates(pem)?;
        }
        Ok(())
    }

    /// The bucket name, as S3 names them: 3 to 63 lowercase letters, digits, `.` and
    /// `-`, starting and ending with a letter or digit.
    fn check_bucket(&self) -> Result<(), S3ConfigError> {
        let invalid = |reason| S3ConfigError::Bucket {
            bucket: self.bucket.chars().take(80).collect(),
            reason,
        };
        let bucket = self.bucket.as_bytes();
        if !(3..=63).contains(&bucket.len()) {
            return Err(invalid("a bucket name has 3 to 63 characters"));
        }
        if !bucket
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        {
            return Err(invalid(
                "a bucket name has only lowercase letters, digits, `.` and `-`",
            ));
        }
        let alphanumeric = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        if !alphanumeric(bucket.first()) || !alphanumeric(bucket.last()) {
            return Err(invalid(
                "a bucket name starts and ends with a letter or digit",
            ));
        }
        Ok(())
    }

    fn check_prefix(&self) -> Result<(), S3ConfigError> {
        match &self.prefix {
            None => Ok(()),
            Some(prefix) => match validate_location(prefix) {
                Ok(_) => Ok(()),
                Err(StoreError::InvalidLocation { reason, .. }) => Err(S3ConfigError::Prefix {
                    prefix: prefix.chars().take(80).collect(),
                    reason: reason.to_owned(),
                }),
                Err(other) => Err(S3ConfigError::Prefix {
                    prefix: prefix.chars().take(80).collect(),
                    reason: other.to_string(),
                }),
            },
        }
    }

    /// The `object_store` client: checked first, then built without any I/O.
    pub(crate) fn build(&self) -> Result<Arc<dyn ObjectStore>, StoreError> {
        self.check()?;
        let mut options = ClientOptions::new()
            .with_allow_http(self.allow_http)
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(60));
        if let Some(pem) = &self.root_certificate_pem {
            for certificate in root_certificates(pem)? {
                options = options.with_root_certificate(certificate);
            }
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_client_options(options)
            // Create-only moves, and create-only puts, by conditional requests.
            .with_copy_if_not_exists(S3CopyIfNotExists::Multipart)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            // About 6 s of backoff over 6 retries, within a minute: a wrong endpoint
            // or a lasting outage is reported instead of waited out.
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 6,
                retry_timeout: Duration::from_secs(60),
            });
        let mut region = self.region.clone();
        match &self.credentials {
            S3Credentials::Environment => {
                for (variable, key) in CREDENTIAL_VARIABLES {
                    if let Some(value) = environment(variable) {
                        builder = builder.with_config(key, value);
                    }
                }
                if region.is_none() {
                    region =
                        environment("AWS_REGION").or_else(|| environment("AWS_DEFAULT_REGION"));
                    if let Some(region) = &region {
                        check_region(region).map_err(|_| S3ConfigError::Region {
                            region: region.chars().take(80).collect(),
                            reason: "taken from AWS_REGION or AWS_DEFAULT_REGION: a region \
                                     name has 1 to 64 lowercase letters, digits and `-`",
                        })?;
                    }
                }
            }
            S3Credentials::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                builder = builder
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key.as_str());
                if let Some(token) = session_token {
                    builder = builder.with_token(token.as_str());
                }
            }
        }
        builder = builder.with_region(region.as_deref().unwrap_or(DEFAULT_REGION));
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
        }
        let s3 = builder.build()?;
        Ok(match &self.prefix {
            Some(prefix) => Arc::new(PrefixStore::new(s3, ObjectPath::from(prefix.as_str()))),
            None => Arc::new(s3),
        })
    }
}

/// The certificates of a PEM bundle: at least one.
fn root_certificates(pem: &[u8]) -> Result<Vec<Certificate>, S3ConfigError> {
    let certificates = Certificate::from_pem_bundle(pem)
        .map_err(|e| S3ConfigError::RootCertificate(e.to_string()))?;
    if certificates.is_empty() {
        return Err(S3ConfigError::RootCertificate(
            "no PEM certificate found".into(),
        ));
    }
    Ok(certificates)
}

/// A non-empty environment variable.
fn environment(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|v| !v.is_empty())
}

/// Checks `scheme://HOST[:PORT][/]`; returns whether the scheme is `http`.
fn check_endpoint(endpoint: &str) -> Result<bool, S3ConfigError> {
    let invalid = |reason| S3ConfigError::Endpoint {
        endpoint: endpoint.chars().take(80).collect(),
        reason,
    };
    let (http, authority) = if let Some(rest) = endpoint.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = endpoint.strip_prefix("http://") {
        (true, rest)
    } else {
        return Err(invalid(
            "expected https://HOST[:PORT] (or http:// for a local test server)",
        ));
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.is_empty() {
        return Err(invalid("no host"));
    }
    if authority.contains(['/', '?', '#', '@']) || authority.chars().any(char::is_whitespace) {
        return Err(invalid(
            "only scheme, host and port: no path, query, fragment or credentials",
        ));
    }
    Ok(http)
}

fn check_region(region: &str) -> Result<(), S3ConfigError> {
    if region.is_empty()
        || region.len() > 64
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(S3ConfigError::Region {
            region: region.chars().take(80).collect(),
            reason: "a region name has 1 to 64 lowercase letters, digits and `-` (us-east-1)",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_s3_url_gives_bucket_and_prefix_and_nothing_else() {
        let config = S3Config::from_url("s3://strongroom-objects/consortium/a/").unwrap();
        assert_eq!(config.bucket, "strongroom-objects");
        assert_eq!(config.prefix.as_deref(), Some("consortium/a"));
        assert_eq!(config.endpoint, None);
        assert!(!config.allow_http);
        assert_eq!(
            S3Config::from_url("s3://bucket").unwrap().prefix,
            None,
            "no prefix"
        );
        for bad in [
            "https://bucket/x",
            "s3://",
            "s3://Bucket",
            "s3://b",
            "s3://-bucket",
            "s3://bucket/../x",
            "s3://bucket/.staging",
            "s3://bucket/a//b",
            "s3://key:secret@bucket",
            "s3://bucket?region=x",
        ] {
            assert!(S3Config::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_needs_both_an_http_endpoint_and_allow_http() {
        let mut config = S3Config::from_url("s3://bucket").unwrap();
        config.endpoint = Some("http://127.0.0.1:9000".into());
        assert!(matches!(config.check(), Err(S3ConfigError::AllowHttp(_))));
        config.allow_http = true;
        config.check().unwrap();
        config.endpoint = Some("https://s3.example.org".into());
        assert!(matches!(config.check(), Err(S3ConfigError::AllowHttp(_))));
        config.endpoint = None;
        assert!(matches!(config.check(), Err(S3ConfigError::AllowHttp(_))));
    }

    #[test]
    fn endpoints_are_scheme_host_and_port_only() {
        for good in [
            "https://s3.example.org",
            "https://[::1]:9000/",
            "http://127.0.0.1:1",
        ] {
            check_endpoint(good).unwrap();
        }
        for bad in [
            "s3.example.org",
            "ftp://host",
            "https://",
            "https://host/bucket",
            "https://user:pw@host",
            "https://host?x",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let credentials = S3Credentials::Static {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Zeroizing::new("wJalrXUtnFEMI".into()),
            session_token: Some(Zeroizing::new("token-value".into())),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(
            !shown.contains("wJalrXUtnFEMI") && !shown.contains("token-value"),
            "{shown}"
        );
    }
}
