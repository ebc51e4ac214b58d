//! Which keys are trusted for which commits: key files read once from the policy's trusted
//! source (a directory, a tree at the trusted revision), per signing class.

use super::*;

/// One line of an `allowed_signers` file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    pub principals: String,
    pub(super) namespaces: Option<String>,
    pub(super) valid_after: Option<i64>,
    pub(super) valid_before: Option<i64>,
    pub(super) key: ssh_key::public::KeyData,
    /// `file:line`, for messages.
    pub(super) origin: String,
}

/// An OpenPGP public key and where it was read from.
#[derive(Debug, Clone)]
pub struct PgpKey {
    pub(super) key: SignedPublicKey,
    pub(super) origin: String,
}

/// The pinned keys of one class.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub ssh: Vec<AllowedSigner>,
    pub pgp: Vec<PgpKey>,
    /// The files (or inline keys) they came from, for messages and comparison.
    pub sources: Vec<String>,
}

/// What one class of commits must satisfy.
#[derive(Debug, Clone, Default)]
pub struct ClassTrust {
    pub require: bool,
    pub keys: Arc<Keys>,
    /// The policy keys that pin this class's keys, for messages.
    pub settings: String,
}

/// Loaded signing settings for every class.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub(super) classes: BTreeMap<SigningClass, ClassTrust>,
}

impl PartialEq for Trust {
    fn eq(&self, other: &Self) -> bool {
        let summary = |t: &Trust| -> Vec<(SigningClass, bool, Vec<String>)> {
            t.classes
                .iter()
                .map(|(c, t)| (*c, t.require, t.keys.sources.clone()))
                .collect()
        };
        summary(self) == summary(other)
    }
}

/// Where key files are read from: the trusted source of the policy that names them.
pub trait KeySource {
    /// The bytes of `path`, or why they cannot be read.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Where a path lives, for messages (`main:keys/kargo.asc`, `/etc/freight-guard/kargo.asc`).
    fn describe(&self, path: &str) -> String;
}

/// Key files next to a policy file on disk (`--config`).
pub struct DirSource(pub std::path::PathBuf);

impl KeySource for DirSource {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let full = self.0.join(path);
        let meta = std::fs::metadata(&full).map_err(|e| format!("cannot read it: {e}"))?;
        if !meta.is_file() {
            return Err("it is not a regular file".into());
        }
        if meta.len() > MAX_KEY_FILE_BYTES as u64 {
            return Err(format!(
                "it is {} bytes; at most {MAX_KEY_FILE_BYTES} are read",
                meta.len()
            ));
        }
        std::fs::read(&full).map_err(|e| format!("cannot read it: {e}"))
    }

    fn describe(&self, path: &str) -> String {
        self.0.join(path).display().to_string()
    }
}

/// Key files in a commit's tree: the commit the policy file itself was read from.
pub struct TreeSource<'a> {
    pub repo: &'a crate::git::repo::Repo,
    pub tree: gix::ObjectId,
    /// How the commit is named in messages (`main`, `HEAD`).
    pub label: String,
}

impl KeySource for TreeSource<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        if path.is_empty()
            || path.starts_with('/')
            || path
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(
                "a key file named by the repository's policy must be a relative path inside the repository (no `..`)"
                    .into(),
            );
        }
        let max = MAX_KEY_FILE_BYTES as u64;
        match self.repo.file_at(&self.tree, path.as_bytes(), max) {
            Err(e) => Err(e.to_string()),
            Ok(FileAt::Missing) => Err("no such file".into()),
            Ok(FileAt::NotRegular) => Err("it is not a regular file".into()),
            Ok(FileAt::TooLarge(size)) => Err(format!(
                "it is {size} bytes; at most {MAX_KEY_FILE_BYTES} are read"
            )),
            Ok(FileAt::Bytes(bytes)) => Ok(bytes),
        }
    }

    fn describe(&self, path: &str) -> String {
        format!("{}:{path}", self.label)
    }
}

/// No place to read key files from: the built-in defaults name none.
pub struct NoSource;

impl KeySource for NoSource {
    fn read(&self, _path: &str) -> Result<Vec<u8>, String> {
        Err("the built-in policy names no key files".into())
    }

    fn describe(&self, path: &str) -> String {
        path.to_string()
    }
}

impl Trust {
    pub fn class(&self, class: SigningClass) -> Option<&ClassTrust> {
        self.classes.get(&class)
    }

    /// Read and parse every key file the policy names; every problem is reported, none is
    /// skipped: a key that cannot be read must never turn into a silent pass.
    pub fn load(policy: &SigningPolicy, source: &dyn KeySource) -> Result<Trust, Vec<String>> {
        let mut problems = Vec::new();
        let mut ssh_files: BTreeMap<String, Vec<AllowedSigner>> = BTreeMap::new();
        let mut pgp_files: BTreeMap<String, Vec<PgpKey>> = BTreeMap::new();
        let mut classes = BTreeMap::new();
        for class in SigningClass::ALL {
            let settings = policy.class(class);
            let mut keys = Keys::default();
            if let Some(path) = &settings.ssh_allowed_signers {
                let lines = load_once(&mut ssh_files, path, &mut problems, || {
                    let text = read_text(source, path).map_err(|e| vec![e])?;
                    parse_allowed_signers(&text, &source.describe(path))
                });
                keys.ssh.extend(lines.iter().cloned());
                keys.sources.push(format!("ssh:{path}"));
            }
            for entry in &settings.gpg_keys {
                let certs = load_once(&mut pgp_files, entry, &mut problems, || {
                    let parsed = if entry.trim_start().starts_with("-----BEGIN") {
                        parse_pgp_keys(entry, "an inline key of signing.gpg_keys")
                    } else {
                        read_text(source, entry)
                            .and_then(|text| parse_pgp_keys(&text, &source.describe(entry)))
                    };
                    parsed.map_err(|e| vec![e])
                });
                keys.pgp.extend(certs.iter().cloned());
                keys.sources.push(format!("pgp:{entry}"));
            }
            let name = class.key();
            if settings.require
                && settings.ssh_allowed_signers.is_none()
                && settings.gpg_keys.is_empty()
            {
                problems.push(format!(
                    "signing is required for {name} commits, but no key is pinned for them (set `signing.ssh_allowed_signers` or `signing.gpg_keys`, or `signing.{name}.ssh_allowed_signers` or `signing.{name}.gpg_keys` for these commits alone)"
                ));
            }
            let section = if policy.overrides_keys(class) {
                format!("signing.{name}")
            } else {
                "signing".to_string()
            };
            classes.insert(
                class,
                ClassTrust {
                    require: settings.require,
                    keys: Arc::new(keys),
                    settings: format!("`{section}.ssh_allowed_signers`, `{section}.gpg_keys`"),
                },
            );
        }
        if problems.is_empty() {
            Ok(Trust { classes })
        } else {
            Err(problems)
        }
    }
}

/// Load the key file `name` once per run: later classes naming it share the result, and its
/// problems are reported once.
pub(super) fn load_once<'c, T>(
    cache: &'c mut BTreeMap<String, Vec<T>>,
    name: &str,
    problems: &mut Vec<String>,
    load: impl FnOnce() -> Result<Vec<T>, Vec<String>>,
) -> &'c [T] {
    cache.entry(name.to_string()).or_insert_with(|| {
        load().unwrap_or_else(|p| {
            problems.extend(p);
            Vec::new()
        })
    })
}

pub(super) fn read_text(source: &dyn KeySource, path: &str) -> Result<String, String> {
    let shown = source.describe(path);
    let bytes = source.read(path).map_err(|e| format!("{shown}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{shown}: it is not UTF-8 text"))
}
