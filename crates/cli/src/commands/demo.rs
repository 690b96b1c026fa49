//! `strongroom demo`: the genome/patient data-sharing flow end to end, on one machine,
//! through the same HTTPS API, SDK and steps as the commands.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::Args;
use serde_json::json;
use strongroom_client::Client;
use strongroom_contract::ObjectPurpose;
use strongroom_contract::sharing::{
    ApprovePermission, CatalogPage, CatalogSearch, Created, DatasetKind, Invocation, Query,
    RequestPermission, Scope, SharingContract, TaskStatus, TaskView,
};
use strongroom_identity::{Member, OrgCa, Role, Validity};
use strongroom_node::{GenesisOrg, Node, NodeSettings, RunningNode};

mod cluster;
mod genomes;
pub(crate) use genomes::generate_cohort;
pub(crate) mod multi_party;

use super::flow::{self, DatasetSpec};
use super::net::{block_on, insecure_sim_policy, org_data_key, result_key};

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A Synthea CSV export (a directory with patients.csv and conditions.csv) to use
    /// instead of generated synthetic patients, e.g. ../shared/data/synthea/apr2020_1k;
    /// with --genomes, a VCF to split by sample instead of a generated cohort, e.g.
    /// ../shared/data/vcf/pyvcf/1kg.vcf.gz.
    #[arg(long, value_name = "DIR|FILE")]
    data: Option<PathBuf>,
    /// How many synthetic patients to generate (without --data).
    #[arg(long, default_value_t = 1000)]
    patients: usize,
    /// Keep everything (orgs, node data, ledger export, receipt) in this new directory
    /// instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Three hospitals each hold a share of the patients; a research lab's stratify and
    /// WebAssembly count-by-group tasks run over all three in an attested worker (TEE
    /// mode), with keys the core releases only to it.
    #[arg(long)]
    multi_party: bool,
    /// With --multi-party: the count-by-group module [default:
    /// target/algorithms/wasm32-unknown-unknown/release/count_by_group.wasm, built by
    /// scripts/build-algorithms.sh].
    #[arg(long, value_name = "FILE", requires = "multi_party")]
    wasm: Option<PathBuf>,
    /// Run the flow on a consortium of this many nodes of the three organizations
    /// (`devnet`: each node its own process, joined by attestation), the clients
    /// talking to a follower that forwards every write to the leader.
    #[arg(long, value_name = "N", conflicts_with = "multi_party")]
    nodes: Option<u64>,
    /// Three hospitals each hold a share of a cohort's samples (VCF, with case/control
    /// status); a research lab's allele-frequency and association tasks run over all
    /// three in an attested worker (TEE mode).
    #[arg(long, conflicts_with_all = ["multi_party", "nodes"])]
    genomes: bool,
    /// With --genomes and no --data: the generated cohort's sites.
    #[arg(long, default_value_t = 2_000, requires = "genomes")]
    sites: u64,
    /// With --genomes and no --data: the generated cohort's samples.
    #[arg(long, default_value_t = 300, requires = "genomes")]
    samples: u64,
}

/// The condition the demo stratifies: viral sinusitis (SNOMED-CT 444814009).
pub(crate) const CONDITION_CODE: &str = "444814009";

pub(crate) struct Step {
    number: u32,
    started: Instant,
}

impl Step {
    fn next(&mut self, text: &str) {
        self.number += 1;
        println!("\n{:>2}. {text}", self.number);
    }
    fn say(&self, text: &str) {
        for line in text.lines() {
            println!("    {line}");
        }
    }
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> Result<()> {
    let temp;
    let base: PathBuf = match &args.keep {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                bail!("--keep {}: the directory is not empty", dir.display());
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("strongroom-demo-")
                .tempdir()
                .context("cannot create a temporary directory")?;
            temp.path().to_path_buf()
        }
    };
    if args.genomes {
        return block_on(genomes::demo(&args, &base))?;
    }
    if args.multi_party {
        return block_on(multi_party::demo(&args, &base))?;
    }
    if let Some(nodes) = args.nodes {
        return block_on(cluster::demo(&args, &base, nodes))?;
    }
    block_on(demo(&args, &base))?
}

pub(crate) struct Org {
    pub(crate) dir: PathBuf,
    pub(crate) ca: OrgCa,
}

pub(crate) fn make_org(base: &Path, msp: &str) -> Result<Org> {
    let dir = base.join("orgs").join(msp);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ca = OrgCa::new(msp, Validity::starting_now(time::Duration::days(30))?)?;
    ca.save(&dir, None)?;
    Ok(Org { dir, ca })
}

pub(crate) fn enroll(org: &Org, name: &str, role: Role) -> Result<Member> {
    let member = org.ca.enroll_member(
        name,
        role,
        Validity::starting_now(time::Duration::days(30))?,
    )?;
    member.save(&org.dir, None)?;
    Ok(member)
}

/// The settings of a demo's node in `base/node`: `orgs` at genesis, and the worker
/// policy file if any.
pub(crate) fn node_settings(
    base: &Path,
    orgs: &[&Org],
    worker_policy: Option<PathBuf>,
) -> Result<NodeSettings> {
    Ok(NodeSettings {
        data_dir: base.join("node"),
        listen: "127.0.0.1:0".parse()?,
        organizations: orgs
            .iter()
            .map(|o| GenesisOrg {
                msp_id: o.ca.msp_id().to_owned(),
                ca_cert: o.dir.join("ca.pem"),
            })
            .collect(),
        worker_policy,
        signature_every_ms: 50,
        ..NodeSettings::default()
    })
}

/// The Synthea export a demo uses: `--data`, or synthetic patients generated in `base`.
fn source_data(args: &DemoArgs, base: &Path, step: &Step) -> Result<PathBuf> {
    Ok(match &args.data {
        Some(dir) => dir.clone(),
        None => {
            let dir = base.join("synthea");
            let summary = strongroom_compute::synthetic::generate(&dir, args.patients, 2020)?;
            step.say(&format!(
                "generated synthetic Synthea CSVs: {} patients, {} conditions",
                summary.patients, summary.conditions
            ));
            dir
        }
    })
}

/// Another id of the same shape that names nothing.
fn bogus_id(id: &str) -> String {
    let (prefix, rest) = id.split_once('-').unwrap_or(("", id));
    let rest: String = rest
        .chars()
        .map(|c| if c == '0' { 'f' } else { '0' })
        .collect();
    format!("{prefix}-{rest}")
}

/// What a query answers, as the caller sees it: the value or the refusal, as text.
async fn answer(client: &Client, member: &Member, query: &Query) -> String {
    match client.ask::<serde_json::Value>(member, query).await {
        Ok(value) => format!("answered {value}"),
        // A refusal displays as `refused: REASON`; anything else as its own error.
        Err(error) => error.to_string(),
    }
}

async fn demo(args: &DemoArgs, base: &Path) -> Result<()> {
    let started = Instant::now();
    let mut step = Step { number: 0, started };
    println!("strongroom demo: three organizations share and analyse patient data");
    println!("working directory: {}", base.display());

    step.next("Create three organizations, each with its own CA and members");
    let org1 = make_org(base, "Org1MSP")?;
    let org2 = make_org(base, "Org2MSP")?;
    let org3 = make_org(base, "Org3MSP")?;
    let alice = enroll(&org1, "alice", Role::Owner)?;
    let analyzer = enroll(&org1, "analyzer", Role::Executor)?;
    let bob = enroll(&org2, "bob", Role::Analyst)?;
    let eve = enroll(&org3, "eve", Role::Analyst)?;
    step.say("Org1MSP (hospital, data owner): alice (owner), analyzer (executor)");
    step.say("Org2MSP (research lab):         bob (analyst)");
    step.say("Org3MSP (unrelated):            eve (analyst)");

    step.next("Start a node (one-member Raft cluster, enclave core, HTTPS API)");
    let settings = node_settings(base, &[&org1, &org2, &org3], None)?;
    let node = Node::open(&settings, Box::new(SharingContract)).await?;
    let running = RunningNode::start(node, &settings).await?;
    let url = format!("https://localhost:{}", running.addr().port());
    step.say(&format!("listening on {url}"));
    step.say("WARNING: INSECURE SIMULATION: no TEE on this machine; the evidence is simulated");
    let outcome = flow_steps(
        args,
        base,
        &mut step,
        &url,
        None,
        [&alice, &analyzer, &bob, &eve],
    )
    .await;
    running.shutdown().await?;
    outcome?;
    println!(
        "\ndemo complete in {:.1} s: every step above ran through the node's HTTPS API",
        step.started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) async fn flow_steps(
    args: &DemoArgs,
    base: &Path,
    step: &mut Step,
    url: &str,
    ops: Option<&str>,
    [alice, analyzer, bob, eve]: [&Member; 4],
) -> Result<()> {
    let client = Client::connect(url, None, &insecure_sim_policy()).await?;
    step.say(&format!(
        "clients verified the node's attestation ({:?}, measurement {}) before sending anything",
        client.claims().platform,
        &hex::encode(client.claims().measurement.as_bytes())[..16]
    ));
    let org1_dir = base.join("orgs").join("Org1MSP");
    let org2_dir = base.join("orgs").join("Org2MSP");

    step.next("Org1 stores patient data, encrypted on its side, and registers it with consent");
    let data_dir = source_data(args, base, step)?;
    let files = vec![
        data_dir.join("patients.csv"),
        data_dir.join("conditions.csv"),
    ];
    for file in &files {
        ensure!(file.is_file(), "{} is missing", file.display());
    }
    let org_key = org_data_key(&org1_dir)?;
    let put = flow::put_dataset(
        &client,
        alice,
        &org_key,
        &DatasetSpec {
            name: "Patients and conditions".into(),
            kind: DatasetKind::Csv,
            description: "Synthea patients with their conditions (SNOMED-CT)".into(),
            labels: vec!["ehr".into(), "synthea".into()],
            purposes: vec!["research".into()],
            consent_expires_at_ms: None,
            min_cell_size: Some(11),
            time_column: None,
            tee: false,
            tee_only: false,
            epsilon_budget_micro: None,
            files,
        },
        false,
    )
    .await?;
    for f in &put.files {
        step.say(&format!(
            "{}: {} bytes encrypted to {} bytes, uploaded to {}",
            f.name, f.plaintext_size, f.ciphertext_size, f.location
        ));
    }
    step.say(&format!(
        "registered dataset {} (ledger entry {}); its key is wrapped to Org1's data key only",
        put.id, put.sequence
    ));

    step.next("Org2 registers the built-in analyses and searches the catalog");
    let algorithms = flow::register_builtins(&client, bob).await?;
    for a in &algorithms {
        step.say(&format!("algorithm {} = {}", a.id, a.name));
    }
    let page: CatalogPage = client
        .ask(
            bob,
            &Query::SearchCatalog(CatalogSearch {
                text: Some("patients conditions".into()),
                ..CatalogSearch::default()
            }),
        )
        .await?;
    let found = page
        .items
        .iter()
        .find(|d| d.id == put.id)
        .ok_or_else(|| anyhow!("the catalog search did not find {}", put.id))?;
    step.say(&format!(
        "found {} {:?} of {} ({} bytes, columns: {})",
        found.id,
        found.name,
        found.owner_msp,
        found.size_bytes,
        found.columns.len()
    ));

    step.next("Org2 requests permission to run describe and stratify for research");
    let (request, sequence): (Created, u64) = flow::invoke(
        &client,
        bob,
        Invocation::RequestPermission(RequestPermission {
            dataset: put.id.clone(),
            purpose: "research".into(),
            algorithms: algorithms.iter().map(|a| a.id.clone()).collect(),
            scope: Scope {
                columns: found.columns.clone(),
                rows: None,
                expires_at_ms: None,
            },
        }),
    )
    .await?;
    step.say(&format!("request {} (ledger entry {sequence})", request.id));

    step.next("Org1 sees the pending request and approves it");
    let pending = flow::list_requests(&client, alice).await?;
    ensure!(
        pending.iter().any(|r| r.id == request.id),
        "Org1 does not see the request"
    );
    let (grant, sequence): (Created, u64) = flow::invoke(
        &client,
        alice,
        Invocation::ApprovePermission(ApprovePermission {
            request: request.id.clone(),
        }),
    )
    .await?;
    step.say(&format!("grant {} (ledger entry {sequence})", grant.id));

    step.next("Org2 requests a describe and a stratify task, results encrypted to bob");
    let bob_key = result_key(&org2_dir, bob.name())?;
    let find = |name: &str| {
        algorithms
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| anyhow!("built-in {name} is not registered"))
    };
    let (describe_task, _) = flow::request_task(
        &client,
        bob,
        &bob_key,
        flow::TaskAsk {
            inputs: vec![put.id.clone()],
            algorithm: find("describe")?,
            parameters: json!({"file": "conditions.csv", "column": "DESCRIPTION"}),
            columns: None,
            extra: Vec::new(),
            tee: false,
            epsilon_micro: None,
        },
    )
    .await?;
    let (stratify_task, _) = flow::request_task(
        &client,
        bob,
        &bob_key,
        flow::TaskAsk {
            inputs: vec![put.id.clone()],
            algorithm: find("stratify")?,
            parameters: json!({"patients_file": "patients.csv", "conditions_file": "conditions.csv",
                   "condition": {"code": CONDITION_CODE}}),
            columns: None,
            extra: Vec::new(),
            tee: false,
            epsilon_micro: None,
        },
    )
    .await?;
    for task in [&describe_task, &stratify_task] {
        let view: TaskView = client
            .ask(bob, &Query::GetTask { id: task.clone() })
            .await?;
        step.say(&format!(
            "task {} ({}): {:?}, covered by the grant; config hash {}",
            view.id,
            view.algorithm.name,
            view.status,
            &view.config_hash[..16]
        ));
        ensure!(
            view.status == TaskStatus::Approved,
            "task {} is {:?}, expected approved",
            view.id,
            view.status
        );
    }

    step.next("Org1's analyzer claims the tasks, decrypts the data at Org1, runs them");
    let work = base.join("analyzer");
    let executed = strongroom_analyzer::Analyzer::new(&client, analyzer, &org_key, &work)
        .pass()
        .await?;
    for e in &executed {
        step.say(&e.line());
    }
    ensure!(
        executed.len() == 2 && executed.iter().all(|e| e.status == "succeeded"),
        "the analyzer did not complete both tasks"
    );
    let last_sequence = executed
        .iter()
        .filter_map(|e| e.sequence)
        .max()
        .unwrap_or(0);

    step.next("Org2 reads and decrypts its results");
    for task in [&describe_task, &stratify_task] {
        let opened = flow::get_result(&client, bob, &bob_key, task).await?;
        let plaintext = opened
            .plaintext
            .ok_or_else(|| anyhow!("task {task} has no readable result"))?;
        step.say(&format!("result of {task}:"));
        for line in flow::render_result(&plaintext).lines() {
            step.say(&format!("  {line}"));
        }
    }

    step.next("Org3 (unrelated) tries to look; it gets what it would get for nothing at all");
    let probes = [
        (
            "the dataset's audit trail",
            Query::AuditTrail {
                dataset: put.id.clone(),
                after: None,
                limit: None,
            },
            Query::AuditTrail {
                dataset: bogus_id(&put.id),
                after: None,
                limit: None,
            },
        ),
        (
            "the permission request",
            Query::GetRequest {
                id: request.id.clone(),
            },
            Query::GetRequest {
                id: bogus_id(&request.id),
            },
        ),
        (
            "the task",
            Query::GetTask {
                id: describe_task.clone(),
            },
            Query::GetTask {
                id: bogus_id(&describe_task),
            },
        ),
        (
            "the result",
            Query::ReadResult {
                task: describe_task.clone(),
            },
            Query::ReadResult {
                task: bogus_id(&describe_task),
            },
        ),
    ];
    for (what, real, fake) in &probes {
        let seen = answer(&client, eve, real).await;
        let nothing = answer(&client, eve, fake).await;
        ensure!(
            seen.starts_with("refused") && seen == nothing,
            "Org3 asking for {what} got {seen:?}, and for something that does not exist {nothing:?}"
        );
        step.say(&format!(
            "{what}: {seen:?}, byte for byte the answer for an id that does not exist"
        ));
    }
    // Even knowing where the ciphertext is, Org3 cannot tell it from nothing.
    let location = &put.files[0].location;
    let nowhere = format!("data/{}", "0".repeat(32));
    let mut object_answers = Vec::new();
    for probe in [location.as_str(), nowhere.as_str()] {
        let answer = match client
            .get_object(eve, ObjectPurpose::OwnerRead, probe)
            .await
        {
            Ok(_) => bail!("Org3 was served the object at {probe}"),
            Err(error) => error.to_string(),
        };
        object_answers.push(answer);
    }
    ensure!(
        object_answers[0] == object_answers[1],
        "Org3's download of the dataset's object got {:?}, of nothing {:?}",
        object_answers[0],
        object_answers[1]
    );
    step.say(&format!(
        "the dataset's encrypted object, at its location: {:?}, byte for byte the answer where nothing is",
        object_answers[0]
    ));
    let mine = flow::list_tasks(&client, eve).await?;
    ensure!(mine.is_empty(), "Org3 lists tasks it is not party to");
    step.say("its task and request lists are empty; the catalog entry stays public to members");

    step.next("Verify the ledger and a receipt offline, against the attested service key");
    // The ledger's length: from /healthz, or on a devnet (whose nodes serve it on a
    // local listener of their own) from /metrics there.
    let ledger_sequence = match ops {
        None => client.health().await?.ledger_sequence,
        Some(ops) => super::devnet::gauge(
            &super::devnet::ops_client()?,
            ops,
            "strongroom_ledger_sequence",
        )
        .await
        .ok_or_else(|| anyhow!("{ops}/metrics shows no ledger sequence"))?,
    };
    let export = client.export(eve, 1, ledger_sequence).await?;
    let export_path = base.join("ledger.export");
    std::fs::write(&export_path, &export)?;
    let summary = strongroom_ledger::verify_export(
        &mut std::io::BufReader::new(std::fs::File::open(&export_path)?),
        Some(client.service_key()),
    )?;
    step.say(&format!(
        "{}: {} entries, {} signatures, every hash link and signed Merkle root checked",
        export_path.display(),
        summary.entries,
        summary.signatures
    ));
    let receipt = client.receipt(last_sequence).await?;
    let receipt_path = base.join(format!("receipt-{last_sequence}.json"));
    std::fs::write(&receipt_path, receipt.encode()?)?;
    let reread = strongroom_ledger::Receipt::decode(&std::fs::read_to_string(&receipt_path)?)?;
    let verified = reread.verify(Some(client.service_key()))?;
    ensure!(
        verified.signer_trusted,
        "the receipt is not signed by the service"
    );
    step.say(&format!(
        "{}: entry {} (the last result) is in the ledger of {} entries, root signed by the service",
        receipt_path.display(),
        verified.entry.sequence(),
        verified.tree_size
    ));
    step.say("(check them again with `strongroom ledger verify` and `strongroom receipt verify`)");
    Ok(())
}
