//! Where a node keeps the encrypted dataset objects: its settings `object_store`,
//! `s3_endpoint`, `s3_region` and `s3_allow_http` turned into a
//! [`StoreBackend`], and the store opened from it. Every error names the setting.

use strongroom_store::{DatasetStore, S3Config, S3ConfigError, StoreBackend, StoreError};

use crate::error::NodeError;
use crate::service::OBJECTS_DIR;
use crate::settings::NodeSettings;

/// The backend the settings name, checked without contacting anything: the data
/// directory's `objects/` by default, or an S3 bucket (credentials from the standard
/// AWS environment).
pub(crate) fn backend(settings: &NodeSettings) -> Result<StoreBackend, NodeError> {
    let Some(url) = &settings.object_store else {
        if settings.s3_endpoint.is_some() || settings.s3_region.is_some() || settings.s3_allow_http
        {
            return Err(config(
                "s3_endpoint, s3_region and s3_allow_http: only with an `object_store = \
                 \"s3://BUCKET[/PREFIX]\"`; without one, objects stay in the data directory"
                    .into(),
            ));
        }
        return Ok(StoreBackend::Local(settings.data_dir.join(OBJECTS_DIR)));
    };
    let mut s3 = S3Config::from_url(url).map_err(|e| setting_error(&e))?;
    s3.endpoint.clone_from(&settings.s3_endpoint);
    s3.region.clone_from(&settings.s3_region);
    s3.allow_http = settings.s3_allow_http;
    s3.check().map_err(|e| setting_error(&e))?;
    Ok(StoreBackend::S3(s3))
}

/// Opens the store the settings name. A bucket is listed once (its stale staged
/// uploads removed): an unreachable bucket or refused credentials stop the start here,
/// with the setting named.
pub(crate) async fn open(settings: &NodeSettings) -> Result<DatasetStore, NodeError> {
    let backend = backend(settings)?;
    DatasetStore::open(&backend)
        .await
        .map_err(|e| match (e, &backend) {
            (StoreError::Config(e), _) => setting_error(&e),
            (e, StoreBackend::S3(s3)) => config(format!(
                "object_store: cannot use s3://{}{} at {}: {e} (check s3_endpoint, s3_region and \
             the AWS credentials in the environment)",
                s3.bucket,
                s3.prefix
                    .as_deref()
                    .map_or_else(String::new, |p| format!("/{p}")),
                s3.endpoint.as_deref().unwrap_or("AWS's endpoint"),
            )),
            (e, _) => NodeError::Store(e),
        })
}

fn config(reason: String) -> NodeError {
    NodeError::Config { reason }
}

/// The message of `e`, prefixed with the setting it is about.
fn setting_error(e: &S3ConfigError) -> NodeError {
    let setting = match e {
        S3ConfigError::AllowHttp(_) => "s3_allow_http",
        S3ConfigError::Endpoint { .. } => "s3_endpoint",
        S3ConfigError::Region { .. } => "s3_region",
        // The bucket and prefix, and what else the URL says; credentials come from
        // the environment (AWS_*).
        _ => "object_store",
    };
    let hint = if matches!(e, S3ConfigError::Url { .. }) {
        " (leave object_store unset to keep objects in the data directory)"
    } else {
        ""
    };
    config(format!("{setting}: {e}{hint}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn with(change: impl FnOnce(&mut NodeSettings)) -> Result<StoreBackend, String> {
        let mut settings = NodeSettings::default();
        change(&mut settings);
        backend(&settings).map_err(|e| e.to_string())
    }

    #[test]
    fn by_default_objects_stay_in_the_data_directory() {
        assert_eq!(
            with(|_| {}).unwrap(),
            StoreBackend::Local(NodeSettings::default().data_dir.join(OBJECTS_DIR))
        );
    }

    #[test]
    fn an_s3_object_store_takes_the_s3_settings() {
        let StoreBackend::S3(s3) = with(|s| {
            s.object_store = Some("s3://strongroom-objects/consortium".into());
            s.s3_endpoint = Some("http://127.0.0.1:9000".into());
            s.s3_region = Some("eu-central-1".into());
            s.s3_allow_http = true;
        })
        .unwrap() else {
            panic!("not S3")
        };
        assert_eq!(s3.bucket, "strongroom-objects");
        assert_eq!(s3.prefix.as_deref(), Some("consortium"));
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region.as_deref(), Some("eu-central-1"));
        assert!(s3.allow_http);
    }

    #[test]
    fn bad_object_store_settings_are_errors_naming_the_setting() {
        let s3 = |s: &mut NodeSettings| s.object_store = Some("s3://bucket".into());
        for (change, setting) in [
            (
                Box::new(|s: &mut NodeSettings| s.object_store = Some("/var/objects".into()))
                    as Box<dyn FnOnce(&mut NodeSettings)>,
                "object_store: ",
            ),
            (
                Box::new(|s: &mut NodeSettings| s.object_store = Some("s3://B".into())),
                "object_store: ",
            ),
            (
                Box::new(|s: &mut NodeSettings| s.object_store = Some("s3://bucket/../x".into())),
                "object_store: ",
            ),
            (
                Box::new(|s: &mut NodeSettings| s.s3_endpoint = Some("https://h".into())),
                "s3_endpoint, s3_region and s3_allow_http: ",
            ),
            (
                Box::new(move |s: &mut NodeSettings| {
                    s3(s);
                    s.s3_endpoint = Some("http://127.0.0.1:9000".into());
                }),
                "s3_allow_http: ",
            ),
            (
                Box::new(move |s: &mut NodeSettings| {
                    s3(s);
                    s.s3_allow_http = true;
                }),
                "s3_allow_http: ",
            ),
            (
                Box::new(move |s: &mut NodeSettings| {
                    s3(s);
                    s.s3_endpoint = Some("127.0.0.1:9000".into());
                }),
                "s3_endpoint: ",
            ),
            (
                Box::new(move |s: &mut NodeSettings| {
                    s3(s);
                    s.s3_region = Some("EU Central".into());
                }),
                "s3_region: ",
            ),
        ] {
            let err = with(change).unwrap_err();
            assert!(
                err.starts_with(&format!("configuration: {setting}")),
                "{setting}: {err}"
            );
        }
    }
}
