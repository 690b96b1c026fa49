//! The contract's JSON: invocations and queries, parsed and run against a small state.

use strongroom_contract::sharing::{Invocation, Query, SharingContract};
use strongroom_contract::{Contract, ContractError, ObjectPurpose, Overlay, TxContext};

use crate::fixture;

/// The first byte chooses the caller (low three bits, modulo six: Org1 owner, Org1
/// admin, Org2 analyst, Org1 executor, Org1 auditor, a stranger of Org3) and whether
/// the rest is run as a transaction (bits 3–4 clear), a query (bit 3) or an object
/// authorization (bit 4). The rest is parsed with `Invocation::from_json` and
/// `serde_json::from_slice::<Invocation>` (which must agree: the same value or the
/// same error), or as a [`Query`], or as an [`ObjectPurpose`] (JSON), a NUL byte and
/// a location; then the contract runs it against a state holding a reserved location,
/// a dataset, an algorithm, a granted permission and a task. A refused transaction
/// writes nothing; whoever is not entitled to an object gets `NotFoundOrDenied`.
pub fn invocation(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fixture = fixture::contract();
    let caller = &fixture.callers[usize::from(mode & 0b111) % fixture.callers.len()];
    if mode & 0b1_0000 != 0 {
        authorize_object(caller, rest);
        return;
    }
    if mode & 0b1000 != 0 {
        let _ = serde_json::from_slice::<Query>(rest);
        let _ = SharingContract.query(caller, rest, &fixture.state);
        return;
    }
    let fast = Invocation::from_json(rest).map_err(|e| e.to_string());
    let tagged = serde_json::from_slice::<Invocation>(rest).map_err(|e| e.to_string());
    assert_eq!(
        fast, tagged,
        "Invocation::from_json agrees with the tagged parse"
    );
    let tx = TxContext {
        caller: caller.clone(),
        timestamp_ms: fixture.now_ms + 1000,
        sequence: fixture.sequence + 1,
        attestation: None,
        entropy: [0x33; 32],
        defaults: Default::default(),
    };
    let mut overlay = Overlay::new(&fixture.state);
    let result = SharingContract.execute(&tx, rest, &mut overlay);
    if result.is_err() {
        assert!(
            overlay.into_writes().is_empty(),
            "a refused transaction wrote to the state"
        );
    }
}

/// `Contract::authorize_object` of the purpose and location in `data`; a refusal is
/// `NotFoundOrDenied` or names a malformed input, nothing else.
fn authorize_object(caller: &strongroom_contract::Caller, data: &[u8]) {
    let fixture = fixture::contract();
    let Some(split) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let Ok(purpose) = serde_json::from_slice::<ObjectPurpose>(&data[..split]) else {
        return;
    };
    let Ok(location) = std::str::from_utf8(&data[split + 1..]) else {
        return;
    };
    let outcome = SharingContract.authorize_object(
        caller,
        &purpose,
        location,
        fixture.now_ms + 1000,
        &fixture.state,
    );
    if let Err(e) = outcome {
        assert!(
            matches!(
                e,
                ContractError::NotFoundOrDenied | ContractError::Invalid(_)
            ),
            "an object authorization is refused as not found or denied, or invalid: {e:?}"
        );
    }
}
