//! `strongroom demo --genomes`: three hospitals each hold a share of a cohort's
//! samples (a VCF split by sample, with each sample's case/control status); a research
//! lab's allele-frequency and association tasks run over all three in an attested
//! worker, with keys the core releases only to it; the lab reads the top sites; an
//! unrelated organization is refused.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::json;
use strongroom_analyzer::Worker;
use strongroom_client::Client;
use strongroom_contract::sharing::{
    ApproveTask, CatalogPage, CatalogSearch, DatasetKind, Invocation, Query, TaskView,
};
use strongroom_genome::analysis::{GenomeAnalysis, GenomeInput, GenomeOutput};
use strongroom_genome::generate::{GenerateParams, write_phenotypes, write_vcf_bgzf};
use strongroom_identity::Member;
use strongroom_tee::{Platform, SIM_WARNING};

use super::multi_party::{HOSPITALS, Parties, start_node};
use super::{DemoArgs, Step, answer, bogus_id};
use crate::commands::flow::{self, DatasetSpec};
use crate::commands::net::{insecure_sim_policy, org_data_key, result_key};
use crate::commands::worker::sim_worker;

/// The seed of the generated cohort.
const SEED: u64 = 2026;
/// The minimum cell size each hospital sets.
const MIN_CELL_SIZE: u32 = 5;
/// How many rows the lab asks for.
const TOP: u32 = 10;

/// One hospital's share: its VCF and the case/control status of its samples.
struct Share {
    vcf: PathBuf,
    phenotypes: PathBuf,
    samples: usize,
}

/// The cohort: `--data FILE` (a real VCF, every other sample made a case), or a
/// seeded synthetic one generated here; then split by sample into three shares.
fn shares(args: &DemoArgs, base: &Path, step: &Step) -> Result<(PathBuf, PathBuf, Vec<Share>)> {
    let dir = base.join("cohort");
    std::fs::create_dir_all(&dir)?;
    let phenotypes = dir.join("phenotypes.csv");
    let vcf = match &args.data {
        Some(file) => {
            let names = sample_names(file)?;
            ensure!(
                names.len() >= 3,
                "{}: {} samples; three hospitals need at least 3",
                file.display(),
                names.len()
            );
            let params = GenerateParams::new(SEED, 0, names.len());
            write_statuses(&phenotypes, &names, |i| params.is_case(i))?;
            step.say(&format!(
                "{}: {} samples; the file has no phenotypes, so every other sample is made a case",
                file.display(),
                names.len()
            ));
            file.clone()
        }
        None => {
            let vcf = dir.join("cohort.vcf.gz");
            let mut params = GenerateParams::new(SEED, args.sites, usize::try_from(args.samples)?);
            params.associated = 5.min(args.sites);
            generate_cohort(&params, &vcf, &phenotypes)?;
            step.say(&format!(
                "generated a synthetic cohort from seed {SEED}: {} sites (5 associated with the phenotype), {} samples (half cases), BGZF VCF",
                args.sites, args.samples
            ));
            vcf
        }
    };
    let statuses = strongroom_genome::Phenotypes::open(&phenotypes)
        .map_err(|e| anyhow!("{}: {e}", phenotypes.display()))?;
    let names = sample_names(&vcf)?;
    let share_dirs: Vec<PathBuf> = HOSPITALS
        .iter()
        .map(|h| base.join("shares").join(h))
        .collect();
    let mut outputs = Vec::new();
    for dir in &share_dirs {
        std::fs::create_dir_all(dir)?;
        let file = std::fs::File::create(dir.join("cohort.vcf"))?;
        outputs.push(std::io::BufWriter::new(file));
    }
    let input =
        std::fs::File::open(&vcf).with_context(|| format!("cannot open {}", vcf.display()))?;
    let report = strongroom_genome::split_by_sample(input, &mut outputs)
        .map_err(|e| anyhow!("{}: {e}", vcf.display()))?;
    drop(outputs);
    let mut shares = Vec::new();
    let mut first = 0;
    for (dir, &count) in share_dirs.iter().zip(&report.samples) {
        let share_phenotypes = dir.join("phenotypes.csv");
        let names = &names[first..first + count];
        write_statuses(&share_phenotypes, names, |i| {
            statuses.status(&names[i]) == Some(strongroom_genome::Status::Case)
        })?;
        first += count;
        shares.push(Share {
            vcf: dir.join("cohort.vcf"),
            phenotypes: share_phenotypes,
            samples: count,
        });
    }
    Ok((vcf, phenotypes, shares))
}

/// The sample names of the VCF at `path` (kept on this machine: the hospitals' own).
fn sample_names(path: &Path) -> Result<Vec<String>> {
    let reader = strongroom_genome::VcfReader::open(path)
        .map_err(|e| anyhow!("{}: not a valid VCF: {e}", path.display()))?;
    Ok(reader.sample_names().to_vec())
}

/// Writes a phenotype table (`sample,status`) of `names`, a case where `is_case`.
fn write_statuses(path: &Path, names: &[String], is_case: impl Fn(usize) -> bool) -> Result<()> {
    let mut text = String::from("sample,status\n");
    for (i, name) in names.iter().enumerate() {
        text.push_str(name);
        text.push_str(if is_case(i) { ",case\n" } else { ",control\n" });
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Generates the cohort of `params`: its VCF (BGZF) at `vcf`, its phenotype table at
/// `phenotypes`.
pub(crate) fn generate_cohort(
    params: &GenerateParams,
    vcf: &Path,
    phenotypes: &Path,
) -> Result<()> {
    let file =
        std::fs::File::create(vcf).with_context(|| format!("cannot create {}", vcf.display()))?;
    write_vcf_bgzf(params, file).with_context(|| format!("cannot write {}", vcf.display()))?;
    let file = std::fs::File::create(phenotypes)
        .with_context(|| format!("cannot create {}", phenotypes.display()))?;
    write_phenotypes(params, file).with_context(|| format!("cannot write {}", phenotypes.display()))
}

/// A hospital's share, put for attested workers too (`--tee`).
fn share_spec(owner: &Member, share: &Share) -> DatasetSpec {
    DatasetSpec {
        name: format!("Genomes of {}", owner.msp_id()),
        kind: DatasetKind::Vcf,
        description: "Germline variants of a case/control cohort, with each sample's status".into(),
        labels: vec!["genomics".into(), "multi-site".into()],
        purposes: vec!["research".into()],
        consent_expires_at_ms: None,
        min_cell_size: Some(MIN_CELL_SIZE),
        time_column: None,
        tee: true,
        tee_only: false,
        epsilon_budget_micro: None,
        files: vec![share.vcf.clone(), share.phenotypes.clone()],
    }
}

/// Runs the genome demo in `base`.
pub(super) async fn demo(args: &DemoArgs, base: &Path) -> Result<()> {
    let mut step = Step {
        number: 0,
        started: Instant::now(),
    };
    println!("strongroom demo --genomes: three hospitals, one research lab, one cohort");
    println!("working directory: {}", base.display());

    let parties = Parties::create(base, &mut step)?;

    step.next("Split the cohort's samples between the three hospitals");
    let (cohort, phenotypes, shares) = shares(args, base, &step)?;
    for (msp, share) in HOSPITALS.iter().zip(&shares) {
        step.say(&format!("{msp}: {} samples", share.samples));
    }

    let (running, url) = start_node(base, &parties, &mut step).await?;
    let people = People {
        hospitals: parties.hospitals.iter().map(|(_, owner)| owner).collect(),
        rita: &parties.rita,
        worker: &parties.worker,
        eve: &parties.eve,
        lab_dir: &parties.lab.dir,
    };
    let outcome = flow_steps(
        &mut step,
        base,
        &url,
        &people,
        &shares,
        (&cohort, &phenotypes),
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

struct People<'a> {
    hospitals: Vec<&'a Member>,
    rita: &'a Member,
    worker: &'a Member,
    eve: &'a Member,
    lab_dir: &'a Path,
}

async fn flow_steps(
    step: &mut Step,
    base: &Path,
    url: &str,
    people: &People<'_>,
    shares: &[Share],
    unsplit: (&Path, &Path),
) -> Result<()> {
    let client = Client::connect(url, None, &insecure_sim_policy()).await?;
    step.say("clients verified the node's attestation");

    step.next("Each hospital checks its VCF, encrypts it and its phenotypes, and registers them");
    let mut datasets = Vec::new();
    for (owner, share) in people.hospitals.iter().zip(shares) {
        let org_key = org_data_key(&base.join("orgs").join(owner.msp_id()))?;
        let put =
            flow::put_dataset(&client, owner, &org_key, &share_spec(owner, share), false).await?;
        step.say(&format!(
            "{}: dataset {} (ledger entry {}); key wrapped to its own data key and to the core's key-release key",
            owner.msp_id(),
            put.id,
            put.sequence
        ));
        datasets.push(put.id);
    }

    step.next("The lab finds the genome datasets in the catalog: their shape, never a sample name");
    let page: CatalogPage = client
        .ask(
            people.rita,
            &Query::SearchCatalog(CatalogSearch {
                kind: Some(DatasetKind::Vcf),
                ..CatalogSearch::default()
            }),
        )
        .await?;
    for entry in &page.items {
        for genome in &entry.genomes {
            step.say(&format!(
                "{} ({}): {}: {} samples, {} records on {} contigs",
                entry.id,
                entry.owner_msp,
                genome.file,
                genome.summary.samples,
                genome.summary.records,
                genome.summary.contigs.len()
            ));
        }
    }

    step.next(
        "The lab asks for allele frequencies and an association test over all three (TEE mode)",
    );
    let builtins = flow::register_builtins(&client, people.rita).await?;
    let algorithm = |name: &str| {
        builtins
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| anyhow!("{name} is not registered"))
    };
    let vcf_name = file_name(&shares[0].vcf)?;
    let phenotype_name = file_name(&shares[0].phenotypes)?;
    let rita_key = result_key(people.lab_dir, people.rita.name())?;
    let asks = [
        (
            "allele_frequency",
            json!({"vcf_file": vcf_name, "min_af": 0.05, "limit": TOP}),
        ),
        (
            "association",
            json!({"vcf_file": vcf_name, "phenotype_file": phenotype_name, "limit": TOP}),
        ),
    ];
    let mut tasks = Vec::new();
    for (name, parameters) in asks {
        let (task, _) = flow::request_task(
            &client,
            people.rita,
            &rita_key,
            flow::TaskAsk {
                inputs: datasets.clone(),
                algorithm: algorithm(name)?,
                parameters,
                columns: None,
                extra: Vec::new(),
                tee: true,
                epsilon_micro: None,
            },
        )
        .await?;
        step.say(&format!(
            "task {task} ({name}): pending the approval of each hospital"
        ));
        tasks.push(task);
    }

    step.next("Each hospital reviews exactly what it approves, and approves");
    for owner in &people.hospitals {
        let waiting = flow::list_tasks(&client, owner).await?;
        ensure!(
            waiting.len() == tasks.len(),
            "{} was asked about {} tasks, not {}",
            owner.msp_id(),
            waiting.len(),
            tasks.len()
        );
        for view in &waiting {
            step.say(&format!(
                "{} approves {} ({}, columns {:?}, k = {}, {} inputs)",
                owner.msp_id(),
                view.id,
                view.algorithm.name,
                view.columns,
                view.min_cell_size,
                view.inputs.len()
            ));
            flow::invoke::<TaskView>(
                &client,
                owner,
                Invocation::ApproveTask(ApproveTask {
                    task: view.id.clone(),
                }),
            )
            .await?;
        }
    }

    step.next("The lab's attested worker claims each task, receives the keys, runs it");
    let platform = sim_worker()?;
    step.say(&format!(
        "{SIM_WARNING}: worker measurement {}",
        platform.measurement()?
    ));
    let executed = Worker::new(&client, people.worker, &platform, base.join("worker"))
        .pass()
        .await?;
    for e in &executed {
        step.say(&e.line());
    }
    ensure!(
        executed.len() == tasks.len() && executed.iter().all(|e| e.status == "succeeded"),
        "the worker did not complete every task"
    );

    step.next("The lab reads the top sites; the same analyses over the unsplit cohort agree");
    for task in &tasks {
        let plaintext = flow::get_result(&client, people.rita, &rita_key, task)
            .await?
            .plaintext
            .ok_or_else(|| anyhow!("task {task} has no readable result"))?;
        for line in flow::render_result(&plaintext).lines() {
            step.say(&format!("  {line}"));
        }
        let combined: GenomeOutput = serde_json::from_slice(&plaintext)?;
        let view: TaskView = client
            .ask(people.rita, &Query::GetTask { id: task.clone() })
            .await?;
        let unsplit = unsplit_analysis(unsplit, &view)?;
        ensure!(
            combined == unsplit,
            "task {task}: the combined result differs from the same analysis over the unsplit cohort"
        );
        step.say("  = the same analysis over the unsplit cohort, computed here");
    }

    step.next("The unrelated organization is refused, as for things that do not exist");
    for task in &tasks {
        let seen = answer(
            &client,
            people.eve,
            &Query::ReadResult { task: task.clone() },
        )
        .await;
        let nothing = answer(
            &client,
            people.eve,
            &Query::ReadResult {
                task: bogus_id(task),
            },
        )
        .await;
        if !(seen.starts_with("refused") && seen == nothing) {
            bail!("OtherMSP reading {task}'s result got {seen:?}, and for nothing {nothing:?}");
        }
        step.say(&format!(
            "the result of {task}: {seen:?}, the answer for an id that does not exist"
        ));
    }
    Ok(())
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .with_context(|| format!("{}: not a file name", path.display()))
}

/// The analysis of `view` over the unsplit cohort, computed here.
fn unsplit_analysis((vcf, phenotypes): (&Path, &Path), view: &TaskView) -> Result<GenomeOutput> {
    let analysis: GenomeAnalysis =
        strongroom_analyzer::builtin::genome_analysis(&view.algorithm.name, &view.parameters)?;
    let open = |path: &Path| -> Result<Box<dyn std::io::Read>> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Box::new(std::io::BufReader::new(file)))
    };
    let input = GenomeInput {
        label: "unsplit".into(),
        vcf: open(vcf)?,
        phenotypes: match analysis.phenotype_file() {
            Some(_) => Some(open(phenotypes)?),
            None => None,
        },
        index: None,
    };
    let mut output = strongroom_genome::analysis::run(&analysis, view.min_cell_size, vec![input])?;
    // The inputs count differs by construction.
    match &mut output {
        GenomeOutput::AlleleFrequency(rows) => rows.inputs = view.inputs.len() as u32,
        GenomeOutput::Association(rows) => rows.inputs = view.inputs.len() as u32,
    }
    Ok(output)
}
