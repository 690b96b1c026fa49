//! DCAP collateral from a PCCS (setting `pccs_url`), for nodes on `tdx` and `sgx`.
//!
//! At start the node makes one quote, reads from its PCK certificate what to ask for
//! ([`PccsQuery`]), GETs the four items and assembles them ([`PccsAnswers`]); a
//! failure stops the node, naming the item and the URL. Afterwards a task fetches them
//! again every `pccs_refresh_s` and replaces what the node serves (`GET
//! /v1/attestation`), so the TCB info, QE identity and CRLs stay current as Intel
//! reissues them; a failed refresh keeps the last collateral and logs why.
//!
//! The PCCS is not trusted: everything it serves is signed by Intel and checked by
//! the verifier up to Intel's root. It can withhold or age collateral, which makes
//! clients refuse this node, but not forge it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use strongroom_api_types::EvidenceCollateral;
use strongroom_tee::{PccsAnswers, PccsQuery, PlatformKind};

use crate::error::NodeError;
use crate::fetch::{get, http_client};
use crate::settings::NodeSettings;

/// The collateral a node serves with its evidence, replaced by refreshes.
pub(crate) type CollateralCell = Arc<RwLock<Option<EvidenceCollateral>>>;

/// Checks the PCCS settings: only on `tdx` and `sgx`, not with a `collateral` file.
pub(crate) fn check_settings(settings: &NodeSettings) -> Result<(), NodeError> {
    let bad = |reason: String| Err(NodeError::Config { reason });
    let Some(url) = &settings.pccs_url else {
        if settings.pccs_ca_cert.is_some() {
            return bad("pccs_ca_cert: set only with pccs_url".into());
        }
        return Ok(());
    };
    let kind = crate::platform::kind(settings)?;
    if !matches!(kind, PlatformKind::Tdx | PlatformKind::Sgx) {
        return bad(format!(
            "pccs_url: a PCCS serves Intel DCAP collateral, for platforms tdx and sgx; this \
             node runs {kind}"
        ));
    }
    if settings.collateral.is_some() {
        return bad(
            "pccs_url and collateral: set one (collateral is a fixed file, pccs_url fetches and \
             refreshes it)"
                .into(),
        );
    }
    crate::fetch::check_url("pccs_url", url)?;
    if !(1..=7 * 86_400).contains(&settings.pccs_refresh_s) {
        return bad("pccs_refresh_s: must be between 1 and 604800 (a week)".into());
    }
    Ok(())
}

/// A PCCS and what this node's quotes need from it.
#[derive(Clone, Debug)]
pub(crate) struct Pccs {
    http: reqwest::Client,
    base: String,
    query: PccsQuery,
    refresh: Duration,
}

impl Pccs {
    /// The PCCS at `base` (setting `pccs_url`), asked about quotes like `quote`.
    pub(crate) fn for_quote(
        settings: &NodeSettings,
        base: &str,
        quote: &[u8],
    ) -> Result<Self, NodeError> {
        let query = PccsQuery::for_quote(quote).map_err(|e| NodeError::Config {
            reason: format!("pccs_url: {e}"),
        })?;
        Ok(Self {
            http: http_client("pccs_ca_cert", settings.pccs_ca_cert.as_deref())?,
            base: base.to_owned(),
            query,
            refresh: Duration::from_secs(settings.pccs_refresh_s),
        })
    }

    /// [`Pccs::fetch`] at start: a failure is a configuration error.
    pub(crate) async fn fetch_at_start(&self) -> Result<EvidenceCollateral, NodeError> {
        let collateral = self.fetch().await.map_err(|reason| NodeError::Config {
            reason: format!("pccs_url: cannot fetch this node's DCAP collateral: {reason}"),
        })?;
        tracing::info!(pccs = %self.base, fmspc = %self.query.fmspc(), "DCAP collateral fetched from the PCCS, served with this node's evidence");
        Ok(collateral)
    }

    /// Fetches and assembles the collateral, naming the item and URL that failed.
    pub(crate) async fn fetch(&self) -> Result<EvidenceCollateral, String> {
        let urls = self.query.urls(&self.base);
        let answers = PccsAnswers {
            pck_crl: get(
                &self.http,
                &urls.pck_crl,
                &[strongroom_tee::pccs::PCK_CRL_ISSUER_CHAIN],
            )
            .await?,
            tcb_info: get(
                &self.http,
                &urls.tcb_info,
                &[
                    strongroom_tee::pccs::TCB_INFO_ISSUER_CHAIN,
                    strongroom_tee::pccs::SGX_TCB_INFO_ISSUER_CHAIN,
                ],
            )
            .await?,
            qe_identity: get(
                &self.http,
                &urls.qe_identity,
                &[strongroom_tee::pccs::QE_IDENTITY_ISSUER_CHAIN],
            )
            .await?,
            root_ca_crl: get(&self.http, &urls.root_ca_crl, &[]).await?,
        };
        let (_, json) = answers
            .assemble()
            .map_err(|e| format!("{} (FMSPC {}): {e}", self.base, self.query.fmspc()))?;
        Ok(EvidenceCollateral::Dcap(json))
    }

    /// Refreshes `cell` every `pccs_refresh_s` until the returned guard is dropped.
    pub(crate) fn keep_fresh(self, cell: CollateralCell) -> RefreshTask {
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.refresh);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                match self.fetch().await {
                    Ok(collateral) => {
                        *cell.write().unwrap_or_else(|e| e.into_inner()) = Some(collateral);
                        tracing::info!(pccs = %self.base, "DCAP collateral refreshed");
                    }
                    Err(reason) => tracing::warn!(
                        pccs = %self.base,
                        %reason,
                        "DCAP collateral refresh failed: still serving the last one"
                    ),
                }
            }
        });
        RefreshTask(task)
    }
}

/// The refresh task, stopped when dropped (with the node).
#[derive(Debug)]
pub(crate) struct RefreshTask(tokio::task::JoinHandle<()>);

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
