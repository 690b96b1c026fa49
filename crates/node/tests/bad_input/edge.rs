//! Requests refused before they reach consensus.

use axum::body::Bytes;
use strongroom_api_types::Submit;
use strongroom_enclave::request::PreparedRequest;

use super::fixture::*;

/// Requests refused before they reach consensus: the ledger does not move.
pub(crate) async fn api_edge_refusals(f: &Fixture, before: Snapshot) -> Snapshot {
    let before = &before;
    // Each body carries a genuine, well-signed transaction: had the node applied it in
    // spite of the error, the algorithm list would have grown.
    let prepared = PreparedRequest::transaction(
        &f.client.public_keys().transaction_key,
        &f.owner,
        json(&algorithm("smuggled")),
    )
    .unwrap();
    let submit = serde_json::to_string(&Submit {
        request: prepared.payload.clone(),
    })
    .unwrap();
    let truncated = submit[..submit.len() - 1].to_owned();
    let mut extra: serde_json::Value = serde_json::from_str(&submit).unwrap();
    extra["extra"] = 1.into();
    let extra = extra.to_string();
    let json_type = Some("application/json");

    for path in ["/v1/transactions", "/v1/queries"] {
        let bodies: [(&str, String, &str); 3] = [
            ("malformed JSON", truncated.clone(), "EOF while parsing"),
            ("unknown field", extra.clone(), "unknown field `extra`"),
            (
                "not base64",
                r#"{"request":"not base64!"}"#.to_owned(),
                "request body: request: invalid base64",
            ),
        ];
        for (mistake, body, needle) in bodies {
            f.expect_error(path, json_type, body, 400, "bad_request", needle)
                .await;
            f.assert_unchanged(before, &format!("{mistake} to {path}"))
                .await;
        }

        let what = format!("wrong content type to {path}");
        f.expect_error(
            path,
            Some("text/plain"),
            submit.clone(),
            415,
            "unsupported_media_type",
            "Content-Type: application/json",
        )
        .await;
        f.expect_error(
            path,
            None,
            submit.clone(),
            415,
            "unsupported_media_type",
            "must be JSON",
        )
        .await;
        f.assert_unchanged(before, &what).await;

        // Over the limit, announced by Content-Length and streamed without one.
        let what = format!("oversized body to {path}");
        let big = format!(r#"{{"request":"{}"}}"#, "A".repeat(MAX_BODY_BYTES * 2));
        let limit = format!("larger than {MAX_BODY_BYTES} bytes");
        f.expect_error(
            path,
            json_type,
            big.clone(),
            413,
            "payload_too_large",
            &limit,
        )
        .await;
        // Larger than the socket buffers, so that the client is still sending when the
        // node decides.
        let bigger = format!(r#"{{"request":"{}"}}"#, "A".repeat(8 << 20));
        f.expect_error_http1(path, bigger, 413, "payload_too_large", &limit)
            .await;
        let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(
            big.into_bytes()
                .chunks(8 * 1024)
                .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        ));
        f.expect_error(path, json_type, streamed, 413, "payload_too_large", &limit)
            .await;
        f.assert_unchanged(before, &what).await;
    }

    f.expect_error(
        "/v1/transactions",
        json_type,
        r#"{"request":""}"#,
        400,
        "bad_request",
        "request: empty",
    )
    .await;
    f.assert_unchanged(before, "empty request").await;

    // Through the SDK: an invocation too large for the body limit.
    let huge = vec![b' '; MAX_BODY_BYTES];
    let (status, code, error) = api_error(f.client.transact(&f.owner, &huge).await.unwrap_err());
    assert_eq!(
        (status, code.as_str()),
        (413, "payload_too_large"),
        "{error}"
    );
    assert!(
        error.contains(&format!("larger than {MAX_BODY_BYTES} bytes")),
        "{error}"
    );
    f.assert_unchanged(before, "oversized transaction").await;

    // The request refused at the edge was never ordered: its nonce is still unused, so
    // the very same request still commits once sent properly.
    let committed = f.client.submit_prepared(&prepared).await.unwrap();
    let created = accepted(&committed);
    f.settle(committed.sequence.unwrap()).await;
    let after = f.snapshot().await;
    let new: Vec<_> = after
        .algorithms
        .items
        .iter()
        .filter(|a| !before.algorithms.items.contains(a))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(
        (new[0].id.as_str(), new[0].name.as_str()),
        (created.id.as_str(), "smuggled")
    );
    after
}
