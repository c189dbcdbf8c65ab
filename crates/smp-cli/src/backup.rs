//! `smp backup`: the embedded database and the photos, copied into a new
//! folder that is itself a data folder (`smp serve --data BACKUP` runs on
//! it), while the app may keep running.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use smp_store::Store;
use smp_store::create_private_folder;

use crate::serve::{DataArgs, runtime};

#[derive(clap::Args)]
pub struct BackupArgs {
    /// A new folder for the backup (never an existing one).
    dest: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

/// Files under `dir`, recursively, with their sizes; none when it is missing.
fn files_under(dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))? {
            let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                out.push((entry.path(), entry.metadata()?.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Makes sure the file at `path` is on the disk.
fn sync(path: &Path) -> Result<()> {
    fs::File::open(path).and_then(|f| f.sync_all()).with_context(|| format!("cannot sync {}", path.display()))
}

/// Copies `from` to `to`, readable by the owner only, and makes sure the
/// copy is on the disk.
fn copy_durably(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_private_folder(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(to, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", to.display()))?;
    }
    sync(to)
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

pub fn backup(args: &BackupArgs) -> Result<String> {
    if args.data.database.is_some() {
        bail!(
            "--database: back a PostgreSQL database up with pg_dump; smp backup copies the embedded database and the photos of --data"
        );
    }
    let data = &args.data.data;
    let database = data.join("smp.db");
    if !database.is_file() {
        bail!("{}: no SMP Studio database here (no {})", data.display(), database.display());
    }
    let dest = &args.dest;
    if dest.exists() {
        bail!("{} exists: a backup goes into a new folder, never over an old one", dest.display());
    }
    let name = dest.file_name().with_context(|| format!("{} is not a folder name", dest.display()))?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!("{}: the folder {} does not exist", dest.display(), parent.display());
    }
    // Built beside its final place and renamed at the end: an interrupted
    // backup never looks like a finished one.
    let partial = parent.join(format!(".{}.partial", name.to_string_lossy()));
    if partial.exists() {
        fs::remove_dir_all(&partial)
            .with_context(|| format!("cannot clear {} (left by an interrupted backup)", partial.display()))?;
    }
    create_private_folder(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    match write_backup(data, &partial) {
        Ok(summary) => {
            fs::rename(&partial, dest)
                .with_context(|| format!("cannot move {} to {}", partial.display(), dest.display()))?;
            Ok(format!(
                "backed up into {}: {summary}; `smp serve --data {}` runs on it",
                dest.display(),
                dest.display()
            ))
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&partial);
            Err(e)
        }
    }
}

/// Writes the database snapshot, then the photos, into `into`, and checks
/// the copy; returns what it holds. The database goes first: every photo
/// it names was written before its record, so the copy has them all.
fn write_backup(data: &Path, into: &Path) -> Result<String> {
    let copy = into.join("smp.db");
    let runtime = runtime()?;
    runtime.block_on(async {
        // Read-only: a backup never migrates or writes the live database.
        let store = Store::open_read_only_in(data).await.context("cannot open the database")?;
        store.backup_to(&copy).await.context("cannot copy the database")?;
        store.close().await;
        anyhow::Ok(())
    })?;
    sync(&copy)?;

    let photos = files_under(&data.join("photos"))?;
    let bytes: u64 = photos.iter().map(|(_, size)| size).sum();
    let bar = crate::progress_bar(bytes.max(1));
    bar.set_message("copying the photos");
    for (file, size) in &photos {
        let relative = file.strip_prefix(data).with_context(|| format!("{} moved", file.display()))?;
        copy_durably(file, &into.join(relative))?;
        bar.inc(*size);
    }
    bar.finish_and_clear();

    let sound = runtime.block_on(async {
        let store = Store::open_in(into).await.context("cannot open the copy")?;
        let ok = store.integrity_ok().await.context("cannot check the copy")?;
        store.close().await;
        anyhow::Ok(ok)
    })?;
    if !sound {
        bail!("the database copy failed SQLite's integrity check; the original is untouched");
    }
    Ok(format!(
        "the database ({:.1} MB, checked) and {} photo file{} ({:.1} MB)",
        megabytes(fs::metadata(&copy)?.len()),
        photos.len(),
        if photos.len() == 1 { "" } else { "s" },
        megabytes(bytes)
    ))
}
