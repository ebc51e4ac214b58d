//! The vocabulary of what is judged: ref updates, where branch tips are read, and who pushed.

use gix::ObjectId;

/// One ref moving from `old` to `new` (`None`: created / deleted).
#[derive(Debug, Clone)]
pub struct RefUpdate {
    pub name: String,
    pub old: Option<ObjectId>,
    pub new: Option<ObjectId>,
}

/// Where the branch tips that an update is judged against (review, proposal and snapshot
/// branches) are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefView {
    /// `refs/heads/*`: the server's own branches (pre-receive).
    Heads,
    /// `refs/remotes/<remote>/*`: the remote as last fetched (pre-push).
    Remote(String),
    /// `refs/heads/*` and every remote's tracking branches (check, audit).
    All,
}

/// Whether the pusher is checked, and who the server says pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PusherCheck {
    /// Not a server hook: nobody vouches for a pusher.
    Off,
    /// A server hook: the pusher its platform reported, if any.
    Server(Option<Pusher>),
}

impl PusherCheck {
    /// Why this push may not be made under the pusher list `allowed` of the setting `setting`
    /// (`rendered.pushers`, `policy.pushers`): `None` outside a server hook, when the list is
    /// empty (not enforced), or when the platform names a pusher on it.
    pub fn refusal(&self, allowed: &[String], setting: &str) -> Option<String> {
        let PusherCheck::Server(pusher) = self else {
            return None;
        };
        if allowed.is_empty() {
            return None;
        }
        match pusher {
            Some(p) if allowed.contains(&p.login) => None,
            Some(p) => Some(format!(
                "pushed by `{}` (from {}), who is not in `{setting}` ({})",
                p.login,
                p.source,
                allowed.join(", ")
            )),
            None => Some(format!(
                "the server did not say who pushed (none of {} is set), and `{setting}` is not empty",
                PUSHER_VARIABLES.join(", ")
            )),
        }
    }
}

/// Who pushed, as the hosting platform reports it to the hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pusher {
    pub login: String,
    /// The environment variable it came from.
    pub source: &'static str,
}

/// The platform variables naming the pusher, most specific first: GitHub Enterprise Server,
/// GitLab (username, then the `user-N` id), Gitea/Forgejo, gitolite, git http-backend.
pub const PUSHER_VARIABLES: [&str; 6] = [
    "GITHUB_USER_LOGIN",
    "GL_USERNAME",
    "GL_ID",
    "GITEA_PUSHER_NAME",
    "GL_USER",
    "REMOTE_USER",
];

/// The values of GitHub Enterprise Server's `GITHUB_VIA` for a pull request merged by
/// GitHub itself (the merge button, the merge API).
pub const GITHUB_MERGES: [&str; 2] = ["pull request merge button", "pull request merge api"];

/// What the platform says about a push that the forge made itself by merging a pull request:
/// GitHub Enterprise Server's `GITHUB_VIA` (a merge value), GitLab's `GL_PROTOCOL=web` (its
/// web UI and API, which merge requests are merged through), Gitea's and Forgejo's
/// `GITEA_PR_ID` (set when the forge pushes a pull request's merge). `None`: no such word.
pub fn forge_merge_from_env(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(via) = get("GITHUB_VIA").filter(|v| GITHUB_MERGES.contains(&v.as_str())) {
        return Some(format!("GITHUB_VIA={via}"));
    }
    if get("GL_PROTOCOL").as_deref() == Some("web") {
        return Some("GL_PROTOCOL=web".to_string());
    }
    get("GITEA_PR_ID")
        .filter(|v| !v.trim().is_empty() && v.trim() != "0")
        .map(|id| format!("GITEA_PR_ID={}", id.trim()))
}

impl Pusher {
    /// The pusher named by the first platform variable that is set and not empty.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Option<Pusher> {
        PUSHER_VARIABLES.iter().find_map(|var| {
            get(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|login| Pusher { login, source: var })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pusher_comes_from_the_most_specific_variable() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let p = Pusher::from_env(env(&[("REMOTE_USER", "web"), ("GL_USERNAME", "alice")]));
        assert_eq!(
            p.map(|p| (p.login, p.source)),
            Some(("alice".into(), "GL_USERNAME"))
        );
        assert_eq!(Pusher::from_env(env(&[("GL_USER", " ")])), None);
    }
}
