//! The bundle's hashed file names. With `hash-files`, pages name the
//! bundle as `hash.txt` lists it (`js: <hash>` and so on; cargo-leptos
//! writes it beside the server binary). A list left by an earlier build
//! (`cargo leptos watch` does not hash, and debug and release builds share
//! one site root) names files the site no longer has, and pages would load
//! no script and no style: [`checked`] then turns hashing off, with a
//! warning, so pages name the files by their plain names.

use std::path::{Path, PathBuf};

use leptos::config::LeptosOptions;

/// The kinds of file `hash.txt` lists that pages load.
const LOADED: [&str; 3] = ["js", "wasm", "css"];

/// `options`, with hashing turned off when the files `hash.txt` names are
/// not all in the site.
pub fn checked(mut options: LeptosOptions) -> LeptosOptions {
    if !options.hash_files {
        return options;
    }
    let list = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&*options.hash_file)))
        .unwrap_or_else(|| PathBuf::from(&*options.hash_file));
    if let Some(missing) = first_missing(&list, &options) {
        tracing::warn!(
            list = %list.display(),
            missing = %missing.display(),
            "the hashed bundle named by the hash list is not in the site; pages name the unhashed files"
        );
        options.hash_files = false;
    }
    options
}

/// The first file `list` names that is not in the site, or `list` itself
/// when it cannot be read.
pub fn first_missing(list: &Path, options: &LeptosOptions) -> Option<PathBuf> {
    let Ok(text) = std::fs::read_to_string(list) else {
        return Some(list.to_path_buf());
    };
    let pkg = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(kind, hash)| (kind.trim(), hash.trim()))
        .filter(|(kind, _)| LOADED.contains(kind))
        .map(|(kind, hash)| pkg.join(format!("{}.{hash}.{kind}", options.output_name)))
        .find(|file| !file.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(root: &Path) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("tidings")
            .site_root(root.to_str().unwrap())
            .hash_files(true)
            .build()
    }

    #[test]
    fn a_list_is_good_when_every_file_it_names_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        let list = dir.path().join("hash.txt");
        std::fs::write(&list, "js: aaa\nwasm: bbb\ncss: ccc\nmanifest: ddd\n").unwrap();
        let options = site(dir.path());
        assert_eq!(
            first_missing(&list, &options),
            Some(pkg.join("tidings.aaa.js"))
        );
        for name in ["tidings.aaa.js", "tidings.bbb.wasm"] {
            std::fs::write(pkg.join(name), "x").unwrap();
        }
        assert_eq!(
            first_missing(&list, &options),
            Some(pkg.join("tidings.ccc.css"))
        );
        std::fs::write(pkg.join("tidings.ccc.css"), "x").unwrap();
        assert_eq!(first_missing(&list, &options), None);
        let absent = dir.path().join("none.txt");
        assert_eq!(first_missing(&absent, &options), Some(absent.clone()));
    }

    #[test]
    fn without_hashing_nothing_is_checked() {
        let options = LeptosOptions::builder().output_name("tidings").build();
        assert!(!checked(options).hash_files);
        let dir = tempfile::tempdir().unwrap();
        assert!(
            !checked(site(dir.path())).hash_files,
            "no list beside the binary"
        );
    }
}
