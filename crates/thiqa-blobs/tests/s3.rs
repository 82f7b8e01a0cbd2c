//! The S3 backend against a real S3-compatible server (moto, signatures
//! checked): a file above the part size goes up as a multipart upload and
//! reads back identical; a refused or abandoned upload leaves no object; an
//! endpoint that does not answer gives an error naming it instead of a hang.

mod support;

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use support::moto::MotoS3;
use thiqa_blobs::{BlobStore, S3Credentials, S3Settings, S3Tuning, UploadError};
use tokio::io::AsyncReadExt;

const MIB: usize = 1 << 20;

fn settings(endpoint: &str, access_key: &str, secret_key: &str, bucket: &str) -> S3Settings {
    S3Settings {
        endpoint: endpoint.into(),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        credentials: S3Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        },
        ca_file: None,
        allow_http: false,
    }
}

/// S3's smallest part, so that a 12 MiB file takes three.
fn small_parts() -> S3Tuning {
    S3Tuning {
        part_size: 5 * MIB,
        ..S3Tuning::default()
    }
}

fn moto_store(s3: &MotoS3, root: &Path) -> BlobStore {
    let settings = settings(&s3.endpoint, &s3.access_key, &s3.secret_key, &s3.bucket);
    BlobStore::open_s3_tuned(root, &settings, "thiqa/", small_parts()).unwrap()
}

/// Bytes that differ from part to part (a part sent twice or out of
/// order would show).
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|n| ((n / 4096) * 7 + n % 251) as u8).collect()
}

fn staging_files(root: &Path) -> usize {
    std::fs::read_dir(root.join("tmp")).unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_above_the_part_size_is_stored_in_parts_and_reads_back_identical() {
    let s3 = MotoS3::start();
    let dir = tempfile::tempdir().unwrap();
    let store = moto_store(&s3, dir.path());
    store.check().await.expect("the bucket answers");
    let bytes = content(12 * MIB + 12_345);
    let mut upload = store.begin(64 << 20).await.unwrap();
    for chunk in bytes.chunks(256 * 1024) {
        upload.write(chunk).await.unwrap();
    }
    let (sha256, size) = upload.finish().await.unwrap();
    assert_eq!(sha256, thiqa_domain::text::hex(&Sha256::digest(&bytes)));
    assert_eq!(size, bytes.len() as u64);
    let key = format!("thiqa/sha256/{}/{sha256}", &sha256[..2]);
    assert_eq!(
        s3.objects(),
        vec![(key, size)],
        "one object, under the same name as before object_store"
    );
    assert_eq!(store.stored_size(&sha256).await.unwrap(), Some(size));
    let mut blob = store.read(&sha256).await.unwrap().expect("stored");
    assert_eq!(blob.size, size);
    let mut back = Vec::new();
    blob.reader.read_to_end(&mut back).await.unwrap();
    assert_eq!(
        thiqa_domain::text::hex(&Sha256::digest(&back)),
        sha256,
        "read back, the bytes hash to the object's name"
    );
    assert!(back == bytes);
    // The dossier's blocking read gives the same bytes.
    let runtime = tokio::runtime::Handle::current();
    let (store2, sha) = (store.clone(), sha256.clone());
    let blocking = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        store2
            .read_blocking(&sha, &runtime)
            .unwrap()
            .expect("stored")
            .read_to_end(&mut out)
            .unwrap();
        out
    })
    .await
    .unwrap();
    assert!(blocking == bytes);
    // The same content again is stored once.
    let mut again = store.begin(64 << 20).await.unwrap();
    again.write(&bytes).await.unwrap();
    assert_eq!(again.finish().await.unwrap().0, sha256);
    assert_eq!(s3.objects().len(), 1);
    assert_eq!(staging_files(dir.path()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_or_abandoned_upload_leaves_no_object() {
    let s3 = MotoS3::start();
    let dir = tempfile::tempdir().unwrap();
    let store = moto_store(&s3, dir.path());
    let bytes = content(12 * MIB);
    // Over the limit: refused as the bytes come, nothing sent.
    let mut upload = store.begin(10 << 20).await.unwrap();
    let mut refused = None;
    for chunk in bytes.chunks(MIB) {
        if let Err(e) = upload.write(chunk).await {
            refused = Some(e);
            break;
        }
    }
    assert!(
        matches!(refused, Some(UploadError::TooLarge { limit_mb: 10 })),
        "{refused:?}"
    );
    drop(upload);
    // Cut short (a client gone mid-upload): dropped before `finish`.
    let mut upload = store.begin(64 << 20).await.unwrap();
    upload.write(&bytes[..7 * MIB]).await.unwrap();
    drop(upload);
    assert!(s3.objects().is_empty(), "no object: {:?}", s3.objects());
    assert_eq!(staging_files(dir.path()), 0, "no staging file left");
    let sha256 = thiqa_domain::text::hex(&Sha256::digest(&bytes));
    assert_eq!(store.stored_size(&sha256).await.unwrap(), None);
    assert!(store.read(&sha256).await.unwrap().is_none());
}

/// Short timeouts and one retry: the test is about getting an error at
/// all, not about how fast.
fn impatient() -> S3Tuning {
    S3Tuning {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
        max_retries: 1,
        retry_timeout: Duration::from_secs(5),
        ..S3Tuning::default()
    }
}

async fn error_of_unanswered(endpoint: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(endpoint, "AK", "SK", "thiqa-evidence");
    let store = BlobStore::open_s3_tuned(dir.path(), &settings, "", impatient()).unwrap();
    let bound = Duration::from_secs(120);
    let check = tokio::time::timeout(bound, store.check())
        .await
        .expect("an error, not a hang")
        .unwrap_err()
        .to_string();
    let head = tokio::time::timeout(bound, store.stored_size(&"ab".repeat(32)))
        .await
        .expect("an error, not a hang")
        .unwrap_err()
        .to_string();
    (check, head)
}

#[tokio::test]
async fn an_endpoint_that_refuses_connections_is_named_in_the_error() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (check, head) = error_of_unanswered(&endpoint).await;
    assert!(check.contains(&endpoint), "{check}");
    assert!(head.contains(&endpoint), "{head}");
}

#[tokio::test]
async fn an_endpoint_that_never_answers_is_named_in_the_error() {
    // Accepts connections and then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let (check, head) = error_of_unanswered(&endpoint).await;
    silent.abort();
    assert!(check.contains(&endpoint), "{check}");
    assert!(head.contains(&endpoint), "{head}");
}
