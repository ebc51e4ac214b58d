//! Signed provenance through real pushes: commits signed by `git commit-tree -S` with SSH keys
//! made by `ssh-keygen` and OpenPGP keys made by `gpg`, in SHA-1 and SHA-256 repositories,
//! judged by the pre-receive hook and compared with `git verify-commit`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Env, Run, assert_declined};

const FORMATS: [&str; 2] = ["sha1", "sha256"];

/// Who signs a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Unsigned,
    /// Kargo's SSH key, pinned for namespace `git`.
    SshKargo,
    /// The forge's SSH key, pinned only for review merges.
    SshForge,
    /// A key nobody pinned.
    SshMallory,
    /// Pinned, but only until 2026-01-01 (the fixture clock is in April 2026).
    SshExpired,
    /// Pinned, but only for namespace `file`.
    SshFileOnly,
    /// Kargo's OpenPGP key, pinned.
    PgpKargo,
    /// An OpenPGP key nobody pinned.
    PgpMallory,
    /// Pinned, but it expired on 2026-01-01 (made and used with GnuPG's clock in 2025).
    PgpExpired,
}

/// Keys made for one test: SSH key files, a GnuPG home holding the secret OpenPGP keys, and a
/// server-side policy directory with the pinned public keys.
struct Keys<'e> {
    env: &'e Env,
    dir: PathBuf,
    gnupg: PathBuf,
    /// A GnuPG home whose clock is set to 2025 (`faked-system-time`), for a key that has expired.
    gnupg_2025: PathBuf,
    /// `policy.yaml`, `allowed_signers`, `forge_signers`, `kargo.asc`.
    policy: PathBuf,
    mallory_pgp: String,
}

impl Drop for Keys<'_> {
    fn drop(&mut self) {
        for home in [&self.gnupg, &self.gnupg_2025] {
            let mut c = self.env.cmd("gpgconf", self.env.path());
            c.args(["--kill", "all"]).env("GNUPGHOME", home);
            let _ = c.output();
        }
    }
}

impl<'e> Keys<'e> {
    fn new(env: &'e Env) -> Keys<'e> {
        let dir = env.path().join("keys");
        let gnupg = env.path().join("gnupg");
        let gnupg_2025 = env.path().join("gnupg-2025");
        let policy = env.path().join("policy");
        for d in [&dir, &gnupg, &gnupg_2025, &policy] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        use std::os::unix::fs::PermissionsExt;
        for home in [&gnupg, &gnupg_2025] {
            std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        env.write(
            &gnupg_2025.join("gpg.conf"),
            "faked-system-time 20250101T000000!\n",
        );
        let mut public = BTreeMap::new();
        for name in ["kargo", "forge", "mallory", "expired", "fileonly"] {
            let mut c = env.cmd("ssh-keygen", &dir);
            c.args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", name]);
            env.run(c).ok();
            let pubkey = std::fs::read_to_string(dir.join(format!("{name}.pub"))).expect("pub");
            public.insert(name, pubkey.trim().to_string());
        }
        env.write(
            &policy.join("allowed_signers"),
            &format!(
                "# Kargo's signing key\nno-reply@kargo.io namespaces=\"git\" {}\nold-kargo@kargo.io valid-before=\"20260101Z\" {}\nfiles@kargo.io namespaces=\"file\" {}\n# git takes the first line that pins a key: this one never counts\nalso-files@kargo.io {}\n",
                public["kargo"], public["expired"], public["fileonly"], public["fileonly"]
            ),
        );
        env.write(
            &policy.join("forge_signers"),
            &format!("noreply@github.com {}\n", public["forge"]),
        );
        let mut keys = Keys {
            env,
            dir,
            gnupg,
            gnupg_2025,
            policy,
            mallory_pgp: String::new(),
        };
        for uid in ["Kargo <no-reply@kargo.io>", "Mallory <mallory@example.com>"] {
            keys.gpg(&[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                uid,
                "ed25519",
                "sign",
                "never",
            ])
            .ok();
        }
        // Mallory certifies Kargo's key: a third-party signature the export carries along.
        let kargo_fpr = fingerprint(&keys, "no-reply@kargo.io");
        keys.gpg(&[
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "-u",
            "mallory@example.com",
            "--quick-sign-key",
            &kargo_fpr,
        ])
        .ok();
        let mut c = env.cmd("gpg", env.path());
        c.args([
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Old Kargo <old-kargo@kargo.io>",
            "ed25519",
            "sign",
            "1y",
        ])
        .env("GNUPGHOME", &keys.gnupg_2025);
        env.run(c).ok();
        let mut c = env.cmd("gpg", env.path());
        c.args(["--armor", "--export", "old-kargo@kargo.io"])
            .env("GNUPGHOME", &keys.gnupg_2025);
        let old = env.run(c).ok().stdout;
        let armored = keys.gpg(&["--armor", "--export", "no-reply@kargo.io"]).ok();
        env.write(
            &keys.policy.join("kargo.asc"),
            &format!("{}{old}", armored.stdout),
        );
        keys.mallory_pgp = fingerprint(&keys, "mallory@example.com");
        keys
    }

    fn gpg(&self, args: &[&str]) -> Run {
        let mut c = self.env.cmd("gpg", self.env.path());
        c.args(args).env("GNUPGHOME", &self.gnupg);
        self.env.run(c)
    }

    /// The environment `fixtures/kargo.sh` signs with.
    fn vars(&self, key: Key) -> Vec<(String, String)> {
        let ssh = |name: &str| {
            vec![
                ("FG_SIGN_FORMAT".to_string(), "ssh".to_string()),
                (
                    "FG_SIGN_KEY".to_string(),
                    self.dir.join(name).to_str().expect("utf-8").to_string(),
                ),
            ]
        };
        let pgp_in = |uid: &str, home: &Path| {
            vec![
                ("FG_SIGN_FORMAT".to_string(), "openpgp".to_string()),
                ("FG_SIGN_KEY".to_string(), uid.to_string()),
                (
                    "GNUPGHOME".to_string(),
                    home.to_str().expect("utf-8").to_string(),
                ),
            ]
        };
        let pgp = |uid: &str| pgp_in(uid, &self.gnupg);
        match key {
            Key::Unsigned => Vec::new(),
            Key::SshKargo => ssh("kargo"),
            Key::SshForge => ssh("forge"),
            Key::SshMallory => ssh("mallory"),
            Key::SshExpired => ssh("expired"),
            Key::SshFileOnly => ssh("fileonly"),
            Key::PgpKargo => pgp("no-reply@kargo.io"),
            Key::PgpMallory => pgp("mallory@example.com"),
            Key::PgpExpired => pgp_in("old-kargo@kargo.io", &self.gnupg_2025),
        }
    }

    /// Kargo's `Initial commit` of `branch`, signed with `key`, pushed with `vars`.
    fn create(&self, key: Key, work: &Path, branch: &str, vars: &[(&str, &str)]) -> String {
        let signing = self.vars(key);
        let mut pairs: Vec<(&str, &str)> = signing.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        pairs.extend_from_slice(vars);
        self.env.kargo_create_env(work, branch, &pairs)
    }

    /// `fixtures/kargo.sh ARGS`, signing with `key`.
    fn kargo(&self, key: Key, args: &[&str]) -> String {
        let vars = self.vars(key);
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        self.env.kargo_env(args, &pairs)
    }

    /// `git verify-commit COMMIT` in `work` with the pinned allowed_signers file, and with
    /// `gnupg` as GnuPG's home when given.
    fn verify_commit(&self, work: &Path, commit: &str, gnupg: Option<&Path>) -> Run {
        let mut c = self.env.cmd("git", work);
        c.args([
            "-c",
            &format!(
                "gpg.ssh.allowedSignersFile={}",
                w(&self.policy.join("allowed_signers"))
            ),
            "verify-commit",
            commit,
        ]);
        if let Some(home) = gnupg {
            c.env("GNUPGHOME", home);
        }
        self.env.run(c)
    }

    /// Write the server's policy file (key paths are relative to it) and return its path.
    fn policy(&self, yaml: &str) -> String {
        let path = self.policy.join("policy.yaml");
        self.env.write(&path, yaml);
        path.to_str().expect("utf-8").to_string()
    }
}

/// The primary key fingerprint of the OpenPGP key of `email`.
fn fingerprint(keys: &Keys, email: &str) -> String {
    let listing = keys
        .gpg(&["--with-colons", "--fingerprint", email])
        .ok()
        .stdout;
    listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .expect("a fingerprint")
}

const REQUIRE_BOTH: &str =
    "signing:\n  require: true\n  ssh_allowed_signers: allowed_signers\n  gpg_keys: [kargo.asc]\n";

fn w(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// A repository of `format` with releases on `main`, and its server with the hook.
fn repo(env: &Env, format: &str) -> (PathBuf, PathBuf) {
    let work = env.gitops("work", &["--object-format", format]);
    let server = env.server(&work);
    (work, server)
}

/// Replace `branch`'s tip by a copy whose message was edited, keeping its signature.
fn edit_signed_tip(env: &Env, work: &Path, branch: &str) {
    let id = env.rev(work, branch);
    let raw = env.git(work, &["cat-file", "commit", &id]).ok().stdout;
    assert!(raw.contains("\ngpgsig"), "not signed:\n{raw}");
    let edited = raw.replacen("[skip ci]", "[ci skip]", 1);
    assert_ne!(raw, edited);
    let file = env.path().join("edited-commit");
    env.write(&file, &edited);
    let new = env
        .git(work, &["hash-object", "-t", "commit", "-w", w(&file)])
        .ok()
        .stdout;
    env.git(
        work,
        &["update-ref", &format!("refs/heads/{branch}"), new.trim()],
    )
    .ok();
}

/// Declined by `rule`, with the server exactly as it was.
fn assert_rejected(env: &Env, run: &Run, server: &Path, before: &str, rule: &str, what: &str) {
    assert_declined(run, rule, what);
    assert_eq!(env.state(server), before, "{what}: the server changed");
}

#[test]
fn commits_signed_by_pinned_keys_are_accepted() {
    for format in FORMATS {
        let env = Env::new();
        let keys = Keys::new(&env);
        let config = keys.policy(REQUIRE_BOTH);
        let vars = [("FREIGHT_GUARD_CONFIG", config.as_str())];
        let (work, server) = repo(&env, format);
        // Kargo's `Initial commit` is judged like any renderer commit: signed, it passes.
        keys.create(Key::PgpKargo, &work, "stage/staging", &vars);
        for (i, key) in [Key::SshKargo, Key::PgpKargo].into_iter().enumerate() {
            keys.kargo(key, &["render", w(&work), "stage/staging", "--allow-empty"]);
            let raw = env
                .git(&work, &["cat-file", "commit", "stage/staging"])
                .ok();
            let header = if format == "sha1" {
                "\ngpgsig "
            } else {
                "\ngpgsig-sha256 "
            };
            assert!(raw.stdout.contains(header), "{format}:\n{}", raw.stdout);
            let run = env.push_env(&work, &["stage/staging"], &vars);
            assert_eq!(run.code, 0, "{format} {key:?}:\n{}", run.all());
            assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
            assert_eq!(
                env.rev(&server, "stage/staging"),
                env.rev(&work, "stage/staging"),
                "{format} render {i}"
            );
        }
    }
}

#[test]
fn each_signature_failure_is_rejected_by_its_rule() {
    for format in FORMATS {
        let env = Env::new();
        let keys = Keys::new(&env);
        let config = keys.policy(REQUIRE_BOTH);
        let vars = [("FREIGHT_GUARD_CONFIG", config.as_str())];
        let (work, server) = repo(&env, format);
        keys.create(Key::SshKargo, &work, "stage/staging", &vars);
        keys.kargo(Key::SshKargo, &["render", w(&work), "stage/staging"]);
        env.push_env(&work, &["stage/staging"], &vars).ok();
        let accepted = env.rev(&work, "stage/staging");
        let cases: [(Key, bool, &str, &str); 8] = [
            (Key::Unsigned, false, "unsigned-commit", "not signed"),
            (Key::SshMallory, false, "untrusted-signature", "SHA256:"),
            (
                Key::PgpMallory,
                false,
                "untrusted-signature",
                &keys.mallory_pgp,
            ),
            (
                Key::SshExpired,
                false,
                "untrusted-signature",
                "valid only until",
            ),
            (Key::SshFileOnly, false, "untrusted-signature", "not `git`"),
            (
                Key::PgpExpired,
                false,
                "untrusted-signature",
                "the key expired at 2026-01-01",
            ),
            (Key::SshKargo, true, "bad-signature", "no-reply@kargo.io"),
            (Key::PgpKargo, true, "bad-signature", "no-reply@kargo.io"),
        ];
        for (i, (key, edit, rule, detail)) in cases.into_iter().enumerate() {
            let what = format!("{format}: {key:?}{}", if edit { " edited" } else { "" });
            env.git(
                &work,
                &["update-ref", "refs/heads/stage/staging", &accepted],
            )
            .ok();
            keys.kargo(key, &["render", w(&work), "stage/staging", "--allow-empty"]);
            if edit {
                edit_signed_tip(&env, &work, "stage/staging");
            }
            let before = env.state(&server);
            let run = env.push_env(&work, &["stage/staging"], &vars);
            assert_rejected(&env, &run, &server, &before, rule, &what);
            if format == FORMATS[0] && [0, 1, 6].contains(&i) {
                crate::support::assert_human(rule, &run.stderr);
            }
            assert!(
                run.stderr.contains(detail),
                "{what}: no `{detail}`:\n{}",
                run.stderr
            );
            // `check` judges the same commit the same way.
            let run = env.fg(
                &work,
                &[
                    "--config",
                    &config,
                    "check",
                    "--base",
                    &accepted,
                    "--head",
                    "stage/staging",
                    "--ref",
                    "refs/heads/stage/staging",
                ],
                "",
            );
            assert_eq!(run.code, 1, "{what} (check):\n{}", run.all());
            assert!(run.stderr.contains(rule), "{what} (check):\n{}", run.stderr);
        }
    }
}

#[test]
fn a_key_file_that_cannot_be_read_is_a_policy_error() {
    let env = Env::new();
    let keys = Keys::new(&env);
    let (work, server) = repo(&env, "sha1");
    keys.kargo(Key::SshKargo, &["init", w(&work), "stage/staging"]);
    keys.kargo(Key::SshKargo, &["render", w(&work), "stage/staging"]);
    env.write(
        &keys.policy.join("broken_signers"),
        "no-reply@kargo.io ssh-ed25519 AAAA-not-base64\n",
    );
    let kargo_pub = std::fs::read_to_string(keys.dir.join("kargo.pub")).expect("pub");
    env.write(
        &keys.policy.join("ca_signers"),
        &format!("*@kargo.io cert-authority {kargo_pub}"),
    );
    env.write(
        &keys.policy.join("broken.asc"),
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n",
    );
    let cases = [
        ("ssh_allowed_signers: missing_signers", "missing_signers"),
        ("ssh_allowed_signers: broken_signers", "broken_signers:1:"),
        ("ssh_allowed_signers: ca_signers", "cert-authority"),
        ("gpg_keys: [missing.asc]", "missing.asc"),
        ("gpg_keys: [broken.asc]", "broken.asc"),
        (
            "ssh_allowed_signers: allowed_signers\n  gpg_keys: [kargo.asc]\n  review: {gpg_keys: [missing.asc]}",
            "missing.asc",
        ),
    ];
    for (settings, named) in cases {
        let config = keys.policy(&format!("signing:\n  require: true\n  {settings}\n"));
        let before = env.state(&server);
        let run = env.push_env(
            &work,
            &["stage/staging"],
            &[("FREIGHT_GUARD_CONFIG", &config)],
        );
        assert_rejected(&env, &run, &server, &before, "policy-invalid", settings);
        assert!(run.stderr.contains(named), "{settings}:\n{}", run.stderr);
        let run = env.fg(&work, &["--config", &config, "audit"], "");
        assert_eq!(run.code, 2, "{settings}:\n{}", run.all());
    }
    // Signing not required, but a named key file is missing: still an error, never a pass.
    let config = keys.policy("signing:\n  gpg_keys: [missing.asc]\n");
    let run = env.fg(&work, &["--config", &config, "audit"], "");
    assert_eq!(run.code, 2, "{}", run.all());
    // Required with no key at all.
    let config = keys.policy("signing:\n  require: true\n");
    let run = env.fg(&work, &["--config", &config, "audit"], "");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("no key is pinned"), "{}", run.stderr);
}

#[test]
fn verdicts_agree_with_git_verify_commit() {
    for format in FORMATS {
        let env = Env::new();
        let keys = Keys::new(&env);
        let config = keys.policy(REQUIRE_BOTH);
        let work = env.gitops("work", &["--object-format", format]);
        // The same pinned keys for git: the allowed_signers file and a keyring holding only
        // the pinned OpenPGP key.
        let verify_home = env.path().join("verify-gnupg");
        std::fs::create_dir_all(&verify_home).expect("mkdir");
        let mut c = env.cmd("gpg", env.path());
        c.args(["--batch", "--import", w(&keys.policy.join("kargo.asc"))])
            .env("GNUPGHOME", &verify_home);
        env.run(c).ok();
        let cases: [(Key, bool, bool); 10] = [
            (Key::SshKargo, false, true),
            (Key::PgpKargo, false, true),
            (Key::Unsigned, false, false),
            (Key::SshMallory, false, false),
            (Key::PgpMallory, false, false),
            (Key::SshExpired, false, false),
            (Key::SshFileOnly, false, false),
            (Key::PgpExpired, false, false),
            (Key::SshKargo, true, false),
            (Key::PgpKargo, true, false),
        ];
        let mut commits = Vec::new();
        for (i, (key, edit, _)) in cases.iter().enumerate() {
            let branch = format!("stage/v{i}");
            keys.kargo(
                *key,
                &[
                    "render",
                    w(&work),
                    &branch,
                    "--stage",
                    "staging",
                    "--orphan",
                ],
            );
            if *edit {
                edit_signed_tip(&env, &work, &branch);
            }
            commits.push(env.rev(&work, &branch));
        }
        let run = env.fg(
            &work,
            &["--format", "json", "--config", &config, "audit"],
            "",
        );
        let report: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.all()));
        let findings = report["findings"].as_array().expect("findings");
        for f in findings {
            let rule = f["rule"].as_str().unwrap_or_default();
            assert!(
                ["unsigned-commit", "untrusted-signature", "bad-signature"].contains(&rule),
                "{format}: only signing rules may fire here: {f}"
            );
        }
        for (i, (key, edit, expected)) in cases.iter().enumerate() {
            let what = format!("{format}: {key:?}{}", if *edit { " edited" } else { "" });
            let ours = !findings
                .iter()
                .any(|f| f["commit"].as_str() == Some(commits[i].as_str()));
            let git = keys.verify_commit(&work, &commits[i], Some(&verify_home));
            assert_eq!(ours, git.code == 0, "{what}: git said\n{}", git.all());
            assert_eq!(ours, *expected, "{what}");
        }
    }
}

#[test]
fn review_merges_are_judged_by_the_forge_key_proposals_by_the_renderer_key() {
    let env = Env::new();
    let keys = Keys::new(&env);
    let config = keys.policy(
        "signing:\n  require: true\n  gpg_keys: [kargo.asc]\n  review:\n    ssh_allowed_signers: forge_signers\n",
    );
    let vars = [("FREIGHT_GUARD_CONFIG", config.as_str())];
    let (work, server) = repo(&env, "sha1");
    let wt = w(&work);
    keys.kargo(Key::PgpKargo, &["init", wt, "stage/production"]);
    env.push_env(&work, &["stage/production"], &vars).ok();
    let p1 = keys.kargo(Key::PgpKargo, &["propose", wt]);
    env.push_env(&work, &[&p1], &vars).ok();
    keys.kargo(Key::SshForge, &["merge", wt, &p1]);
    let run = env.push_env(&work, &["stage/production"], &vars).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    let merged = env.rev(&work, "stage/production");

    // The forge's key cannot sign a proposal; Kargo's key cannot sign the merge.
    env.breaks("valid", &work);
    env.push_env(&work, &["HEAD:main"], &vars).ok();
    let p2 = keys.kargo(Key::SshForge, &["propose", wt]);
    let before = env.state(&server);
    let run = env.push_env(&work, &[&p2], &vars);
    assert_rejected(
        &env,
        &run,
        &server,
        &before,
        "untrusted-signature",
        "proposal by forge key",
    );
    assert!(run.stderr.contains("signing.proposal"), "{}", run.stderr);
    env.git(&work, &["branch", "-q", "-D", &p2]).ok();
    let p3 = keys.kargo(Key::PgpKargo, &["propose", wt]);
    env.push_env(&work, &[&p3], &vars).ok();
    for (key, rule) in [
        (Key::PgpKargo, "untrusted-signature"),
        (Key::Unsigned, "unsigned-commit"),
    ] {
        env.git(
            &work,
            &["update-ref", "refs/heads/stage/production", &merged],
        )
        .ok();
        keys.kargo(key, &["merge", wt, &p3]);
        let before = env.state(&server);
        let run = env.push_env(&work, &["stage/production"], &vars);
        assert_rejected(
            &env,
            &run,
            &server,
            &before,
            rule,
            &format!("merge {key:?}"),
        );
        assert!(run.stderr.contains("signing.review"), "{}", run.stderr);
    }
    env.git(
        &work,
        &["update-ref", "refs/heads/stage/production", &merged],
    )
    .ok();
    keys.kargo(Key::SshForge, &["merge", wt, &p3]);
    env.push_env(&work, &["stage/production"], &vars).ok();
}

#[test]
fn keys_are_read_from_the_trusted_policy_never_from_the_push() {
    let env = Env::new();
    let keys = Keys::new(&env);
    let work = env.gitops("work", &[]);
    // The policy and its key file live on main, committed before the hook is installed.
    std::fs::create_dir_all(work.join("keys")).expect("mkdir");
    std::fs::copy(
        keys.policy.join("allowed_signers"),
        work.join("keys/allowed_signers"),
    )
    .expect("copy");
    env.write(
        &work.join(".freight-guard.yaml"),
        "signing:\n  require: true\n  ssh_allowed_signers: keys/allowed_signers\n",
    );
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "Pin Kargo's signing key"])
        .ok();
    let server = env.server(&work);
    keys.create(Key::SshKargo, &work, "stage/staging", &[]);
    keys.kargo(Key::SshKargo, &["render", w(&work), "stage/staging"]);
    env.push(&work, &["stage/staging"]).ok();
    let accepted = env.rev(&work, "stage/staging");

    // A push that pins Mallory's key on main and uses it in the same push.
    let mallory = std::fs::read_to_string(keys.dir.join("mallory.pub")).expect("pub");
    env.append(
        &work.join("keys/allowed_signers"),
        &format!("mallory@example.com {mallory}"),
    );
    env.git(&work, &["commit", "-qam", "Pin another key"]).ok();
    keys.kargo(
        Key::SshMallory,
        &["render", w(&work), "stage/staging", "--allow-empty"],
    );
    let before = env.state(&server);
    let run = env.push(&work, &["main", "stage/staging"]);
    assert_rejected(
        &env,
        &run,
        &server,
        &before,
        "untrusted-signature",
        "same-push key",
    );

    // A push that breaks the key file on main is rejected: the next push could not be judged.
    env.git(&work, &["reset", "-q", "--hard", "HEAD~1"]).ok();
    env.git(
        &work,
        &["update-ref", "refs/heads/stage/staging", &accepted],
    )
    .ok();
    env.append(&work.join("keys/allowed_signers"), "garbage\n");
    env.git(&work, &["commit", "-qam", "Break the key file"])
        .ok();
    let before = env.state(&server);
    let run = env.push(&work, &["main"]);
    assert_rejected(
        &env,
        &run,
        &server,
        &before,
        "policy-invalid",
        "broken key file",
    );
    assert!(
        run.stderr.contains("keys/allowed_signers:7"),
        "{}",
        run.stderr
    );

    // The local pre-push hook judges signatures by the remote main's policy and keys too.
    env.git(&work, &["reset", "-q", "--hard", "HEAD~1"]).ok();
    std::fs::remove_file(server.join("hooks/pre-receive")).expect("remove server hook");
    crate::support::install_hook(&work.join(".git/hooks"), "pre-push");
    keys.kargo(
        Key::Unsigned,
        &["render", w(&work), "stage/staging", "--allow-empty"],
    );
    let before = env.state(&server);
    let run = env.push(&work, &["stage/staging"]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("unsigned-commit"), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
    env.git(
        &work,
        &["update-ref", "refs/heads/stage/staging", &accepted],
    )
    .ok();
    keys.kargo(
        Key::SshKargo,
        &["render", w(&work), "stage/staging", "--allow-empty"],
    );
    env.push(&work, &["stage/staging"]).ok();
}

/// Replace `branch`'s tip by a copy with `headers` (full lines) inserted after the committer.
fn with_headers(env: &Env, work: &Path, branch: &str, headers: &str) -> String {
    let id = env.rev(work, branch);
    let raw = env.git(work, &["cat-file", "commit", &id]).ok().stdout;
    let at = raw.find("\ncommitter ").expect("committer") + 1;
    let end = at + raw[at..].find('\n').expect("end of line") + 1;
    let crafted = format!("{}{headers}{}", &raw[..end], &raw[end..]);
    let file = env.path().join("crafted-commit");
    env.write(&file, &crafted);
    let new = env
        .git(work, &["hash-object", "-t", "commit", "-w", w(&file)])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.git(work, &["update-ref", &format!("refs/heads/{branch}"), &new])
        .ok();
    new
}

#[test]
fn hostile_signature_headers_fail_closed() {
    let env = Env::new();
    let keys = Keys::new(&env);
    let config = keys.policy(REQUIRE_BOTH);
    let vars = [("FREIGHT_GUARD_CONFIG", config.as_str())];
    let (work, server) = repo(&env, "sha1");
    keys.create(Key::SshKargo, &work, "stage/staging", &vars);
    keys.kargo(Key::SshKargo, &["render", w(&work), "stage/staging"]);
    env.push_env(&work, &["stage/staging"], &vars).ok();
    let accepted = env.rev(&work, "stage/staging");
    // A real signature block, to duplicate and to move under the other hash's header.
    keys.kargo(
        Key::SshKargo,
        &["render", w(&work), "stage/staging", "--allow-empty"],
    );
    let signed = env
        .git(&work, &["cat-file", "commit", "stage/staging"])
        .ok()
        .stdout;
    let block: String = {
        let start = signed.find("gpgsig ").expect("signed") + "gpgsig ".len();
        let end = signed.find("-----END SSH SIGNATURE-----").expect("end") + 28;
        signed[start..end].to_string()
    };
    let huge = format!(
        "gpgsig -----BEGIN SSH SIGNATURE-----\n{} -----END SSH SIGNATURE-----\n",
        " QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"
            .repeat(20_000)
    );
    let cases: Vec<(String, &str)> = vec![
        ("gpgsig hello\n".into(), "bad-signature"),
        (
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n garbage\n -----END PGP SIGNATURE-----\n"
                .into(),
            "bad-signature",
        ),
        (
            "gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n"
                .into(),
            "bad-signature",
        ),
        (format!("gpgsig {block}gpgsig {block}"), "bad-signature"),
        (format!("gpgsig-sha256 {block}"), "unsigned-commit"),
        (huge, "bad-signature"),
    ];
    for (headers, rule) in cases {
        let what: String = headers.chars().take(40).collect();
        env.git(
            &work,
            &["update-ref", "refs/heads/stage/staging", &accepted],
        )
        .ok();
        keys.kargo(
            Key::Unsigned,
            &["render", w(&work), "stage/staging", "--allow-empty"],
        );
        let crafted = with_headers(&env, &work, "stage/staging", &headers);
        let before = env.state(&server);
        let run = env.push_env(&work, &["stage/staging"], &vars);
        run.no_panic();
        assert_rejected(&env, &run, &server, &before, rule, &what);
        let git = keys.verify_commit(&work, &crafted, None);
        assert_ne!(git.code, 0, "{what}: git verify-commit accepts it");
    }
}

#[test]
fn kargo_initial_commit_needs_the_renderer_signature_when_signing_is_required() {
    let env = Env::new();
    let keys = Keys::new(&env);
    let config = keys.policy(REQUIRE_BOTH);
    let vars = [("FREIGHT_GUARD_CONFIG", config.as_str())];
    let (work, server) = repo(&env, "sha1");
    for (key, rule) in [
        (Key::Unsigned, "unsigned-commit"),
        (Key::SshMallory, "untrusted-signature"),
    ] {
        for branch in ["stage/staging", "stage/production"] {
            keys.kargo(key, &["init", w(&work), branch]);
            let before = env.state(&server);
            let run = env.push_env(&work, &[branch], &vars);
            assert_rejected(
                &env,
                &run,
                &server,
                &before,
                rule,
                &format!("{key:?} {branch}"),
            );
            env.git(
                &work,
                &["update-ref", "-d", &format!("refs/heads/{branch}")],
            )
            .ok();
        }
    }
    keys.create(Key::SshKargo, &work, "stage/staging", &vars);
    keys.create(Key::PgpKargo, &work, "stage/production", &vars);
}
