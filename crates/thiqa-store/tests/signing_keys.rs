//! Signing keys sealed in the database (issue 13, item 7): every instance
//! on one database gets the same journal and dossier keys without sharing
//! files, the database holds them only sealed, a key already in a file moves
//! in unchanged, a wrong wrapping key is named, and readers never create.

mod support;

on_both_backends!(
    instances_share_sealed_keys,
    a_key_in_a_file_moves_into_the_database,
);

use thiqa_crypto::seal::WrappingKey;
use thiqa_store::{file_seed, KeyCustody, KeyError, SigningKeyName, Store};

const WRAP: [u8; 32] = [0x5a; 32];

fn custody(dir: &std::path::Path) -> KeyCustody {
    KeyCustody::database(dir, WrappingKey::from_bytes(&WRAP))
}

async fn seed(
    store: &Store,
    custody: &KeyCustody,
    name: SigningKeyName,
    create: bool,
) -> Option<[u8; 32]> {
    store
        .signing_seed(custody, name, create, "test")
        .await
        .unwrap()
        .map(|s| *s)
}

async fn instances_share_sealed_keys(t: support::TestStore) {
    // Two instances: their own pools and their own (empty) data directories.
    let other = Store::open(&t.location, t.clock.clone()).await.unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let (mine, theirs) = (custody(t.dir.path()), custody(other_dir.path()));

    // A reader finds none and creates none.
    assert_eq!(
        seed(&t.store, &mine, SigningKeyName::Journal, false).await,
        None
    );
    // Both create at once: one key, the same for both.
    let (a, b) = tokio::join!(
        seed(&t.store, &mine, SigningKeyName::Journal, true),
        seed(&other, &theirs, SigningKeyName::Journal, true)
    );
    assert_eq!(a, b);
    let journal = a.unwrap();
    assert_eq!(
        seed(&other, &theirs, SigningKeyName::Journal, false).await,
        Some(journal)
    );
    // No file was written: the key lives in the database only, sealed.
    assert!(!t.dir.path().join("keys").exists());
    assert!(!other_dir.path().join("keys").exists());
    let raw = t.raw_pool().await;
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT name, sealed FROM signing_keys ORDER BY name")
            .fetch_all(&raw)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].1.windows(32).any(|w| w == journal));

    // The dossier key is another key.
    let dossier = seed(&other, &theirs, SigningKeyName::Dossier, true)
        .await
        .unwrap();
    assert_ne!(dossier, journal);

    // A wrong wrapping key is named, not taken for "no key".
    let wrong = KeyCustody::database(t.dir.path(), WrappingKey::from_bytes(&[1; 32]));
    let err = t
        .store
        .signing_seed(&wrong, SigningKeyName::Journal, true, "test")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KeyError::Unusable { message, .. } if message.contains("wrapping key")),
        "{err}"
    );
    // A sealed key copied under another name does not open.
    sqlx::query("UPDATE signing_keys SET sealed = (SELECT sealed FROM signing_keys WHERE name = 'journal') WHERE name = 'dossier'")
        .execute(&raw)
        .await
        .unwrap();
    assert!(t
        .store
        .signing_seed(&mine, SigningKeyName::Dossier, false, "test")
        .await
        .is_err());
}

async fn a_key_in_a_file_moves_into_the_database(t: support::TestStore) {
    // A deployment that signed with file keys, then configured a wrapping key.
    let before = *file_seed(t.dir.path(), SigningKeyName::Journal, true)
        .unwrap()
        .unwrap();
    let mine = custody(t.dir.path());
    // A reader uses the file's key without writing.
    assert_eq!(
        seed(&t.store, &mine, SigningKeyName::Journal, false).await,
        Some(before)
    );
    // A writer moves it; another instance without the file then reads it.
    assert_eq!(
        seed(&t.store, &mine, SigningKeyName::Journal, true).await,
        Some(before)
    );
    let other_dir = tempfile::tempdir().unwrap();
    assert_eq!(
        seed(
            &t.store,
            &custody(other_dir.path()),
            SigningKeyName::Journal,
            false
        )
        .await,
        Some(before)
    );
}
