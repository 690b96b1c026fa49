//! The contract's JSON: invocations and queries, parsed and run against a small state.

use strongroom_contract::sharing::{Invocation, Query, SharingContract};
use strongroom_contract::{Contract, Overlay, TxContext};

use crate::fixture;

/// The first byte chooses the caller (low three bits, modulo six: Org1 owner, Org1
/// admin, Org2 analyst, Org1 executor, Org1 auditor, a stranger of Org3) and whether
/// the rest is run as a transaction (bit 3 clear) or a query (set). The rest is parsed
/// with `Invocation::from_json` and `serde_json::from_slice::<Invocation>` (which must
/// agree: the same value or the same error), or as a [`Query`]; then the contract runs
/// it against a state holding a dataset, an algorithm, a granted permission and a task.
/// A refused transaction writes nothing.
pub fn invocation(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fixture = fixture::contract();
    let caller = &fixture.callers[usize::from(mode & 0b111) % fixture.callers.len()];
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
