//! Finding ffprobe and ffmpeg: at the configured paths, or on `PATH`. Without them Goblet takes
//! only containers browsers play, as they are.

use std::path::{Path, PathBuf};

/// The two programs, both found.
#[derive(Clone, Debug)]
pub struct Tools {
    pub ffprobe: PathBuf,
    pub ffmpeg: PathBuf,
}

impl Tools {
    /// Both programs, from the configured paths (empty: look on `PATH`); None when either is
    /// missing (said in the log once, at start).
    pub fn find(ffprobe_path: &Path, ffmpeg_path: &Path) -> Option<Self> {
        let ffprobe = locate(ffprobe_path, "ffprobe");
        let ffmpeg = locate(ffmpeg_path, "ffmpeg");
        match (ffprobe, ffmpeg) {
            (Some(ffprobe), Some(ffmpeg)) => {
                tracing::info!(ffprobe = %ffprobe.display(), ffmpeg = %ffmpeg.display(), "videos browsers cannot play will be converted");
                Some(Self { ffprobe, ffmpeg })
            }
            _ => {
                tracing::warn!(
                    "ffprobe and ffmpeg not found: only videos browsers play as they are are taken (sudo apt-get install ffmpeg)"
                );
                None
            }
        }
    }
}

/// `configured` when it is an executable file; otherwise, when nothing is configured, the first
/// `name` on `PATH`.
fn locate(configured: &Path, name: &str) -> Option<PathBuf> {
    if !configured.as_os_str().is_empty() {
        return is_executable(configured).then(|| configured.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_that_is_not_there_means_no_tools() {
        let nowhere = Path::new("/nonexistent/ffmpeg");
        assert!(Tools::find(nowhere, nowhere).is_none());
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("ffmpeg");
        std::fs::write(&plain, b"").unwrap();
        assert!(locate(&plain, "x").is_none(), "not executable");
        assert_eq!(
            locate(Path::new("/bin/sh"), "x"),
            Some(PathBuf::from("/bin/sh"))
        );
    }
}
