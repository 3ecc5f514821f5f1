//! Where exports go and imports come from: DynamoDB's S3, as a local directory or an
//! S3-compatible endpoint.
//!
//! ExportTableToPointInTime writes a table to an S3 bucket and ImportTable reads one into a new
//! table. The emulator offers three stores behind one small API (list, get, put):
//!
//! - **none** (the default): no bucket exists, so exports and imports end `FAILED` with
//!   `S3NoSuchBucket`, as they would against an account without that bucket;
//! - **a directory** (`--s3 file:///path`): each bucket is a subdirectory, each object a file
//!   under it, keys split on `/`; nothing leaves the machine and a test can read the files;
//! - **an S3-compatible endpoint** (`--s3 http://host:port`: MinIO, LocalStack, moto, or S3
//!   itself through a plain-HTTP proxy), path-style requests signed with SigV4
//!   ([`s3`]).
//!
//! Errors keep S3's codes (`NoSuchBucket`, `AccessDenied`, ...) since DynamoDB reports an
//! export's or an import's failure with them (`FailureCode: S3NoSuchBucket`).

mod s3;

pub use s3::S3Endpoint;

use std::path::{Component, Path, PathBuf};

/// An object in a listing: its key and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

/// Why a store operation failed, with S3's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreError {
    /// S3's code, e.g. `NoSuchBucket`.
    pub code: String,
    pub message: String,
}

impl StoreError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> StoreError {
        StoreError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// The message as DynamoDB reports an S3 failure: S3's own, then the service, status
    /// and code.
    pub(crate) fn describe(&self) -> String {
        let status = match self.code.as_str() {
            "NoSuchBucket" | "NoSuchKey" => 404,
            "AccessDenied" => 403,
            "InvalidObjectName" => 400,
            _ => 500,
        };
        format!(
            "{} (Service: Amazon S3; Status Code: {status}; Error Code: {})",
            self.message, self.code
        )
    }

    fn no_such_bucket() -> StoreError {
        StoreError::new("NoSuchBucket", "The specified bucket does not exist")
    }
}

/// Where exports are written and imports read: see the module documentation.
#[derive(Debug, Clone, Default)]
pub enum ObjectStore {
    /// No buckets at all.
    #[default]
    None,
    /// Buckets are subdirectories of this directory.
    Directory(PathBuf),
    /// An S3-compatible endpoint.
    S3(S3Endpoint),
}

impl ObjectStore {
    /// A store whose buckets are the subdirectories of `root`.
    pub fn directory(root: impl Into<PathBuf>) -> ObjectStore {
        ObjectStore::Directory(root.into())
    }

    /// Parses the `--s3` flag: `file:///path` (or a plain path) for a directory,
    /// `http://host[:port][/base]` for an endpoint, signed with `credentials`
    /// (`(access key, secret)`) for `region`.
    pub fn parse(
        spec: &str,
        region: &str,
        credentials: (&str, &str),
    ) -> Result<ObjectStore, String> {
        if let Some(path) = spec.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "{spec}: a file URL needs an absolute path (file:///dir)"
                ));
            }
            return Ok(ObjectStore::directory(path));
        }
        if spec.starts_with("http://") || spec.starts_with("https://") {
            return S3Endpoint::new(spec, region, credentials.0, credentials.1)
                .map(ObjectStore::S3);
        }
        if spec.contains("://") {
            return Err(format!(
                "{spec}: the S3 store is a file:// directory or an http:// endpoint"
            ));
        }
        Ok(ObjectStore::directory(spec))
    }

    /// Every object of `bucket` whose key starts with `prefix`, in key order (S3's order).
    pub(crate) fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        match self {
            ObjectStore::None => Err(StoreError::no_such_bucket()),
            ObjectStore::Directory(root) => {
                let dir = bucket_dir(root, bucket)?;
                let mut out = Vec::new();
                walk(&dir, String::new(), &mut out).map_err(io_error)?;
                out.retain(|o| o.key.starts_with(prefix));
                out.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(out)
            }
            ObjectStore::S3(s3) => s3.list(bucket, prefix),
        }
    }

    /// The object's bytes.
    pub(crate) fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            ObjectStore::None => Err(StoreError::no_such_bucket()),
            ObjectStore::Directory(root) => {
                let path = object_path(&bucket_dir(root, bucket)?, key)?;
                if std::fs::metadata(&path)
                    .is_ok_and(|m| m.len() > crate::transfer::MAX_OBJECT_BYTES)
                {
                    return Err(StoreError::new(
                        "EntityTooLarge",
                        format!("an object over {} bytes", crate::transfer::MAX_OBJECT_BYTES),
                    ));
                }
                std::fs::read(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => {
                        StoreError::new("NoSuchKey", "The specified key does not exist.")
                    }
                    _ => io_error(e),
                })
            }
            ObjectStore::S3(s3) => s3.get(bucket, key),
        }
    }

    /// Writes an object, replacing any with that key.
    pub(crate) fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        match self {
            ObjectStore::None => Err(StoreError::no_such_bucket()),
            ObjectStore::Directory(root) => {
                let path = object_path(&bucket_dir(root, bucket)?, key)?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(io_error)?;
                }
                // Written aside and renamed, so a reader never sees half an object.
                let mut tmp = path.clone().into_os_string();
                tmp.push(".partial-upload");
                let tmp = PathBuf::from(tmp);
                std::fs::write(&tmp, body).map_err(io_error)?;
                std::fs::rename(&tmp, &path).map_err(io_error)
            }
            ObjectStore::S3(s3) => s3.put(bucket, key, body),
        }
    }
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::new("InternalError", e.to_string())
}

fn bucket_dir(root: &Path, bucket: &str) -> Result<PathBuf, StoreError> {
    let dir = root.join(bucket);
    let plain = Path::new(bucket)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !plain || bucket.contains('/') || !dir.is_dir() {
        return Err(StoreError::no_such_bucket());
    }
    Ok(dir)
}

/// The file holding `key`: each `/`-separated part a path component; a key with an empty,
/// `.` or `..` part has no file.
fn object_path(bucket: &Path, key: &str) -> Result<PathBuf, StoreError> {
    let mut path = bucket.to_path_buf();
    for part in key.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains(['\\', ':']) {
            return Err(StoreError::new(
                "InvalidObjectName",
                format!("the key {key:?} cannot be stored as a file"),
            ));
        }
        path.push(part);
    }
    Ok(path)
}

fn walk(dir: &Path, prefix: String, out: &mut Vec<ObjectInfo>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let key = format!("{prefix}{name}");
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), format!("{key}/"), out)?;
        } else if kind.is_file() && !name.ends_with(".partial-upload") {
            out.push(ObjectInfo {
                key,
                size: entry.metadata()?.len(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_store_keeps_objects_as_files_and_lists_them_in_key_order() {
        let root = std::env::temp_dir().join(format!("store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("bucket")).unwrap();
        let store = ObjectStore::directory(&root);
        store.put("bucket", "p/b/data.json", b"two").unwrap();
        store.put("bucket", "p/a", b"one").unwrap();
        store.put("bucket", "q", b"three").unwrap();
        let keys: Vec<String> = store
            .list("bucket", "p/")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["p/a", "p/b/data.json"]);
        assert_eq!(store.get("bucket", "p/b/data.json").unwrap(), b"two");
        assert_eq!(store.get("bucket", "p/x").unwrap_err().code, "NoSuchKey");
        assert_eq!(store.list("missing", "").unwrap_err().code, "NoSuchBucket");
        assert_eq!(
            store.list("../bucket", "").unwrap_err().code,
            "NoSuchBucket"
        );
        assert_eq!(
            store.put("bucket", "a/../../x", b"").unwrap_err().code,
            "InvalidObjectName"
        );
        assert_eq!(
            ObjectStore::None.get("bucket", "k").unwrap_err().code,
            "NoSuchBucket"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_flag_names_a_directory_or_an_endpoint() {
        assert!(matches!(
            ObjectStore::parse("file:///tmp/x", "us-east-1", ("a", "b")),
            Ok(ObjectStore::Directory(p)) if p == Path::new("/tmp/x")
        ));
        assert!(matches!(
            ObjectStore::parse("http://127.0.0.1:9000", "us-east-1", ("a", "b")),
            Ok(ObjectStore::S3(_))
        ));
        assert!(ObjectStore::parse("file://relative", "us-east-1", ("a", "b")).is_err());
        assert!(ObjectStore::parse("ftp://x", "us-east-1", ("a", "b")).is_err());
    }
}
