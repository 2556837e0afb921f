//! Who this process is, on which machine, and whether another process of it is still alive.

use std::time::{SystemTime, UNIX_EPOCH};

/// Who this process is, as other users see it in "locked by ...":
/// `STACKCTL_LOCK_HOLDER` (a CI job's name, say), else user@host and the process ID.
pub fn holder() -> String {
    if let Ok(holder) = std::env::var("STACKCTL_LOCK_HOLDER")
        && !holder.trim().is_empty()
    {
        return holder;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "someone".to_string());
    format!("{user}@{} (pid {})", this_host(), std::process::id())
}

/// This machine's name, as the kernel has it (what a lock's `host` is compared with).
pub(super) fn this_host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// Whether process `pid` exists (signal 0 checks without sending anything: kill(2)). Where
/// this cannot be known, every process counts as alive.
pub(super) fn process_alive(pid: u32) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 sends nothing; kill only checks that the process exists.
        let answer = unsafe { libc::kill(pid, 0) };
        answer == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = pid;
        true
    }
}

/// Seconds since the epoch.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A value only this acquisition knows: releases and renewals must present it.
pub(super) fn token(stack: &str, holder: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{stack}|{holder}|{}|{nanos}", std::process::id());
    crate::hash::sha256_hex(seed, 12)
}
