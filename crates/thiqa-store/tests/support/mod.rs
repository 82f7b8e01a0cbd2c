//! Opens a fresh store on either backend for the scenario tests.

// Shared by several test binaries, each using a part of it.
#![allow(dead_code)]

use std::sync::Arc;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor, PgConnection};
use thiqa_domain::ManualClock;
use thiqa_store::{DatabaseLocation, Store};

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub struct TestStore {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub location: DatabaseLocation,
    /// The data directory (SQLite file, keys); a temporary one on PostgreSQL too.
    pub dir: tempfile::TempDir,
}

impl TestStore {
    /// A new operator account `name` of `tenant`, without password or
    /// second factor (the store's own checks are what is tested).
    #[allow(dead_code)]
    pub async fn operator(&self, tenant: thiqa_domain::Tenant, name: &str) -> i64 {
        self.store
            .tenant(tenant)
            .create_account(
                thiqa_store::NewAccount {
                    username: name.into(),
                    display_name: name.into(),
                    email: None,
                    password_hash: None,
                    totp_secret: None,
                    language: "fr".into(),
                },
                &thiqa_store::Actor::cli(),
            )
            .await
            .unwrap()
    }

    /// The test clock's instant, ms since the epoch.
    #[allow(dead_code)]
    pub fn clock_ms(&self) -> i64 {
        use thiqa_domain::Clock;
        self.clock.now_ms()
    }

    /// A second pool on the same database, for what no store method does
    /// (tampering with rows, installing triggers).
    pub async fn raw_pool(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match &self.location {
            DatabaseLocation::Sqlite { data_dir } => {
                format!(
                    "sqlite://{}",
                    DatabaseLocation::sqlite_path(data_dir).display()
                )
            }
            DatabaseLocation::Postgres { url } => url.clone(),
        };
        AnyPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .unwrap()
    }
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at_ms(1_780_000_000_000));
    let location = DatabaseLocation::Sqlite {
        data_dir: dir.path().to_path_buf(),
    };
    let store = Store::open(&location, clock.clone()).await.unwrap();
    TestStore {
        store,
        clock,
        location,
        dir,
    }
}

/// A brand-new database per test, so tests never see each other's rows.
pub async fn postgres() -> TestStore {
    let admin = postgres_admin_url();
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must run for the scenario tests ({admin}): {e}"));
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "thiqa_test_{}_{n}_{}",
        std::process::id(),
        rand_suffix() % 1000
    );
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let url = format!("{base}/{name}");
    let clock = Arc::new(ManualClock::at_ms(1_780_000_000_000));
    let location = DatabaseLocation::Postgres { url };
    let store = Store::open(&location, clock.clone()).await.unwrap();
    TestStore {
        store,
        clock,
        location,
        dir: tempfile::tempdir().unwrap(),
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() % 1_000_000_000
}

/// Runs one scenario function on both backends as two tests. With
/// `with Env;` first, each scenario gets `Env::new(test_store).await` (a
/// test file's own environment around the store).
#[macro_export]
macro_rules! on_both_backends {
    (with $wrap:ident; $($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test] async fn $name() {
                super::$name(super::$wrap::new(super::support::sqlite().await).await).await
            })*
        }
        mod postgres_backend {
            $(#[tokio::test] async fn $name() {
                super::$name(super::$wrap::new(super::support::postgres().await).await).await
            })*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test] async fn $name() { super::$name(super::support::sqlite().await).await })*
        }
        mod postgres_backend {
            $(#[tokio::test] async fn $name() { super::$name(super::support::postgres().await).await })*
        }
    };
}

/// A tmpfs of `size` mounted on `at` (root only, as in CI), unmounted on
/// drop: a disk that really fills up.
pub struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// Mounts it, or says why the calling test is skipped; under CI (root)
    /// a failure to mount fails the test instead.
    pub fn mount_or_skip(at: &std::path::Path, size: &str) -> Option<SmallDisk> {
        let disk = Self::mount(at, size);
        if disk.is_none() {
            assert!(
                std::env::var("CI").is_err(),
                "CI runs as root and must mount the small file system"
            );
            eprintln!("SKIPPED: cannot mount a small tmpfs here (needs root)");
        }
        disk
    }

    pub fn mount(at: &std::path::Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a closing connection may still hold a file a moment.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A level-2 IaaS service of `provider`, with no answers to the catalog's
/// questions.
pub async fn iaas_service(
    store: &Store,
    provider: thiqa_domain::ProviderId,
) -> thiqa_domain::ServiceId {
    let new = thiqa_store::NewService {
        name: "IaaS",
        description: "",
        model: "iaas",
        level: 2,
        facts_json: "{}",
    };
    store
        .provider(provider)
        .create_service(&new, &thiqa_store::Actor::cli())
        .await
        .unwrap()
}
