//! The VCEK of an SEV-SNP node from AMD's Key Distribution Service (setting
//! `kds_url`), for hosts that supply no certificate table (`auxblob`).
//!
//! At start the node makes one report, asks KDS for the VCEK of the report's chip and
//! reported TCB ([`KdsQuery`]), and serves it with its evidence and sends it at join. A
//! failure stops the node, naming the URL. The VCEK changes only with the chip's TCB,
//! which changes only across a host reboot (and so a node restart): it is not fetched
//! again. KDS is not trusted: the verifier checks the VCEK's chain up to its roots and
//! its chip and TCB extensions against the report.

use strongroom_api_types::EvidenceCollateral;
use strongroom_tee::{KdsQuery, PlatformKind, SnpCollateral, SnpProduct};

use crate::error::NodeError;
use crate::fetch::{get, http_client};
use crate::settings::NodeSettings;

/// Checks the KDS settings: only on `snp`, not with a `collateral` file.
pub(crate) fn check_settings(settings: &NodeSettings) -> Result<(), NodeError> {
    let bad = |reason: String| Err(NodeError::Config { reason });
    if let Some(product) = &settings.snp_product
        && let Err(reason) = product.parse::<SnpProduct>()
    {
        return bad(format!("snp_product: {reason}"));
    }
    let Some(url) = &settings.kds_url else {
        if settings.kds_ca_cert.is_some() {
            return bad("kds_ca_cert: set only with kds_url".into());
        }
        return Ok(());
    };
    let kind = crate::platform::kind(settings)?;
    if kind != PlatformKind::Snp {
        return bad(format!(
            "kds_url: AMD KDS serves SEV-SNP VCEKs, for platform snp; this node runs {kind}"
        ));
    }
    if settings.collateral.is_some() {
        return bad(
            "kds_url and collateral: set one (collateral is the VCEK file, kds_url fetches it)"
                .into(),
        );
    }
    crate::fetch::check_url("kds_url", url)?;
    Ok(())
}

/// Fetches the VCEK of `report` from the KDS of `settings` (set: checked by the caller).
pub(crate) async fn vcek(
    settings: &NodeSettings,
    base: &str,
    report: &[u8],
) -> Result<EvidenceCollateral, NodeError> {
    let config = |reason: String| NodeError::Config { reason };
    let product = settings
        .snp_product
        .as_deref()
        .map(str::parse::<SnpProduct>)
        .transpose()
        .map_err(|reason| config(format!("snp_product: {reason}")))?;
    let query =
        KdsQuery::for_report(report, product).map_err(|e| config(format!("kds_url: {e}")))?;
    let url = query.url(base);
    let http = http_client("kds_ca_cert", settings.kds_ca_cert.as_deref())?;
    let answer = get(&http, &url, &[])
        .await
        .map_err(|reason| config(format!("kds_url: cannot fetch this node's VCEK: {reason}")))?;
    SnpCollateral::from_vcek(&answer.body)
        .map_err(|e| config(format!("kds_url: {url} answered no VCEK certificate: {e}")))?;
    tracing::info!(%url, product = %query.product(), "the VCEK from AMD KDS is served with this node's evidence");
    Ok(EvidenceCollateral::Snp(answer.body))
}
