//! What the targets share, made once per process: member identities, a core after
//! genesis on the **INSECURE SIMULATION** platform, a contract state with one of
//! everything, the object key and the attestation samples.
//!
//! Keys are random per process (the project's constructors take no seed), so the
//! targets that need them take inputs that do not depend on them: a fuzzed signed
//! request is signed and sealed here, for instance, not carried sealed in the corpus.
//! Time is fixed ([`NOW_MS`]): the core checks certificates and freshness at ledger
//! or host time, both given here, so a seed's `not after` stays valid for good.
//! Setup failures are broken invariants of this crate, not findings: they `expect`.

use std::sync::{Mutex, MutexGuard, OnceLock};

use strongroom_contract::sharing::SharingContract;
use strongroom_contract::{Caller, Contract, MemState, Overlay, TxContext};
use strongroom_enclave::governance::Threshold;
use strongroom_enclave::{
    Constitution, Enclave, EnclaveRequest, EnclaveResponse, ExecuteContext, Organization,
    PublicKeys,
};
use strongroom_identity::{Member, OrgCa, Role, TrustStore, Validity};
use strongroom_tee::{
    CodeIdentity, DcapCollateral, MeasurementPattern, Platform, PlatformKind, Policy, SimPlatform,
    SnpCollateral,
};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The data key of the `object` target (fixed, so that seed objects stay valid).
pub const OBJECT_KEY: [u8; 32] = [0x5a; 32];

/// The host secret of the sim platform (any 32 bytes will do for a simulation).
const HOST_SECRET: [u8; 32] = [0x42; 32];

/// The time of the core's genesis and of every check: 2026-01-01T00:00:00Z, in ms
/// since the Unix epoch.
pub const NOW_MS: u64 = 1_767_225_600_000;

/// The fixture core's endpoint key (what object and export authorizations name as
/// their node).
pub const NODE: [u8; 32] = [0x4e; 32];

/// Organizations and members, valid from 30 days before [`NOW_MS`] to a year after.
pub struct Identities {
    /// Org1's root CA.
    pub org1: OrgCa,
    /// Org2's root CA.
    pub org2: OrgCa,
    /// Org3's root CA (not a founding organization: governance may add it).
    pub org3: OrgCa,
    /// Org1, owner.
    pub alice: Member,
    /// Org1, admin.
    pub admin: Member,
    /// Org2, analyst.
    pub bob: Member,
    /// Org2, admin.
    pub dora: Member,
    /// Org1 and Org2.
    pub trust: TrustStore,
    /// [`NOW_MS`].
    pub now_ms: u64,
}

impl Identities {
    /// The member at `index` (modulo 4): alice, admin, bob, dora.
    pub fn member(&self, index: u8) -> &Member {
        match index % 4 {
            0 => &self.alice,
            1 => &self.admin,
            2 => &self.bob,
            _ => &self.dora,
        }
    }

    /// [`Identities::now_ms`] as a time.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The shared identities.
pub fn identities() -> &'static Identities {
    static IDENTITIES: OnceLock<Identities> = OnceLock::new();
    IDENTITIES.get_or_init(|| {
        let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(NOW_MS) * 1_000_000)
            .expect("setup: a constant time in range");
        // Setup: a fixed, positive duration, and names the issuer accepts.
        let year = Validity::new(now - Duration::days(30), now + Duration::days(365))
            .expect("a year-long validity is valid");
        let org1 = OrgCa::new("Org1MSP", year).expect("Org1 CA");
        let org2 = OrgCa::new("Org2MSP", year).expect("Org2 CA");
        let org3 = OrgCa::new("Org3MSP", year).expect("Org3 CA");
        let alice = org1
            .enroll_member("alice", Role::Owner, year)
            .expect("alice");
        let admin = org1
            .enroll_member("root", Role::Admin, year)
            .expect("admin");
        let bob = org2.enroll_member("bob", Role::Analyst, year).expect("bob");
        let dora = org2.enroll_member("dora", Role::Admin, year).expect("dora");
        let mut trust = TrustStore::new();
        trust.insert("Org1MSP", org1.cert_der().to_vec());
        trust.insert("Org2MSP", org2.cert_der().to_vec());
        Identities {
            org1,
            org2,
            org3,
            alice,
            admin,
            bob,
            dora,
            trust,
            now_ms: NOW_MS,
        }
    })
}

/// A core that executed its genesis, and the snapshot to bring it back there.
pub struct CoreFixture {
    core: Mutex<Enclave>,
    snapshot: Vec<u8>,
    /// The service public keys (clients seal to `transaction_key`).
    pub public_keys: PublicKeys,
    /// The genesis payload (a real genesis record).
    pub genesis_payload: Vec<u8>,
}

/// The code identity the sim core runs as.
pub fn code() -> CodeIdentity {
    CodeIdentity::new("strongroom-enclave", "fuzz", "fuzz")
}

/// A policy that admits the sim core's measurement (and simulations at all).
pub fn sim_policy() -> Policy {
    let measurement = sim_platform()
        .measurement()
        .expect("the sim platform always has a measurement");
    Policy::new()
        .with_allow_simulated(true)
        .with_allowed(PlatformKind::Sim, MeasurementPattern::Exact(measurement))
}

/// [`sim_policy`] as TOML: the node policy the fixture's consortium records, so that
/// join requests reach the verification of their evidence.
pub fn sim_node_policy() -> String {
    let measurement = sim_platform()
        .measurement()
        .expect("the sim platform always has a measurement");
    format!(
        "allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{}\"\n",
        measurement.to_hex()
    )
}

/// A sim platform running [`code`].
pub fn sim_platform() -> SimPlatform {
    SimPlatform::new(&code(), &HOST_SECRET).expect("a 32-byte host secret is long enough")
}

/// The shared core fixture.
pub fn core() -> &'static CoreFixture {
    static CORE: OnceLock<CoreFixture> = OnceLock::new();
    CORE.get_or_init(|| {
        let ids = identities();
        let mut core = Enclave::new(Box::new(sim_platform()), Box::new(SharingContract));
        let constitution = Constitution {
            organizations: vec![
                Organization::from_der("Org1MSP", ids.org1.cert_der()).expect("Org1 root"),
                Organization::from_der("Org2MSP", ids.org2.cert_der()).expect("Org2 root"),
            ],
            threshold: Threshold::default(),
            node_policy: Some(sim_node_policy()),
            worker_policy: None,
        };
        let EnclaveResponse::Genesis {
            ledger_payload,
            public_keys,
            ..
        } = core.handle(EnclaveRequest::Genesis { constitution })
        else {
            panic!("setup: a fresh core refused genesis");
        };
        let executed = core.handle(EnclaveRequest::Execute {
            ctx: ExecuteContext {
                log_index: 1,
                timestamp_ms: ids.now_ms,
                sequence: 1,
                prev_hash: [0; 32],
                voters: vec![1],
                learners: Vec::new(),
            },
            payload: ledger_payload.clone(),
        });
        assert!(
            matches!(executed, EnclaveResponse::Executed { .. }),
            "setup: genesis did not execute: {executed:?}"
        );
        let bound = core.handle(EnclaveRequest::BindEndpoint { endpoint: NODE });
        assert!(
            matches!(bound, EnclaveResponse::EndpointBound { .. }),
            "setup: the core did not bind its endpoint: {bound:?}"
        );
        let EnclaveResponse::Snapshot { snapshot } = core.handle(EnclaveRequest::Snapshot) else {
            panic!("setup: a core with secrets refused a snapshot");
        };
        CoreFixture {
            core: Mutex::new(core),
            snapshot,
            public_keys,
            genesis_payload: ledger_payload,
        }
    })
}

impl CoreFixture {
    /// The core, locked and restored to just after genesis.
    pub fn restored(&self) -> MutexGuard<'_, Enclave> {
        // A panic while the lock was held (a finding) leaves a core that the restore
        // below resets anyway.
        let mut core = self.core.lock().unwrap_or_else(|e| e.into_inner());
        let restored = core.handle(EnclaveRequest::Restore {
            snapshot: self.snapshot.clone(),
        });
        assert!(
            matches!(restored, EnclaveResponse::Replayed { .. }),
            "setup: the core refused its own snapshot: {restored:?}"
        );
        core
    }

    /// The context of the next entry after genesis, `offset` entries on.
    pub fn next_ctx(&self, offset: u64) -> ExecuteContext {
        let now_ms = identities().now_ms;
        ExecuteContext {
            log_index: 2 + offset,
            timestamp_ms: now_ms + 1000 * (offset + 1),
            sequence: 2 + offset,
            prev_hash: [offset as u8; 32],
            // A cluster of three voters and a learner, so that `remove_node` has
            // nodes to name.
            voters: vec![1, 2, 3],
            learners: vec![4],
        }
    }
}

/// A contract state with a dataset, an algorithm, a granted permission and a task,
/// and the callers that made them.
pub struct ContractFixture {
    /// The state.
    pub state: MemState,
    /// Callers: Org1 owner, Org1 admin, Org2 analyst, Org1 executor, Org1 auditor,
    /// Org3 analyst (a stranger).
    pub callers: Vec<Caller>,
    /// Ids created: dataset, algorithm, request, grant, task.
    pub ids: Vec<String>,
    /// The object location reserved for Org1 and taken by the dataset.
    pub location: String,
    /// The ledger time after the last transaction.
    pub now_ms: u64,
    /// The sequence number of the last transaction.
    pub sequence: u64,
}

/// The shared contract fixture.
pub fn contract() -> &'static ContractFixture {
    static CONTRACT: OnceLock<ContractFixture> = OnceLock::new();
    CONTRACT.get_or_init(build_contract)
}

fn caller(msp_id: &str, name: &str, role: &str) -> Caller {
    Caller {
        msp_id: msp_id.into(),
        name: name.into(),
        role: role.into(),
    }
}

fn build_contract() -> ContractFixture {
    let callers = vec![
        caller("Org1MSP", "alice", "owner"),
        caller("Org1MSP", "root", "admin"),
        caller("Org2MSP", "bob", "analyst"),
        caller("Org1MSP", "exe", "executor"),
        caller("Org1MSP", "aud", "auditor"),
        caller("Org3MSP", "carol", "analyst"),
    ];
    let mut state = MemState::new();
    let mut ids: Vec<String> = Vec::new();
    let mut location = String::new();
    let mut sequence = 0;
    let mut now_ms = 1_700_000_000_000;
    let mut run = |who: &Caller, invocation: String, state: &mut MemState| -> serde_json::Value {
        sequence += 1;
        now_ms += 1000;
        let tx = TxContext {
            caller: who.clone(),
            timestamp_ms: now_ms,
            sequence,
            attestation: None,
            entropy: [sequence as u8; 32],
            defaults: Default::default(),
        };
        let mut overlay = Overlay::new(state);
        let reply = SharingContract
            .execute(&tx, invocation.as_bytes(), &mut overlay)
            .unwrap_or_else(|e| panic!("setup: {invocation} refused: {e}"));
        let writes = overlay.into_writes();
        state.apply(writes);
        serde_json::from_slice(&reply).expect("setup: the contract answers JSON")
    };
    for invocation in contract_setup_invocations() {
        let (who, json) = invocation;
        let json = substitute(json, &ids, &location);
        let reply = run(&callers[who], json, &mut state);
        if let Some(id) = reply["id"].as_str() {
            ids.push(id.to_owned());
        }
        if let Some(reserved) = reply["locations"][0].as_str() {
            location = reserved.to_owned();
        }
    }
    ContractFixture {
        state,
        callers,
        ids,
        location,
        now_ms,
        sequence,
    }
}

/// `json` with `$loc` replaced by `location` and each `$i` by the i-th of `ids`.
pub fn substitute(json: String, ids: &[String], location: &str) -> String {
    ids.iter()
        .enumerate()
        .fold(json.replace("$loc", location), |json, (i, id)| {
            json.replace(&format!("${i}"), id)
        })
}

/// The invocations that build the contract fixture: (caller index, JSON), where `$i`
/// stands for the i-th id created so far and `$loc` for the location reserved first.
/// Also the invocation target's seeds.
pub fn contract_setup_invocations() -> Vec<(usize, String)> {
    let digest = "ab".repeat(32);
    let measurement = "11".repeat(32);
    vec![
        (0, r#"{"op":"reserve_locations","count":1}"#.to_owned()),
        (
            0,
            format!(
                r#"{{"op":"register_dataset","name":"cohort","kind":"csv","description":"cohort records","labels":["clinical"],"consent":{{"purposes":["research"]}},"files":[{{"name":"cohort.csv","columns":["patient","age","gene","visit_time"],"plaintext_sha256":"{digest}","ciphertext_sha256":"{digest}","size_bytes":1000,"location":"$loc"}}],"wrapped_keys":[{{"recipient":"kms:v1","key":"00ff"}}],"time_column":"visit_time"}}"#
            ),
        ),
        (
            2,
            format!(
                r#"{{"op":"register_algorithm","name":"describe","kind":"builtin","measurement":"{measurement}","description":"built-in describe","inputs":[{{"name":"table","format":"csv"}}],"outputs":[{{"name":"summary","format":"json"}}],"aggregate_only":true,"output_rule":"small_cells_suppressed","differentially_private":false}}"#
            ),
        ),
        (
            2,
            r#"{"op":"request_permission","dataset":"$0","purpose":"research","algorithms":["$1"],"scope":{"columns":["patient","age","gene","visit_time"]}}"#.to_owned(),
        ),
        (0, r#"{"op":"approve_permission","request":"$2"}"#.to_owned()),
        (
            2,
            format!(
                r#"{{"op":"request_task","inputs":["$0"],"algorithm":"$1","parameters":{{"group_by":"gene"}},"columns":["age","gene"],"recipients":[{{"msp_id":"Org2MSP","name":"bob","public_key":"{digest}"}}],"mode":"owner_side"}}"#
            ),
        ),
    ]
}

/// The third-party attestation samples, read once from `shared/data/attestation/`
/// beside the repository (or the directory `STRONGROOM_SHARED_DATA` names): Phala
/// Network's `dcap-qvl` SGX and TDX quotes with their collateral, and virtee's `sev`
/// Milan report, VCEK, ASK and ARK. Not copied into the repository.
pub mod samples {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    /// The sample files' bytes.
    pub struct Samples {
        /// An SGX quote (dcap-qvl's sample).
        pub sgx_quote: Vec<u8>,
        /// Its collateral (JSON).
        pub sgx_collateral: Vec<u8>,
        /// A TDX quote (dcap-qvl's sample).
        pub tdx_quote: Vec<u8>,
        /// Its collateral (JSON).
        pub tdx_collateral: Vec<u8>,
        /// An SEV-SNP report from a Milan chip (virtee/sev's sample).
        pub snp_report: Vec<u8>,
        /// That chip's VCEK, DER.
        pub snp_vcek: Vec<u8>,
        /// The Milan ASK, PEM.
        pub snp_ask: Vec<u8>,
        /// The Milan ARK, PEM.
        pub snp_ark: Vec<u8>,
    }

    /// `shared/data` (beside the repository unless `STRONGROOM_SHARED_DATA` says
    /// otherwise).
    pub fn shared_data() -> PathBuf {
        std::env::var_os("STRONGROOM_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
            })
    }

    /// The samples, read on first use.
    pub fn get() -> &'static Samples {
        static SAMPLES: OnceLock<Samples> = OnceLock::new();
        SAMPLES.get_or_init(|| {
            let dir = shared_data().join("attestation");
            // Setup: the test data must be there; its absence is not a finding.
            let read = |path: &str| {
                let path = dir.join(path);
                std::fs::read(&path).unwrap_or_else(|e| {
                    panic!(
                        "setup: {}: {e} (shared/data must sit beside the repository)",
                        path.display()
                    )
                })
            };
            Samples {
                sgx_quote: read("dcap-qvl/sgx_quote"),
                sgx_collateral: read("dcap-qvl/sgx_quote_collateral.json"),
                tdx_quote: read("dcap-qvl/tdx_quote"),
                tdx_collateral: read("dcap-qvl/tdx_quote_collateral.json"),
                snp_report: read("virtee-sev/report_milan.bin"),
                snp_vcek: read("virtee-sev/vcek_milan.der"),
                snp_ask: read("virtee-sev/milan_ask.pem"),
                snp_ark: read("virtee-sev/milan_ark.pem"),
            }
        })
    }
}

/// A time inside the samples' collateral windows (2025-06-25) and the VCEK's validity.
pub fn attestation_time() -> OffsetDateTime {
    OffsetDateTime::parse("2025-06-25T00:00:00Z", &Rfc3339)
        .expect("a constant RFC 3339 time parses")
}

/// The parsed collateral of the samples: SGX, TDX (DCAP) and the Milan VCEK (SNP).
pub struct Collaterals {
    /// Of the sample SGX quote.
    pub sgx: DcapCollateral,
    /// Of the sample TDX quote.
    pub tdx: DcapCollateral,
    /// Of the sample SNP report.
    pub snp: SnpCollateral,
}

/// The shared collaterals.
pub fn collaterals() -> &'static Collaterals {
    static COLLATERALS: OnceLock<Collaterals> = OnceLock::new();
    COLLATERALS.get_or_init(|| {
        let samples = samples::get();
        Collaterals {
            sgx: DcapCollateral::from_json(&samples.sgx_collateral).expect("sample SGX collateral"),
            tdx: DcapCollateral::from_json(&samples.tdx_collateral).expect("sample TDX collateral"),
            snp: SnpCollateral::from_vcek(&samples.snp_vcek).expect("sample VCEK"),
        }
    })
}
