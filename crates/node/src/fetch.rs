//! The HTTP side of fetching collateral (a PCCS for DCAP, AMD KDS for SEV-SNP): one
//! client per source, bounded GETs whose errors name the URL.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use strongroom_tee::PccsAnswer;

use crate::error::{NodeError, error_chain};

/// How long one GET may take.
const GET_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read (Intel's are a few KiB, a PCK CRL of a large platform CA
/// some hundred KiB, a VCEK about 1.3 KiB).
pub(crate) const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// GETs `url`: the body (at most [`MAX_ANSWER_BYTES`]) and the first of
/// `chain_headers` present; an error names the URL.
pub(crate) async fn get(
    http: &reqwest::Client,
    url: &str,
    chain_headers: &[&str],
) -> Result<PccsAnswer, String> {
    let failed = |reason: String| format!("GET {url}: {reason}");
    let mut response = http
        .get(url)
        .send()
        .await
        .map_err(|e| failed(error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let issuer_chain = chain_headers.iter().find_map(|name| {
        response
            .headers()
            .get(*name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| failed(error_chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(failed(format!("answer over {MAX_ANSWER_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(PccsAnswer { body, issuer_chain })
}

/// An HTTP client whose TLS roots are `ca_cert` (PEM; the setting `setting` names
/// it in errors), or the system's.
pub(crate) fn http_client(
    setting: &str,
    ca_cert: Option<&Path>,
) -> Result<reqwest::Client, NodeError> {
    let config = |reason: String| NodeError::Config { reason };
    let mut roots = rustls::RootCertStore::empty();
    match ca_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| config(format!("{setting}: {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(config(format!(
                    "{setting}: {} holds no PEM certificate",
                    path.display()
                )));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| config(format!("{setting}: {}: {e}", path.display())))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                tracing::warn!(
                    "no system TLS roots found: an https:// collateral source needs {setting}"
                );
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NodeError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(GET_TIMEOUT)
        .build()
        .map_err(|e| NodeError::Tls(format!("{setting} client: {e}")))
}

/// Checks that `url`, the value of the setting `setting`, is an `http://` or
/// `https://` URL.
pub(crate) fn check_url(setting: &str, url: &str) -> Result<(), NodeError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(());
    }
    Err(NodeError::Config {
        reason: format!("{setting}: {url:?} is not an http:// or https:// URL"),
    })
}
