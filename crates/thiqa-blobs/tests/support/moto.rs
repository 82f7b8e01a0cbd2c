//! A real S3-compatible server for the blob-store tests: moto's server
//! (PyPI `moto[server]`, installed by scripts/test) with authentication on,
//! so requests with a wrong signature are refused as AWS would. An IAM user
//! with an S3 policy and an access key are created, then the bucket with
//! that key. Used by the blob store's tests and by the server's
//! (`crates/thiqa-server/tests/support/mod.rs` includes this file).
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MotoS3 {
    child: Child,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
}

/// Creates the user, key and bucket; prints "access_key secret_key".
const SETUP: &str = r#"
import json, sys, boto3
ep = sys.argv[1]
iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="thiqa")
key = iam.create_access_key(UserName="thiqa")["AccessKey"]
iam.put_user_policy(UserName="thiqa", PolicyName="evidence", PolicyDocument=json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=sys.argv[2])
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;

/// Lists the bucket's object names, one per line (an independent reader).
const LIST: &str = r#"
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
for o in s3.list_objects_v2(Bucket=sys.argv[4]).get("Contents", []):
    print(o["Key"], o["Size"])
"#;

/// Deletes one object (an operator's mistake a restore must notice).
const DELETE: &str = r#"
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
s3.delete_object(Bucket=sys.argv[4], Key=sys.argv[5])
"#;

impl MotoS3 {
    pub fn start() -> MotoS3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // The three IAM calls of SETUP go without authentication; every
            // later request must carry a valid signature.
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server (pip install 'moto[server]'; scripts/test installs it)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let bucket = "thiqa-evidence".to_string();
        let out = Command::new("python3")
            .args(["-c", SETUP, &endpoint, &bucket])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "S3 set-up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let (access_key, secret_key) = text.trim().split_once(' ').unwrap();
        MotoS3 {
            child,
            endpoint,
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            bucket,
        }
    }

    pub fn delete(&self, key: &str) {
        self.python(DELETE, &[key]);
    }

    /// (object name, size) of every object, as boto3 lists them.
    pub fn objects(&self) -> Vec<(String, u64)> {
        self.python(LIST, &[])
            .lines()
            .map(|l| {
                let (k, n) = l.rsplit_once(' ').unwrap();
                (k.to_string(), n.parse().unwrap())
            })
            .collect()
    }

    /// Runs `script` with the endpoint, the keys, the bucket and `extra`
    /// as arguments; its standard output.
    fn python(&self, script: &str, extra: &[&str]) -> String {
        let out = Command::new("python3")
            .args([
                "-c",
                script,
                &self.endpoint,
                &self.access_key,
                &self.secret_key,
                &self.bucket,
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for MotoS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
