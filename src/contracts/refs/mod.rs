//! Refs that stand for a guarded branch. git resolves a short name by trying, in order,
//! `<name>`, `refs/<name>`, `refs/tags/<name>`, `refs/heads/<name>`, `refs/remotes/<name>` and
//! `refs/remotes/<name>/HEAD` (`ref_rev_parse_rules`): a pushed `refs/tags/main` or
//! `refs/stage/production` is found before the branch by `git fetch <url> main`, `git rev-parse`
//! and the tools built on them, so a consumer can be handed a commit nobody judged. A ref that
//! differs from a guarded branch only in letter case is the same file on a case-insensitive
//! file system (a server on macOS or Windows, a clone there).

/// The short names under which `name` (a full ref outside `refs/heads/`) can be found, each
/// with the branch (`refs/heads/<short>`) it would stand for.
pub fn stands_for(name: &str) -> Vec<(String, String)> {
    let mut shorts: Vec<&str> = Vec::new();
    if name.starts_with("refs/heads/") {
        return Vec::new();
    }
    let Some(rest) = name.strip_prefix("refs/") else {
        return Vec::new();
    };
    shorts.push(rest); // refs/<short>
    if let Some(tag) = rest.strip_prefix("tags/") {
        shorts.push(tag);
    }
    if let Some(remote) = rest.strip_prefix("remotes/") {
        shorts.push(remote); // refs/remotes/<short>
        if let Some(short) = remote.strip_suffix("/HEAD") {
            shorts.push(short); // refs/remotes/<short>/HEAD
        }
        // A remote's copy of a branch (`refs/remotes/origin/main`), which a mirror clone
        // turns into the branch itself.
        if let Some((_, branch)) = remote.split_once('/') {
            shorts.push(branch);
        }
    }
    shorts.sort_unstable();
    shorts.dedup();
    shorts
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| (s.to_string(), format!("refs/heads/{s}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branches(name: &str) -> Vec<String> {
        stands_for(name).into_iter().map(|(_, b)| b).collect()
    }

    #[test]
    fn short_names_as_git_resolves_them() {
        assert!(branches("refs/tags/main").contains(&"refs/heads/main".to_string()));
        assert!(
            branches("refs/stage/production").contains(&"refs/heads/stage/production".to_string())
        );
        assert!(branches("refs/remotes/origin/main").contains(&"refs/heads/main".to_string()));
        assert!(branches("refs/remotes/main/HEAD").contains(&"refs/heads/main".to_string()));
        assert!(branches("refs/heads/main").is_empty());
        assert_eq!(
            branches("refs/tags/v1.2.3"),
            ["refs/heads/tags/v1.2.3", "refs/heads/v1.2.3"]
        );
    }
}
