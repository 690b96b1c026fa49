//! Read-your-writes across nodes: a client that saw a write committed (at any node)
//! is answered only from a state that includes it. A follower cut off from the others
//! (through the test's proxies) cannot have applied it: a query there that names the
//! write is refused as `behind`, never answered from the older state a client without
//! it gets; once the follower is reconnected the same query is answered, with the write.
#![allow(clippy::unwrap_used)]

mod cluster;

use cluster::proxy::Proxies;
use cluster::{Devnet, connect, propose};
use strongroom_client::ClientError;

#[test]
fn a_follower_behind_the_clients_last_write_refuses_to_answer_until_it_applied_it() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let proxies = Proxies::default();
    for i in 0..3 {
        devnet.route_peers_through(i, &proxies);
    }
    let leader = devnet.wait_for_leader();
    let follower = (0..3).find(|&i| i != leader).unwrap();
    let admin = devnet.admin(0);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    proxies.partition(&[devnet.nodes[follower].id], &[1, 2, 3]);

    let has = |proposals: &[strongroom_enclave::governance::ProposalView]| {
        proposals.iter().any(|p| p.description == "seen")
    };
    runtime.block_on(async {
        let at_leader = connect(&devnet.nodes[leader].api).await.unwrap();
        let written = at_leader.govern(&admin, &propose("seen")).await.unwrap();
        let sequence = written.sequence.unwrap();
        assert!(
            at_leader.last_seen() >= sequence,
            "the writer saw its write"
        );

        let unaware = connect(&devnet.nodes[follower].api).await.unwrap();
        let stale = unaware.proposals(&admin).await.unwrap();
        assert!(
            !has(&stale),
            "the cut-off follower cannot have applied the write (else this test shows nothing)"
        );

        let aware = connect(&devnet.nodes[follower].api).await.unwrap();
        aware.saw(at_leader.last_seen());
        match aware.proposals(&admin).await {
            Err(ClientError::Api { status, code, .. }) => {
                assert_eq!((status, code.as_str()), (412, "behind"));
            }
            other => panic!(
                "a follower behind the client answered: {:?}",
                other.map(|p| p.len())
            ),
        }

        proxies.heal();
        let mut answered = None;
        for _ in 0..20 {
            match aware.proposals(&admin).await {
                Ok(proposals) => {
                    answered = Some(proposals);
                    break;
                }
                Err(ClientError::Api { code, .. }) if code == "behind" => {}
                Err(e) => panic!("after healing: {e}"),
            }
        }
        let proposals = answered.expect("the reconnected follower caught up and answered");
        assert!(
            has(&proposals),
            "the answer includes the write the client saw"
        );
    });
}
