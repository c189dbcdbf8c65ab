//! The photo store: the image files of client photos, kept in a local
//! folder (the default, beside the embedded database) or in an
//! S3-compatible bucket (for a chain, whose instances share one bucket as
//! they share one PostgreSQL database).
//!
//! Files are addressed by studio and name (`STUDIO/NAME`), names the server
//! chose. Either way a file is written whole or not at all: the folder
//! writes a private temporary file, flushes it and renames it; a bucket
//! makes an object visible only once its upload is complete. Files are
//! private: 0600 in 0700 folders, and a bucket is only ever read through
//! the app (no public or presigned links).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::{StoreError, StudioId};

/// How the temporary files of a folder store begin: one left by a crash is
/// never a finished file, and is swept.
pub const PARTIAL_PREFIX: &str = ".smp-partial-";

/// A file in the photo store, as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its name within the studio.
    pub name: String,
    /// When it was last written.
    pub modified: SystemTime,
}

/// Where photo files are kept. Cheap to clone.
#[derive(Clone)]
pub struct PhotoFiles(Kept);

#[derive(Clone)]
enum Kept {
    Folder(PathBuf),
    Bucket { bucket: Arc<dyn ObjectStore>, prefix: Key, url: String },
}

impl std::fmt::Debug for PhotoFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Studio ids and file names are the server's own, but they become paths:
/// anything that could climb out of the store is refused.
fn checked_part<'a>(what: &str, part: &'a str) -> Result<&'a str, StoreError> {
    let fine = !part.is_empty()
        && part.len() <= 128
        && !part.starts_with('.')
        && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if fine {
        Ok(part)
    } else {
        Err(StoreError::Files(format!("{what} {part:?} is not a stored file's name")))
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Files(format!("{what} {}: {e}", path.display()))
}

fn bucket_error(what: &str, key: &Key, e: object_store::Error) -> StoreError {
    StoreError::Files(format!("{what} {key}: {e}"))
}

/// Creates `folder` and its missing parents readable by their owner only
/// (0700, whatever the umask): the photo store and backups.
pub fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Writes `bytes` to `path` whole or not at all: a private temporary file
/// beside it, flushed, renamed over it, and the folder flushed so that the
/// rename survives a power cut.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    create_private_folder(folder)?;
    let mut temp = tempfile::Builder::new().prefix(PARTIAL_PREFIX).tempfile_in(folder)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(folder)?.sync_all()?;
    Ok(())
}

impl PhotoFiles {
    /// Files under `folder`, one folder per studio.
    pub fn in_folder(folder: impl Into<PathBuf>) -> Self {
        Self(Kept::Folder(folder.into()))
    }

    /// Files in an S3-compatible bucket, `s3://BUCKET[/PREFIX]`. The
    /// credentials, region and endpoint come from the usual environment
    /// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_DEFAULT_REGION`, `AWS_ENDPOINT` for a server other than Amazon's;
    /// plain `http://` only with `AWS_ALLOW_HTTP=true`). Nothing is sent
    /// until the first use: [`PhotoFiles::check`] tries the bucket.
    pub fn in_bucket(url: &str) -> Result<Self, StoreError> {
        let refuse = |why: &str| StoreError::Files(format!("the photo store {url:?} {why}"));
        let rest = url.strip_prefix("s3://").ok_or_else(|| refuse("is not an s3://BUCKET/PREFIX address"))?;
        let (bucket_name, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket_name.is_empty() {
            return Err(refuse("names no bucket"));
        }
        use object_store::aws::AmazonS3ConfigKey::Client;
        use object_store::{ClientConfigKey, RetryConfig};
        let bucket = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket_name)
            // Buckets on a studio's own server are addressed by path.
            .with_virtual_hosted_style_request(false)
            // A store that does not answer is said within seconds, not
            // after the library's default three minutes of retries, while
            // a client waits at the chair.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(20),
                ..RetryConfig::default()
            })
            .with_config(Client(ClientConfigKey::ConnectTimeout), "5s")
            .with_config(Client(ClientConfigKey::Timeout), "60s")
            .build()
            .map_err(|e| refuse(&format!("cannot be used: {e}")))?;
        Ok(Self(Kept::Bucket {
            bucket: Arc::new(bucket),
            prefix: Key::from(prefix.trim_matches('/')),
            url: url.trim_end_matches('/').to_string(),
        }))
    }

    /// Where the files are, for messages and logs.
    pub fn describe(&self) -> String {
        match &self.0 {
            Kept::Folder(folder) => folder.display().to_string(),
            Kept::Bucket { url, .. } => url.clone(),
        }
    }

    fn path(folder: &Path, studio: &StudioId, name: &str) -> Result<PathBuf, StoreError> {
        Ok(folder.join(checked_part("studio", &studio.0)?).join(checked_part("file", name)?))
    }

    fn key(prefix: &Key, studio: &StudioId, name: &str) -> Result<Key, StoreError> {
        Ok(prefix.clone().join(checked_part("studio", &studio.0)?).join(checked_part("file", name)?))
    }

    /// Stores a file whole, replacing any of that name.
    pub async fn put(&self, studio: &StudioId, name: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        match &self.0 {
            Kept::Folder(folder) => {
                let path = Self::path(folder, studio, name)?;
                tokio::task::spawn_blocking(move || {
                    write_whole(&path, &bytes).map_err(|e| io_error("cannot write", &path, e))
                })
                .await
                .map_err(|e| StoreError::Files(format!("the write stopped: {e}")))?
            }
            Kept::Bucket { bucket, prefix, .. } => {
                let key = Self::key(prefix, studio, name)?;
                bucket.put(&key, bytes.into()).await.map_err(|e| bucket_error("cannot write", &key, e))?;
                Ok(())
            }
        }
    }

    /// A file's bytes; `None` when there is no such file.
    pub async fn get(&self, studio: &StudioId, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.0 {
            Kept::Folder(folder) => {
                let path = Self::path(folder, studio, name)?;
                match tokio::fs::read(&path).await {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(io_error("cannot read", &path, e)),
                }
            }
            Kept::Bucket { bucket, prefix, .. } => {
                let key = Self::key(prefix, studio, name)?;
                let read = async { bucket.get(&key).await?.bytes().await };
                match read.await {
                    Ok(bytes) => Ok(Some(bytes.to_vec())),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(bucket_error("cannot read", &key, e)),
                }
            }
        }
    }

    /// Removes a file; removing one that is not there is no error.
    pub async fn delete(&self, studio: &StudioId, name: &str) -> Result<(), StoreError> {
        match &self.0 {
            Kept::Folder(folder) => {
                let path = match name.strip_prefix(PARTIAL_PREFIX) {
                    // A crash's temporary file, which the sweep removes.
                    Some(rest) => {
                        checked_part("file", rest)?;
                        folder.join(checked_part("studio", &studio.0)?).join(name)
                    }
                    None => Self::path(folder, studio, name)?,
                };
                match tokio::fs::remove_file(&path).await {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(io_error("cannot remove", &path, e))
                    }
                    _ => Ok(()),
                }
            }
            Kept::Bucket { bucket, prefix, .. } => {
                let key = Self::key(prefix, studio, name)?;
                match bucket.delete(&key).await {
                    Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => {
                        Err(bucket_error("cannot remove", &key, e))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// The studios that have files here.
    pub async fn studios(&self) -> Result<Vec<StudioId>, StoreError> {
        match &self.0 {
            Kept::Folder(folder) => {
                let folder = folder.clone();
                blocking(move || {
                    let entries = match std::fs::read_dir(&folder) {
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                        other => other.map_err(|e| io_error("cannot list", &folder, e))?,
                    };
                    let mut studios = Vec::new();
                    for entry in entries {
                        let entry = entry.map_err(|e| io_error("cannot list", &folder, e))?;
                        if entry.file_type().is_ok_and(|t| t.is_dir()) {
                            studios.push(StudioId(entry.file_name().to_string_lossy().into_owned()));
                        }
                    }
                    Ok(studios)
                })
                .await
            }
            Kept::Bucket { bucket, prefix, .. } => {
                let listed = bucket
                    .list_with_delimiter(Some(prefix))
                    .await
                    .map_err(|e| bucket_error("cannot list", prefix, e))?;
                Ok(listed
                    .common_prefixes
                    .iter()
                    .filter_map(|p| p.filename().map(|name| StudioId(name.to_string())))
                    .collect())
            }
        }
    }

    /// A studio's files, temporary ones a crash left included.
    pub async fn list(&self, studio: &StudioId) -> Result<Vec<StoredFile>, StoreError> {
        let studio_part = checked_part("studio", &studio.0)?.to_string();
        match &self.0 {
            Kept::Folder(folder) => {
                let folder = folder.join(studio_part);
                blocking(move || {
                    let entries = match std::fs::read_dir(&folder) {
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                        other => other.map_err(|e| io_error("cannot list", &folder, e))?,
                    };
                    let mut files = Vec::new();
                    for entry in entries {
                        let entry = entry.map_err(|e| io_error("cannot list", &folder, e))?;
                        let metadata = entry.metadata().map_err(|e| io_error("cannot list", &folder, e))?;
                        if metadata.is_file() {
                            files.push(StoredFile {
                                name: entry.file_name().to_string_lossy().into_owned(),
                                modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                            });
                        }
                    }
                    Ok(files)
                })
                .await
            }
            Kept::Bucket { bucket, prefix, .. } => {
                let under = prefix.clone().join(studio_part);
                let listed = bucket
                    .list_with_delimiter(Some(&under))
                    .await
                    .map_err(|e| bucket_error("cannot list", &under, e))?;
                Ok(listed
                    .objects
                    .iter()
                    .filter_map(|o| {
                        let name = o.location.filename()?.to_string();
                        let millis = u64::try_from(o.last_modified.timestamp_millis()).unwrap_or(0);
                        Some(StoredFile {
                            name,
                            modified: SystemTime::UNIX_EPOCH + Duration::from_millis(millis),
                        })
                    })
                    .collect())
            }
        }
    }

    /// Tries the store before the app starts: a file written, read back and
    /// removed, so that a wrong address or key is reported at once, not at
    /// the first photo a client waits for.
    pub async fn check(&self) -> Result<(), StoreError> {
        let probe = StudioId("smp-check".into());
        let name = format!("{}.probe", crate::new_id());
        let bytes = b"SMP Studio checks that it can keep photos here".to_vec();
        self.put(&probe, &name, bytes.clone()).await?;
        let back = self.get(&probe, &name).await?;
        self.delete(&probe, &name).await?;
        if back.as_deref() != Some(&bytes[..]) {
            return Err(StoreError::Files(format!("{} did not give back what was written", self.describe())));
        }
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Files(format!("stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_store_are_refused() {
        for bad in ["", "..", "../x", "a/b", ".hidden", "a\\b", "x y"] {
            assert!(checked_part("file", bad).is_err(), "{bad:?}");
        }
        for good in ["0123abcd.jpg", "0123abcd.thumb.jpg", "studio-1"] {
            assert_eq!(checked_part("file", good).unwrap(), good);
        }
    }
}
