//! The data-sharing steps (`strongroom_flow`), with progress bars on the terminal.

use std::sync::Mutex;

use strongroom_client::Client;
use strongroom_crypto::hpke::PrivateKey;
pub use strongroom_flow::*;
use strongroom_identity::Member;

/// [`strongroom_flow::put_dataset`], with a bar per file when `progress`.
pub async fn put_dataset(
    client: &Client,
    member: &Member,
    org_key: &PrivateKey,
    spec: &DatasetSpec,
    progress: bool,
) -> Result<PutDataset> {
    if progress {
        strongroom_flow::put_dataset(client, member, org_key, spec, &Bars::default()).await
    } else {
        strongroom_flow::put_dataset(client, member, org_key, spec, &Quiet).await
    }
}

/// One terminal progress bar per file being uploaded.
#[derive(Default)]
struct Bars {
    current: Mutex<Option<indicatif::ProgressBar>>,
}

impl UploadProgress for Bars {
    fn start(&self, name: &str, size: u64) -> Box<dyn Fn(u64) + Send + Sync + 'static> {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:20} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        let tick = bar.clone();
        if let Ok(mut current) = self.current.lock() {
            *current = Some(bar);
        }
        Box::new(move |done| tick.set_position(done))
    }

    fn finish(&self, _: &str) {
        if let Ok(mut current) = self.current.lock()
            && let Some(bar) = current.take()
        {
            bar.finish_and_clear();
        }
    }
}
