//! What the hosting platform tells a server hook through its environment.

use crate::push::Pusher;

/// Is this a GitLab server hook? GitLab relays a hook's lines to the pusher (and its web UI)
/// only with the `GL-HOOK-ERR: ` prefix.
pub fn gitlab_prefix() -> Option<&'static str> {
    ["GL_ID", "GL_USERNAME"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
        .then_some("GL-HOOK-ERR: ")
}

/// The pusher the platform names, if any.
pub fn pusher() -> Option<Pusher> {
    Pusher::from_env(|var| std::env::var(var).ok())
}

/// The platform's word that the forge itself made this push by merging a pull request.
pub fn forge_merge() -> Option<String> {
    crate::push::forge_merge_from_env(|var| std::env::var(var).ok())
}
