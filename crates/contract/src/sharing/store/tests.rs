//! The records' encodings: deterministic, refused when corrupt, and the same when
//! read in place.

use super::*;
use crate::sharing::GenomeSummary;

#[test]
fn ids_follow_the_ledger_sequence() {
    assert_eq!(new_id("ds", 7), new_id("ds", 7));
    assert_ne!(new_id("ds", 7), new_id("ds", 8));
    assert!(new_id("ds", 0xff) < new_id("ds", 0x100));
    assert_eq!(new_id("task", 1).len(), "task-".len() + ID_HEX_LEN);
}

#[test]
fn member_keys_do_not_collide_across_the_separator() {
    assert_ne!(member_key("Org1", "ab"), member_key("Org1a", "b"));
}

#[test]
fn corrupt_records_are_refused_not_panicked_on() {
    let record = GrantRecord {
        request: "req-0011223344556677".into(),
        dataset: "ds-0011223344556677".into(),
        grantee: Party {
            msp_id: "Org1MSP".into(),
            name: "alice".into(),
        },
        purpose: "research".into(),
        algorithms: vec!["alg-0011223344556677".into()],
        scope: Scope {
            columns: vec!["age".into()],
            rows: None,
            expires_at_ms: Some(9),
        },
        approved_by: Party {
            msp_id: "Org2MSP".into(),
            name: "bob".into(),
        },
        approved_at_ms: 7,
        revoked_by: None,
        revoked_at_ms: None,
        revoke_reason: None,
    };
    let bytes = encode(&record).unwrap();
    assert_eq!(encode(&record).unwrap(), bytes);
    assert_eq!(decode::<GrantRecord>(b"g/x", &bytes).unwrap(), record);
    for cut in 0..bytes.len() {
        assert!(matches!(
            decode::<GrantRecord>(b"g/x", &bytes[..cut]),
            Err(ContractError::Invalid(_))
        ));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        decode::<GrantRecord>(b"g/x", &longer),
        Err(ContractError::Invalid(_))
    ));
    for i in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            let _ = decode::<GrantRecord>(b"g/x", &bad);
            let _ = decode::<TaskRecord>(b"t/x", &bad);
            let _ = decode::<DatasetCore>(b"d/x", &bad);
        }
    }
    let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(decode::<DatasetBody>(b"db/x", &huge).is_err());
}

#[test]
fn a_dataset_core_reads_the_same_in_place() {
    let core = DatasetCore {
        name: "cohort \u{e9}".into(),
        kind: DatasetKind::Parquet,
        owner_msp: "Org1MSP".into(),
        registered_by: Party {
            msp_id: "Org1MSP".into(),
            name: "alice".into(),
        },
        description: "visits".into(),
        labels: vec!["a".into(), "b".into()],
        columns: vec!["age".into(), "sex".into(), "t".into()],
        time_column: Some("t".into()),
        consent: Consent {
            purposes: vec!["research".into(), "care".into()],
            expires_at_ms: Some(1_000),
        },
        size_bytes: 1 << 40,
        epsilon_budget_micro: Some(5_000_000),
        epsilon_spent_micro: 12,
        min_cell_size: 11,
        registered_at_ms: 77,
        withdrawn: false,
        revision: 1 << 33,
        genomes: vec![GenomeFile {
            file: "chr22.vcf.gz".into(),
            summary: GenomeSummary {
                samples: 2_504,
                contigs: vec!["22".into(), "X".into()],
                records: 1 << 20,
            },
        }],
    };
    let bytes = encode(&core).unwrap();
    let read: DatasetCoreRef<'_> = decode(b"d/x", &bytes).unwrap();
    assert_eq!(read.name, core.name);
    assert_eq!(read.kind, core.kind);
    assert_eq!(read.owner_msp, core.owner_msp);
    assert_eq!(read.columns, core.columns);
    assert_eq!(read.time_column, core.time_column.as_deref());
    assert_eq!(read.consent_expires_at_ms, core.consent.expires_at_ms);
    assert_eq!(read.epsilon_budget_micro, core.epsilon_budget_micro);
    assert_eq!(read.epsilon_spent_micro, core.epsilon_spent_micro);
    assert_eq!(read.min_cell_size, core.min_cell_size);
    assert_eq!(read.withdrawn, core.withdrawn);
    assert_eq!(read.revision, core.revision);
    for now in [0, 999, 1_000, 5_000] {
        assert_eq!(read.status(now), core.status(now));
    }
    let withdrawn = DatasetCore {
        withdrawn: true,
        time_column: None,
        ..core
    };
    let bytes = encode(&withdrawn).unwrap();
    let read: DatasetCoreRef<'_> = decode(b"d/x", &bytes).unwrap();
    assert!(read.withdrawn && read.time_column.is_none());
    for cut in 0..bytes.len() {
        assert!(decode::<DatasetCoreRef<'_>>(b"d/x", &bytes[..cut]).is_err());
    }
}

#[test]
fn stored_files_keep_their_locations() {
    let body = DatasetBody {
        files: vec![DatasetFile {
            name: "a.csv".into(),
            columns: vec!["age".into()],
            plaintext_sha256: "ab".repeat(32),
            ciphertext_sha256: "cd".repeat(32),
            size_bytes: 9,
            location: format!("data/{}", "0f".repeat(16)),
            genome: Some(GenomeSummary {
                samples: 3,
                contigs: vec!["1".into()],
                records: 7,
            }),
        }],
        wrapped_keys: vec![WrappedKey {
            recipient: "kms:v1".into(),
            key: "00ff".into(),
        }],
    };
    let bytes = encode(&body).unwrap();
    assert_eq!(decode::<DatasetBody>(b"d/x/body", &bytes).unwrap(), body);
}

#[test]
fn a_grant_reads_the_same_in_place() {
    let party = |m: &str, n: &str| Party {
        msp_id: m.into(),
        name: n.into(),
    };
    let mut grant = GrantRecord {
        request: "req-1".into(),
        dataset: "ds-1".into(),
        grantee: party("Lab1MSP", "ana"),
        purpose: "research".into(),
        algorithms: vec!["alg-1".into(), "alg-2".into()],
        scope: Scope {
            columns: vec!["age".into(), "sex".into()],
            rows: Some(TimeRange {
                from_ms: 3,
                to_ms: 9,
            }),
            expires_at_ms: Some(50),
        },
        approved_by: party("Org1MSP", "bob"),
        approved_at_ms: 7,
        revoked_by: None,
        revoked_at_ms: None,
        revoke_reason: None,
    };
    for revoked in [false, true] {
        if revoked {
            grant.revoked_by = Some(party("Org1MSP", "carol"));
            grant.revoked_at_ms = Some(8);
            grant.revoke_reason = Some("done".into());
        }
        let bytes = encode(&grant).unwrap();
        let read: GrantRecordRef<'_> = decode(b"g/x", &bytes).unwrap();
        assert_eq!(read.algorithms, grant.algorithms);
        assert_eq!(read.scope_columns, grant.scope.columns);
        assert_eq!(read.scope_rows, grant.scope.rows);
        assert_eq!(read.scope_expires_at_ms, grant.scope.expires_at_ms);
        assert_eq!(read.revoked_by.is_some(), revoked);
        for now in [0, 49, 50, 51] {
            assert_eq!(read.in_force(now), grant.in_force(now));
        }
        for cut in 0..bytes.len() {
            assert!(decode::<GrantRecordRef<'_>>(b"g/x", &bytes[..cut]).is_err());
        }
    }
}
