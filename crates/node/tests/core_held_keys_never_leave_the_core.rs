//! Keys that live only in the core, through the real node over HTTPS: a member creates
//! an ECDSA P-256 or AES-256-GCM key and those its usage policy names sign, verify,
//! encrypt and decrypt with it, each use a ledger entry; the answers never hold the
//! secret; a member the policy does not name gets the answer a missing key gets; hashes
//! equal the reference implementations'.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value, json};
use strongroom_client::Client;
use strongroom_crypto::provider::{
    EcdsaCurve, HashAlgorithm, SignaturePolicy, VerifyingKey, default_provider,
};
use strongroom_enclave::keys::{KeyInvocation, KeyQuery, KeyView, Output, Verified};
use strongroom_identity::{Member, Role};
use strongroom_node::RunningNode;

struct World {
    _base: tempfile::TempDir,
    _node: RunningNode,
    client: Client,
    alice: Member,
    olga: Member,
    bob: Member,
}

async fn world() -> World {
    let base = tempfile::tempdir().unwrap();
    let org1 = common::org(base.path(), "Org1MSP");
    let org2 = common::org(base.path(), "Org2MSP");
    let settings = common::settings(&base.path().join("node"), &[&org1, &org2]);
    let node = common::start_sharing(&settings).await;
    let client = common::client(&node).await;
    World {
        _base: base,
        _node: node,
        client,
        alice: common::member(&org1, "alice", Role::Owner),
        olga: common::member(&org1, "olga", Role::Analyst),
        bob: common::member(&org2, "bob", Role::Owner),
    }
}

fn invocation(v: Value) -> KeyInvocation {
    serde_json::from_value(v).unwrap()
}

impl World {
    /// A key of `kind` that Org1's owners may use.
    async fn create(&self, kind: &str) -> KeyView {
        let created = self
            .client
            .use_key::<KeyView>(
                &self.alice,
                &invocation(json!({"op": "create_key", "kind": kind, "label": "test",
                    "usage": [{"msp_id": "Org1MSP", "roles": ["owner"]}]})),
            )
            .await
            .unwrap();
        assert!(created.sequence.is_some(), "the creation is a ledger entry");
        created.value
    }

    async fn use_as<T: serde::de::DeserializeOwned>(
        &self,
        who: &Member,
        v: Value,
    ) -> Result<T, String> {
        self.client
            .use_key::<T>(who, &invocation(v))
            .await
            .map(|invoked| {
                assert!(invoked.sequence.is_some(), "each use is a ledger entry");
                invoked.value
            })
            .map_err(|e| e.to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_signature_verifies_under_the_published_key_and_only_for_its_data() {
    let w = world().await;
    let key = w.create("ecdsa_p256").await;
    let data = hex::encode(b"a prescription to sign");
    let signed: Output = w
        .use_as(&w.alice, json!({"op": "sign", "key": key.id, "data": data}))
        .await
        .unwrap();
    let signature = hex::decode(&signed.output).unwrap();
    let public = VerifyingKey::from_sec1_bytes(
        EcdsaCurve::P256,
        &hex::decode(key.public_key.as_ref().unwrap()).unwrap(),
    )
    .unwrap();
    default_provider()
        .ecdsa_verify(
            &public,
            b"a prescription to sign",
            &signature,
            SignaturePolicy::LowS,
        )
        .unwrap();
    let verified: Verified = w
        .use_as(
            &w.alice,
            json!({"op": "verify", "key": key.id, "data": data, "signature": signed.output}),
        )
        .await
        .unwrap();
    assert!(verified.valid);
    let other: Verified = w
        .use_as(
            &w.alice,
            json!({"op": "verify", "key": key.id, "data": hex::encode(b"another"), "signature": signed.output}),
        )
        .await
        .unwrap();
    assert!(!other.valid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_ciphertext_decrypts_only_under_its_key_and_aad() {
    let w = world().await;
    let key = w.create("aes_256_gcm").await;
    assert_eq!(key.public_key, None);
    let plaintext = hex::encode(b"genotype 0/1 at chr1:12345");
    let sealed: Output = w
        .use_as(
            &w.alice,
            json!({"op": "encrypt", "key": key.id, "plaintext": plaintext, "aad": "aa"}),
        )
        .await
        .unwrap();
    assert!(!sealed.output.contains(&plaintext));
    let opened: Output = w
        .use_as(
            &w.alice,
            json!({"op": "decrypt", "key": key.id, "ciphertext": sealed.output, "aad": "aa"}),
        )
        .await
        .unwrap();
    assert_eq!(opened.output, plaintext);
    let wrong = w
        .use_as::<Output>(
            &w.alice,
            json!({"op": "decrypt", "key": key.id, "ciphertext": sealed.output, "aad": "bb"}),
        )
        .await
        .unwrap_err();
    assert!(wrong.contains("does not decrypt"), "{wrong}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_the_policy_does_not_name_gets_the_answer_for_a_missing_key() {
    let w = world().await;
    let key = w.create("ecdsa_p256").await;
    let data = hex::encode(b"x");
    let missing = "key-0123456789abcdef";
    for who in [&w.bob, &w.olga] {
        let refused = w
            .use_as::<Output>(who, json!({"op": "sign", "key": key.id, "data": data}))
            .await
            .unwrap_err();
        let nothing = w
            .use_as::<Output>(who, json!({"op": "sign", "key": missing, "data": data}))
            .await
            .unwrap_err();
        assert_eq!(refused, nothing);
        assert!(refused.contains("not found or not allowed"), "{refused}");
        let asked = w
            .client
            .ask_key::<KeyView>(
                who,
                &KeyQuery::GetKey {
                    key: key.id.clone(),
                },
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(asked.contains("not found or not allowed"), "{asked}");
    }
    // The creator's answer describes the key and holds no secret.
    let shown: Value = w
        .client
        .ask_key(
            &w.alice,
            &KeyQuery::GetKey {
                key: key.id.clone(),
            },
        )
        .await
        .unwrap();
    let mut fields: Vec<&str> = shown
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created_at_ms",
            "creator",
            "id",
            "kind",
            "label",
            "public_key",
            "usage"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_hashes_equal_the_reference_digests() {
    let w = world().await;
    let data: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    for (name, algorithm) in [
        ("sha256", HashAlgorithm::Sha256),
        ("sha3_256", HashAlgorithm::Sha3_256),
    ] {
        let hashed: Output = w
            .use_as(
                &w.bob,
                json!({"op": "hash", "algorithm": name, "data": hex::encode(&data)}),
            )
            .await
            .unwrap();
        let expected = default_provider().hash(algorithm, &data).unwrap();
        assert_eq!(hashed.output, hex::encode(expected), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_usage_policy_is_refused_naming_the_field() {
    let w = world().await;
    for (usage, field) in [
        (json!([]), "usage"),
        (
            json!([{"msp_id": "Org1MSP", "roles": []}]),
            "usage[0].roles",
        ),
        (
            json!([{"msp_id": "Org1MSP", "roles": ["root"]}]),
            "usage[0].roles",
        ),
        (
            json!([{"msp_id": "", "roles": ["owner"]}]),
            "usage[0].msp_id",
        ),
    ] {
        let error = w
            .use_as::<KeyView>(
                &w.alice,
                json!({"op": "create_key", "kind": "aes_256_gcm", "usage": usage}),
            )
            .await
            .unwrap_err();
        assert!(error.contains(field), "{field}: {error}");
    }
}
