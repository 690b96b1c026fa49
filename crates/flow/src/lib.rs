//! The data-sharing steps as functions over a connected [`Client`]: the commands,
//! `strongroom demo` and the console all call these, so each runs exactly what users
//! run.

mod dataset;
mod error;

pub use dataset::{
    DatasetSpec, PutDataset, Quiet, UploadProgress, UploadedFile, csv_columns, genome_shape,
    put_dataset,
};

use error::input;
pub use error::{Doing, FlowError};

/// A step's outcome.
pub type Result<T, E = FlowError> = std::result::Result<T, E>;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use strongroom_client::Client;
use strongroom_client::data;
use strongroom_contract::sharing::{
    AlgorithmKind, AlgorithmList, AlgorithmView, CatalogPage, CatalogSearch, Created,
    DatasetSummary, ExecutionMode, Invocation, OutputRule, Port, Query, Recipient,
    RegisterAlgorithm, RequestList, RequestTask, ResultView, TaskStatus, TaskView,
};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_identity::Member;

pub use strongroom_analyzer::builtin::{
    BUILTINS, builtin_measurement, is_genome, is_private, task_columns,
};
pub use strongroom_client::data::{member_label, org_label};

/// One committed invocation: its answer and its ledger entry.
pub async fn invoke<T: DeserializeOwned>(
    client: &Client,
    member: &Member,
    invocation: Invocation,
) -> Result<(T, u64)> {
    let invoked = client.invoke::<T>(member, &invocation).await?;
    let sequence = invoked
        .sequence
        .ok_or_else(|| input!("the node did not say which ledger entry records it"))?;
    Ok((invoked.value, sequence))
}

/// Every page of a listing query.
async fn all_pages<P: DeserializeOwned, T>(
    client: &Client,
    member: &Member,
    query: impl Fn(Option<String>) -> Query,
    split: impl Fn(P) -> (Vec<T>, Option<String>),
) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page: P = client.ask(member, &query(after.take())).await?;
        let (mut more, next) = split(page);
        items.append(&mut more);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(items),
        }
    }
}

/// Every catalog entry matching `search`, all pages.
pub async fn search_catalog(
    client: &Client,
    member: &Member,
    search: CatalogSearch,
) -> Result<Vec<DatasetSummary>> {
    all_pages(
        client,
        member,
        |after| {
            Query::SearchCatalog(CatalogSearch {
                limit: Some(100),
                after,
                ..search.clone()
            })
        },
        |p: CatalogPage| (p.items, p.next),
    )
    .await
}

/// All registered algorithms.
pub async fn list_algorithms(client: &Client, member: &Member) -> Result<Vec<AlgorithmView>> {
    all_pages(
        client,
        member,
        |after| Query::ListAlgorithms {
            after,
            limit: Some(1000),
        },
        |p: AlgorithmList| (p.items, p.next),
    )
    .await
}

/// The caller's tasks (see `list_my_tasks`).
pub async fn list_tasks(client: &Client, member: &Member) -> Result<Vec<TaskView>> {
    Ok(client.my_tasks(member).await?)
}

/// The caller's requests (see `list_my_requests`).
pub async fn list_requests(
    client: &Client,
    member: &Member,
) -> Result<Vec<strongroom_contract::sharing::RequestView>> {
    all_pages(
        client,
        member,
        |after| Query::ListMyRequests {
            after,
            limit: Some(1000),
        },
        |p: RequestList| (p.items, p.next),
    )
    .await
}

fn is_builtin(algorithm: &AlgorithmView, name: &str) -> bool {
    algorithm.name == name
        && algorithm.kind == AlgorithmKind::Builtin
        && algorithm.measurement == builtin_measurement(name)
}

/// Registers the built-in analyses that are not registered yet; returns all of them.
pub async fn register_builtins(client: &Client, member: &Member) -> Result<Vec<AlgorithmView>> {
    let existing = list_algorithms(client, member).await?;
    let mut out = Vec::new();
    for (name, description) in BUILTINS {
        if let Some(found) = existing.iter().find(|a| is_builtin(a, name)) {
            out.push(found.clone());
            continue;
        }
        let (created, _): (Created, u64) = invoke(
            client,
            member,
            Invocation::RegisterAlgorithm(aggregate_only(
                name,
                AlgorithmKind::Builtin,
                builtin_measurement(name),
                description,
                is_private(name),
                if is_genome(name) { "vcf" } else { "csv" },
            )),
        )
        .await
        .doing_with(|| format!("cannot register the built-in {name}"))?;
        let view: AlgorithmView = client
            .ask(member, &Query::GetAlgorithm { id: created.id })
            .await?;
        out.push(view);
    }
    Ok(out)
}

/// The registration of an aggregate-only algorithm over data of `format` (`csv`,
/// `vcf`) whose releases keep small cells suppressed (the built-ins and WebAssembly
/// modules alike).
fn aggregate_only(
    name: &str,
    kind: AlgorithmKind,
    measurement: String,
    description: &str,
    differentially_private: bool,
    format: &str,
) -> RegisterAlgorithm {
    RegisterAlgorithm {
        name: name.to_owned(),
        kind,
        measurement,
        description: description.to_owned(),
        inputs: vec![Port {
            name: "data".into(),
            format: format.into(),
        }],
        outputs: vec![Port {
            name: "result".into(),
            format: "json".into(),
        }],
        aggregate_only: true,
        differentially_private,
        output_rule: Some(OutputRule::SmallCellsSuppressed),
    }
}

/// Registers a WebAssembly algorithm: the module must fit the ABI (checked by the
/// sandbox before anything is registered); its measurement is its SHA-256. It is
/// registered aggregate-only with the output rule "small cells suppressed", which the
/// sandbox enforces on every run.
pub async fn register_wasm(
    client: &Client,
    member: &Member,
    module: &[u8],
    name: &str,
    description: &str,
    differentially_private: bool,
) -> Result<AlgorithmView> {
    let measurement: [u8; 32] = Sha256::digest(module).into();
    let sandbox = strongroom_sandbox::Sandbox::new()?;
    sandbox
        .load(module, &measurement)
        .doing("the module does not fit the algorithm ABI (docs/formats/algorithm-abi.md)")?;
    let (created, _): (Created, u64) = invoke(
        client,
        member,
        Invocation::RegisterAlgorithm(aggregate_only(
            name,
            AlgorithmKind::Wasm,
            hex::encode(measurement),
            description,
            differentially_private,
            "csv",
        )),
    )
    .await
    .doing_with(|| format!("cannot register {name}"))?;
    Ok(client
        .ask(member, &Query::GetAlgorithm { id: created.id })
        .await?)
}

/// An algorithm by id, or a built-in by name.
pub async fn find_algorithm(
    client: &Client,
    member: &Member,
    name_or_id: &str,
) -> Result<AlgorithmView> {
    if name_or_id.starts_with("alg-") {
        return Ok(client
            .ask(
                member,
                &Query::GetAlgorithm {
                    id: name_or_id.to_owned(),
                },
            )
            .await?);
    }
    list_algorithms(client, member)
        .await?
        .into_iter()
        .find(|a| is_builtin(a, name_or_id))
        .ok_or_else(|| {
            input!(
                "no built-in algorithm named {name_or_id} is registered (run `strongroom algorithm register-builtins`)"
            )
        })
}

/// What a task asks for: its inputs, algorithm and parameters, the columns a
/// WebAssembly algorithm reads (a built-in declares its own), and recipients besides
/// the requester.
pub struct TaskAsk<'a> {
    /// The input dataset ids.
    pub inputs: Vec<String>,
    /// The algorithm.
    pub algorithm: &'a AlgorithmView,
    /// The parameters (a JSON object).
    pub parameters: serde_json::Value,
    /// The columns a WebAssembly algorithm's module reads, in order.
    pub columns: Option<Vec<String>>,
    /// Recipients besides the requester.
    pub extra: Vec<Recipient>,
    /// TEE mode (an attested worker runs it) rather than at the owner's site.
    pub tee: bool,
    /// The ε a differentially private algorithm spends, in millionths.
    pub epsilon_micro: Option<u64>,
}

/// The `request_task` invocation for `ask`, with the caller as the recipient (plus
/// `extra` recipients). A built-in declares the columns its analysis reads; a
/// WebAssembly algorithm needs `columns`.
pub fn task_invocation(
    member: &Member,
    result_key: &PrivateKey,
    ask: TaskAsk<'_>,
) -> Result<Invocation> {
    let TaskAsk {
        inputs,
        algorithm,
        parameters,
        columns,
        extra,
        tee,
        epsilon_micro,
    } = ask;
    let columns = match (algorithm.kind, columns) {
        (AlgorithmKind::Wasm, Some(columns)) => columns,
        (AlgorithmKind::Wasm, None) => {
            return Err(input!(
                "a WebAssembly algorithm needs the columns its module reads (--columns)"
            ));
        }
        (AlgorithmKind::Builtin, _) => {
            task_columns(&algorithm.name, &parameters).map_err(|e| input!("{e}"))?
        }
    };
    let mut recipients = vec![Recipient {
        msp_id: member.msp_id().to_owned(),
        name: member.name().to_owned(),
        public_key: data::public_hex(result_key),
    }];
    recipients.extend(extra);
    Ok(Invocation::RequestTask(RequestTask {
        inputs,
        algorithm: algorithm.id.clone(),
        parameters,
        columns,
        recipients,
        mode: if tee {
            ExecutionMode::Tee
        } else {
            ExecutionMode::OwnerSide
        },
        epsilon_micro,
    }))
}

/// Commits [`task_invocation`]: answers the task id and its ledger entry.
pub async fn request_task(
    client: &Client,
    member: &Member,
    result_key: &PrivateKey,
    ask: TaskAsk<'_>,
) -> Result<(String, u64)> {
    let invocation = task_invocation(member, result_key, ask)?;
    let (created, sequence): (Created, u64) = invoke(client, member, invocation)
        .await
        .doing("cannot request the task")?;
    Ok((created.id, sequence))
}

/// A task's result, decrypted for the caller.
pub struct OpenedResult {
    /// What the ledger holds about it.
    pub view: ResultView,
    /// The plaintext, for a succeeded task.
    pub plaintext: Option<Vec<u8>>,
}

/// Reads a task's result and opens it with the member's result key.
pub async fn get_result(
    client: &Client,
    member: &Member,
    result_key: &PrivateKey,
    task: &str,
) -> Result<OpenedResult> {
    let view: ResultView = client
        .ask(
            member,
            &Query::ReadResult {
                task: task.to_owned(),
            },
        )
        .await?;
    let plaintext = match (&view.status, &view.ciphertext) {
        (TaskStatus::Succeeded, Some(ciphertext)) => {
            let envelope = hex::decode(ciphertext)
                .map_err(|_| FlowError::Protocol("the result ciphertext is not hex".into()))?;
            Some(data::open_result(
                task,
                &envelope,
                &member_label(member.msp_id(), member.name()),
                result_key,
            )?)
        }
        _ => None,
    };
    Ok(OpenedResult { view, plaintext })
}

/// Renders a result's plaintext: the analysis table if it is one, else the bytes.
pub fn render_result(plaintext: &[u8]) -> String {
    strongroom_analyzer::output::render(plaintext)
}
