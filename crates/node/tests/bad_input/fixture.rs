//! The node under test, its data, and what a bad input must not change.

use crate::common::check_error;

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::TryStreamExt;
use strongroom_api_types::{Submit, Submitted};
use strongroom_client::{Client, ClientError, Committed};
use strongroom_contract::ObjectPurpose;
use strongroom_contract::sharing::{
    AlgorithmKind, AlgorithmList, CatalogPage, CatalogSearch, Created, DatasetView, Invocation,
    OutputRule, Port, Query, RegisterAlgorithm,
};
use strongroom_crypto::provider::{HashAlgorithm, Hasher, default_provider};
use strongroom_enclave::request::Reply;
use strongroom_identity::Member;
use strongroom_node::RunningNode;

/// Smaller than the default so the oversized bodies stay cheap.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything a bad input must not change.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) head: u64,
    pub(crate) export: Vec<u8>,
    pub(crate) catalog: CatalogPage,
    pub(crate) algorithms: AlgorithmList,
    pub(crate) dataset: DatasetView,
    pub(crate) objects: BTreeMap<String, u64>,
}

pub(crate) struct Fixture {
    pub(crate) running: RunningNode,
    pub(crate) client: Client,
    pub(crate) http: reqwest::Client,
    /// The same over HTTP/1.1, where an early answer races the client's upload.
    pub(crate) http1: reqwest::Client,
    pub(crate) base: String,
    pub(crate) owner: Member,
    pub(crate) analyst: Member,
    pub(crate) dataset_id: String,
    /// Where the dataset's file is (a location the contract reserved).
    pub(crate) dataset_location: String,
    pub(crate) objects_dir: std::path::PathBuf,
}

impl Fixture {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until a signature entry covers `sequence` (the ledger is then idle), so
    /// the head read afterwards is stable.
    pub(crate) async fn settle(&self, sequence: u64) {
        self.client.receipt(sequence).await.unwrap();
    }

    pub(crate) async fn contract_state(&self) -> (CatalogPage, AlgorithmList, DatasetView) {
        let catalog: CatalogPage = self
            .client
            .ask(
                &self.analyst,
                &Query::SearchCatalog(CatalogSearch {
                    text: Some("diabetes".into()),
                    ..CatalogSearch::default()
                }),
            )
            .await
            .unwrap();
        let algorithms: AlgorithmList = self
            .client
            .ask(
                &self.analyst,
                &Query::ListAlgorithms {
                    after: None,
                    limit: None,
                },
            )
            .await
            .unwrap();
        let dataset: DatasetView = self
            .client
            .ask(
                &self.owner,
                &Query::GetDataset {
                    id: self.dataset_id.clone(),
                },
            )
            .await
            .unwrap();
        (catalog, algorithms, dataset)
    }

    pub(crate) async fn snapshot(&self) -> Snapshot {
        let head = self.client.health().await.unwrap().ledger_sequence;
        let export = self.client.export(&self.owner, 1, head).await.unwrap();
        let (catalog, algorithms, dataset) = self.contract_state().await;
        Snapshot {
            head,
            export,
            catalog,
            algorithms,
            dataset,
            objects: list_files(&self.objects_dir),
        }
    }

    /// After a request refused at the API edge: nothing at all changed.
    pub(crate) async fn assert_unchanged(&self, before: &Snapshot, what: &str) {
        let after = self.snapshot().await;
        assert_eq!(after.head, before.head, "{what}: the ledger grew");
        assert!(after.export == before.export, "{what}: the ledger changed");
        assert_eq!(after.catalog, before.catalog, "{what}: the catalog changed");
        assert_eq!(
            after.algorithms, before.algorithms,
            "{what}: the algorithms changed"
        );
        assert_eq!(after.dataset, before.dataset, "{what}: the dataset changed");
        assert_eq!(after.objects, before.objects, "{what}: the objects changed");
        let whole = self.client.export(&self.owner, 1, u64::MAX).await.unwrap();
        assert!(whole == before.export, "{what}: the whole export changed");
    }

    /// After a request the core refused: the refusal is recorded at `sequence` (after
    /// the old head), the history before it is unchanged, and every query answers as
    /// before. Returns the new baseline.
    pub(crate) async fn assert_only_refusal_recorded(
        &self,
        before: &Snapshot,
        sequence: Option<u64>,
        what: &str,
    ) -> Snapshot {
        let sequence = sequence.unwrap_or_else(|| panic!("{what}: no ledger entry"));
        assert!(
            sequence > before.head,
            "{what}: recorded at {sequence}, not after {}",
            before.head
        );
        self.settle(sequence).await;
        let after = self.snapshot().await;
        assert!(
            after.export.starts_with(&before.export),
            "{what}: the ledger history before the refusal changed"
        );
        assert_eq!(after.catalog, before.catalog, "{what}: the catalog changed");
        assert_eq!(
            after.algorithms, before.algorithms,
            "{what}: the algorithms changed"
        );
        assert_eq!(after.dataset, before.dataset, "{what}: the dataset changed");
        assert_eq!(after.objects, before.objects, "{what}: the objects changed");
        after
    }

    /// Sends `body` with `content_type` to `path` and checks the JSON error.
    pub(crate) async fn expect_error(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        status: u16,
        code: &str,
        needle: &str,
    ) {
        let mut request = self.http.post(self.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        check_error(request.send().await.unwrap(), status, code, needle).await;
    }

    /// [`Fixture::expect_error`] over HTTP/1.1: the client sends its whole body before
    /// it reads the answer, so the node must read enough of it to be heard.
    pub(crate) async fn expect_error_http1(
        &self,
        path: &str,
        body: String,
        status: u16,
        code: &str,
        needle: &str,
    ) {
        let request = self
            .http1
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        check_error(request.send().await.unwrap(), status, code, needle).await;
    }

    /// Posts a sealed transaction the SDK would not build, as the SDK would.
    pub(crate) async fn post_transaction(&self, payload: Vec<u8>) -> Submitted {
        let response = self
            .http
            .post(self.url("/v1/transactions"))
            .json(&Submit { request: payload })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// Every file under `dir`, relative, with its size: staging files of an unfinished
/// upload would show up here too.
pub(crate) fn list_files(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                walk(root, &entry.path(), out);
            } else {
                let relative = entry.path().strip_prefix(root).unwrap().to_owned();
                out.insert(relative.display().to_string(), meta.len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// How many staging files of unfinished uploads are under `dir` (the node stages an
/// upload under `.staging/`, then moves it into place).
pub(crate) fn staging_files(dir: &Path) -> usize {
    list_files(dir)
        .keys()
        .filter(|name| name.starts_with(".staging/"))
        .count()
}

pub(crate) fn api_error(error: ClientError) -> (u16, String, String) {
    match error {
        ClientError::Api {
            status,
            code,
            error,
            ..
        } => (status, code, error),
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub(crate) fn accepted(committed: &Committed) -> Created {
    match &committed.reply {
        Reply::Accept(bytes) => serde_json::from_slice(bytes).unwrap(),
        other => panic!("expected an accepted transaction, got {other:?}"),
    }
}

pub(crate) fn refused(reply: &Reply) -> &str {
    match reply {
        Reply::Refuse(reason) => reason,
        other => panic!("expected a refusal from the core, got {other:?}"),
    }
}

pub(crate) async fn download(client: &Client, member: &Member, location: &str) -> Vec<u8> {
    client
        .get_object(member, ObjectPurpose::OwnerRead, location)
        .await
        .unwrap()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap()
}

pub(crate) fn algorithm(name: &str) -> Invocation {
    Invocation::RegisterAlgorithm(RegisterAlgorithm {
        name: name.into(),
        kind: AlgorithmKind::Builtin,
        measurement: sha256_hex(format!("strongroom/builtin/v1/{name}").as_bytes()),
        description: "count, unique, top and freq of one column of a CSV file".into(),
        inputs: vec![Port {
            name: "table".into(),
            format: "csv".into(),
        }],
        outputs: vec![Port {
            name: "summary".into(),
            format: "json".into(),
        }],
        aggregate_only: true,
        differentially_private: false,
        output_rule: Some(OutputRule::SmallCellsSuppressed),
    })
}

pub(crate) fn json(invocation: &Invocation) -> Vec<u8> {
    serde_json::to_vec(invocation).unwrap()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let mut hasher = Hasher::new(HashAlgorithm::Sha256);
    hasher.update(bytes);
    hex::encode(hasher.finish())
}

pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    default_provider().fill_random(&mut bytes).unwrap();
    bytes
}
