//! The book's projects as a reader builds them. A chapter that says "`cargo new`, add these
//! dependencies, type this" is followed literally: `cargo new` with the name from its
//! `cargo new` line, its `toml` blocks appended to the new `Cargo.toml`, its `rust` listings
//! (includes resolved as mdBook does) written in order into `src/main.rs`, or into the file
//! an `<!-- file: src/... -->` comment names, and this checkout beside the project as
//! `session-engines`, where the chapters' path dependencies point. Then `cargo test
//! --offline` on that project, with the workspace's `Cargo.lock` and target directory so
//! that only what differs is compiled. The projects live at a fixed place in the system's
//! temporary directory (one per checkout), so that later runs reuse their build; files are
//! rewritten only when the book changed.
//!
//! The README's quick start is compared with the book's, so it is checked by the same build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fenced code blocks of a markdown page as (info string, body), with the file each
/// belongs to: the last `<!-- file: ... -->` comment before it, else `src/main.rs`.
fn blocks(page: &str) -> Vec<(String, String, String)> {
    let (mut out, mut file, mut open) = (Vec::new(), "src/main.rs".to_owned(), None);
    for line in page.lines() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_owned(), String::new()));
                } else if let Some(name) = line.trim().strip_prefix("<!-- file:") {
                    file = name.trim_end_matches("-->").trim().to_owned();
                }
            }
            Some((info, body)) => {
                if line == "```" {
                    out.push((info.clone(), file.clone(), std::mem::take(body)));
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    out
}

/// mdBook's `{{#include path:anchor}}`: the lines between `ANCHOR: anchor` and
/// `ANCHOR_END: anchor`, without any anchor lines; the whole file without an anchor.
fn resolve_includes(text: &str, dir: &Path) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let Some(spec) = line
            .trim()
            .strip_prefix("{{#include ")
            .and_then(|rest| rest.strip_suffix("}}"))
        else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let (file, anchor) = spec.trim().split_once(':').unwrap_or((spec.trim(), ""));
        let source = read(&dir.join(file));
        let mut inside = anchor.is_empty();
        let mut found = inside;
        for line in source.lines() {
            let marker = |kind: &str| {
                line.split_once(kind)
                    .is_some_and(|(_, name)| name.trim() == anchor)
            };
            if !anchor.is_empty() && marker("ANCHOR_END:") {
                inside = false;
            } else if !anchor.is_empty() && marker("ANCHOR:") {
                (inside, found) = (true, true);
            } else if inside && !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:") {
                out.push_str(line);
                out.push('\n');
            }
        }
        assert!(found, "no anchor `{anchor}` in {file}");
    }
    out
}

/// The blocks of `page` (relative to `docs/src`) in one language, includes resolved.
fn listings(page: &str, language: &str) -> Vec<(String, String)> {
    let path = workspace().join("docs/src").join(page);
    blocks(&read(&path))
        .into_iter()
        .filter(|(info, _, _)| info.split(',').next() == Some(language))
        .map(|(_, file, body)| (file, resolve_includes(&body, path.parent().unwrap())))
        .collect()
}

/// Builds and tests the project that `page` tells its reader to write.
fn build_as_a_reader(page: &str) {
    let name = listings(page, "sh")
        .iter()
        .flat_map(|(_, body)| body.lines().map(str::to_owned).collect::<Vec<_>>())
        .find_map(|line| line.strip_prefix("cargo new ").map(|n| n.trim().to_owned()))
        .unwrap_or_else(|| panic!("{page} has no `cargo new` line"));
    let dir = projects_dir();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = |args: &[&str], cwd: &Path| {
        let out = Command::new(&cargo)
            .args(args)
            .current_dir(cwd)
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "`cargo {}` for {page} failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let scratch = tempfile::tempdir().unwrap();
    run(
        &["new", "--vcs", "none", "--offline", &name],
        scratch.path(),
    );
    let new = scratch.path().join(&name);
    let project = dir.join(&name);
    std::fs::create_dir_all(project.join("src")).unwrap();

    let manifest = read(&new.join("Cargo.toml"));
    let manifest = manifest
        .trim_end()
        .strip_suffix("[dependencies]")
        .expect("`cargo new` writes an empty [dependencies] table last");
    let tables: Vec<String> = listings(page, "toml").into_iter().map(|(_, t)| t).collect();
    assert!(
        tables
            .iter()
            .any(|t| t.contains("../session-engines/crates/")),
        "{page}: the dependencies point at the checkout beside the project"
    );
    write(
        &project.join("Cargo.toml"),
        &(manifest.to_owned() + &tables.join("\n")),
    );
    write(
        &project.join("Cargo.lock"),
        &read(&workspace().join("Cargo.lock")),
    );

    let mut files: Vec<(String, String)> = Vec::new();
    for (file, code) in listings(page, "rust") {
        match files.iter_mut().find(|(f, _)| *f == file) {
            Some((_, text)) => {
                text.push('\n');
                text.push_str(&code);
            }
            None => files.push((file, code)),
        }
    }
    assert!(
        files.iter().any(|(f, _)| f == "src/main.rs"),
        "{page}: no src/main.rs"
    );
    for (file, text) in &files {
        write(&project.join(file), text);
    }
    run(&["test", "--offline", "--quiet"], &project);
}

/// Where the projects are built: `session-engines-book-<hash of this checkout's path>` in
/// the temporary directory, with this checkout linked in as `session-engines`.
fn projects_dir() -> PathBuf {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    workspace().hash(&mut hasher);
    let dir = std::env::temp_dir().join(format!("session-engines-book-{:016x}", hasher.finish()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("session-engines");
    if std::fs::read_link(&link).ok().as_deref() != Some(workspace()) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(workspace(), &link).unwrap();
    }
    dir
}

/// Writes `text` unless the file already holds it (an unchanged file keeps its build).
fn write(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

/// The workspace's target directory (this test binary is in `<target>/<profile>/deps/`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_owned()
}

#[test]
fn the_quick_start_builds_from_cargo_new() {
    build_as_a_reader("quick-start.md");
}

#[test]
fn the_login_chapter_builds_and_its_test_passes_from_cargo_new() {
    build_as_a_reader("login.md");
}

#[test]
fn the_readme_quick_start_is_the_books() {
    let readme = blocks(&read(&workspace().join("README.md")));
    let of = |language: &str| -> Vec<String> {
        readme
            .iter()
            .filter(|(info, _, _)| info == language)
            .map(|(_, _, body)| body.clone())
            .collect()
    };
    let book_toml = listings("quick-start.md", "toml");
    assert_eq!(
        of("toml"),
        vec![book_toml[0].1.clone()],
        "README's Cargo.toml lines"
    );
    let book_rust = listings("quick-start.md", "rust");
    assert_eq!(of("rust"), vec![book_rust[0].1.clone()], "README's program");
}
