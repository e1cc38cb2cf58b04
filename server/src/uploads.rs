//! The avatar files on disk: the upload directory (`--upload-dir`), the
//! names the server gives the files it stores (`<uuid>.<ext>`, and no
//! other name is ever read), and the image types it accepts (PNG, JPEG and
//! WebP, recognised from a file's first bytes).

use std::path::{Path as FsPath, PathBuf};

use uuid::Uuid;

use crate::config::Config;
use crate::db::engine::is_postgres_url;
use crate::error::ApiError;

/// The prefix of the URL a stored file is served at.
const URL_PREFIX: &str = "/uploads/";

/// The upload directory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StoredAvatars {
    dir: PathBuf,
}

/// A file just stored, not yet named by any user.
#[derive(Debug)]
pub struct Stored {
    path: PathBuf,
    url: String,
}

impl Stored {
    /// The URL it is served at, `/uploads/<name>`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl StoredAvatars {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The directory `config` names: `--upload-dir`, else `uploads` in
    /// the directory of the SQLite file (the working directory for
    /// PostgreSQL, an in-memory or an unusual URL).
    pub fn from_config(config: &Config) -> Self {
        if let Some(dir) = &config.upload_dir {
            return Self::new(dir.clone());
        }
        let url = &config.database_url;
        if is_postgres_url(url) {
            return Self::new(PathBuf::from("uploads"));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = path.split('?').next().unwrap_or_default();
        let parent = (!path.is_empty() && !path.starts_with(':'))
            .then(|| FsPath::new(path).parent())
            .flatten()
            .filter(|p| !p.as_os_str().is_empty());
        Self::new(match parent {
            Some(dir) => dir.join("uploads"),
            None => PathBuf::from("uploads"),
        })
    }

    /// The directory itself.
    pub fn dir(&self) -> &FsPath {
        &self.dir
    }

    /// Stores `bytes` durably under a fresh name (see [`store`]); 415 when
    /// they are not one of the accepted images.
    pub async fn store(&self, bytes: Vec<u8>) -> Result<Stored, ApiError> {
        let kind = ImageKind::sniff(&bytes).ok_or_else(not_an_image)?;
        let name = format!("{}.{}", Uuid::new_v4(), kind.extension());
        let path = store(&self.dir, &name, bytes).await?;
        Ok(Stored {
            path,
            url: format!("{URL_PREFIX}{name}"),
        })
    }

    /// Removes a file stored for a write that did not happen.
    pub async fn discard(&self, stored: Stored) {
        let _ = tokio::fs::remove_file(&stored.path).await;
    }

    /// Removes the file `url` named, if the server made it: a user's
    /// previous avatar, once the new one is committed.
    pub async fn replaced(&self, url: &str) {
        let Some(name) = url
            .strip_prefix(URL_PREFIX)
            .filter(|name| parse_name(name).is_some())
        else {
            return;
        };
        if let Err(e) = tokio::fs::remove_file(self.dir.join(name)).await {
            tracing::warn!(file = name, error = %e, "could not delete a replaced avatar");
        }
    }

    /// The bytes and media type of the stored file `name`; `None` when the
    /// server could not have made that name or holds no such file.
    pub async fn read(&self, name: &str) -> Result<Option<(Vec<u8>, &'static str)>, ApiError> {
        let Some(kind) = parse_name(name) else {
            return Ok(None);
        };
        match tokio::fs::read(self.dir.join(name)).await {
            Ok(bytes) => Ok(Some((bytes, kind.mime()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ApiError::internal("reading an upload", e)),
        }
    }
}

fn not_an_image() -> ApiError {
    ApiError::UnsupportedMediaType(
        "the avatar must be a PNG, JPEG or WebP image (recognised from its contents)".into(),
    )
}

/// An image type the server stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// The type the file's first bytes announce, if one of ours.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "png" => Some(Self::Png),
            "jpg" => Some(Self::Jpeg),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

/// The kind of a stored file's name, if the server could have made it:
/// `<uuid>.<ext>` and nothing else (no separators, no dots elsewhere).
fn parse_name(name: &str) -> Option<ImageKind> {
    let (stem, ext) = name.split_once('.')?;
    let id = Uuid::try_parse(stem).ok()?;
    // Only the canonical hyphenated lower-case form the server writes.
    (id.hyphenated().to_string() == stem)
        .then(|| ImageKind::from_extension(ext))
        .flatten()
}

/// Writes `bytes` to `dir/name` durably: through a temporary file in the
/// same directory, synced, renamed into place, and the directory synced,
/// so once the row naming the file commits, a crash cannot leave it
/// pointing at a missing or torn image.
async fn store(dir: &FsPath, name: &str, bytes: Vec<u8>) -> Result<PathBuf, ApiError> {
    let (dir, temp, target) = (
        dir.to_owned(),
        dir.join(format!(".{name}.tmp")),
        dir.join(name),
    );
    let written = {
        let (temp, target) = (temp.clone(), target.clone());
        tokio::task::spawn_blocking(move || write_synced(&dir, &temp, &target, &bytes))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    };
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(ApiError::internal("storing an avatar", e));
    }
    Ok(target)
}

fn write_synced(dir: &FsPath, temp: &FsPath, target: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::File::create(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(temp, target)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::{parse_name, ImageKind};

    #[test]
    fn images_are_recognised_from_their_bytes() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageKind::Png)
        );
        assert_eq!(ImageKind::sniff(b"\xFF\xD8\xFF\xE0"), Some(ImageKind::Jpeg));
        assert_eq!(
            ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(ImageKind::sniff(b"\x89PNG"), None);
        assert_eq!(ImageKind::sniff(b"hello"), None);
    }

    #[test]
    fn only_names_the_server_makes_are_served() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(parse_name(&format!("{id}.png")), Some(ImageKind::Png));
        assert_eq!(parse_name(&format!("{id}.webp")), Some(ImageKind::Webp));
        assert_eq!(parse_name(&format!("{id}.exe")), None);
        assert_eq!(parse_name(&format!("{id}.png.png")), None);
        assert_eq!(parse_name(&format!("../{id}.png")), None);
        assert_eq!(parse_name(&format!(".{id}.png.tmp")), None);
        assert_eq!(parse_name(&format!("{}.png", id.simple())), None);
        assert_eq!(parse_name("../../etc/passwd"), None);
    }
}
