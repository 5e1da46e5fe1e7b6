//! Files that hold phone numbers: created private (0600), never written through a symlink, and
//! appended to in whole lines. A line torn by a crash or a full disk is cut off before the next
//! append, so the next run never glues its line to a fragment. A leaf: nothing from the crate.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// `O_NOFOLLOW` on Linux: the open fails on a symlink instead of writing to wherever it points.
#[cfg(target_os = "linux")]
const O_NOFOLLOW: i32 = 0o400000;
#[cfg(not(target_os = "linux"))]
const O_NOFOLLOW: i32 = 0;

/// Refuses a path that is a symlink, naming it.
pub fn refuse_symlink(path: &Path) -> io::Result<()> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link; cartnudge writes phone numbers only to a regular file it owns (point the config at the real path)",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Options for a private file: created 0600, not through a symlink.
pub fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(O_NOFOLLOW);
    }
    o
}

/// What opening an append-only file found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Repair {
    /// Bytes of a partial last line that were cut off.
    pub cut: u64,
}

/// Opens `path` for appending whole lines (created 0600), after cutting a partial last line.
pub fn open_lines(path: &Path) -> io::Result<(File, Repair)> {
    refuse_symlink(path)?;
    let mut file = private_options()
        .create(true)
        .read(true)
        .append(true)
        .open(path)?;
    let repair = cut_partial_line(&mut file)?;
    Ok((file, repair))
}

/// Truncates the file after its last `\n` when it does not end with one.
fn cut_partial_line(file: &mut File) -> io::Result<Repair> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Repair::default());
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(Repair::default());
    }
    // Search backwards for the last complete line.
    let mut end = len;
    let mut keep = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            keep = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(Repair { cut: len - keep })
}

/// Appends `buf` (whole lines) in one write; on failure the file is cut back to where it was,
/// so a full disk never leaves a fragment for the next line to be glued to.
pub fn append_whole(file: &mut File, buf: &[u8]) -> io::Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    let before = file.metadata()?.len();
    match file.write_all(buf) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = file.set_len(before);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "h1,h2\nr1,x\nr2,tor").unwrap();
        let (mut f, repair) = open_lines(&path).unwrap();
        assert_eq!(repair, Repair { cut: 6 });
        append_whole(&mut f, b"r3,y\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "h1,h2\nr1,x\nr3,y\n"
        );
        // A file with no complete line at all is emptied.
        std::fs::write(&path, "h1,h").unwrap();
        let (_, repair) = open_lines(&path).unwrap();
        assert_eq!((repair.cut, std::fs::read(&path).unwrap().len()), (4, 0));
    }

    #[test]
    fn files_are_private_and_symlinks_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.jsonl");
        open_lines(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "keep\n").unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = open_lines(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    }
}
