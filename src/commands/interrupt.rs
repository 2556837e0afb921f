//! Ctrl-C. The first one never kills stackctl halfway: before anything is changed it stops the
//! command; while a lock is held or a change or data job runs, the command itself hears it,
//! stops starting new work, finishes or abandons what runs, releases its lock and says what
//! was done.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::watch;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static GUARDS: AtomicUsize = AtomicUsize::new(0);
static SIGNAL: OnceLock<watch::Sender<bool>> = OnceLock::new();

/// Starts listening for Ctrl-C; call once, inside the runtime.
pub fn listen() {
    let sender = SIGNAL.get_or_init(|| watch::channel(false).0);
    let sender = sender.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            REQUESTED.store(true, Ordering::SeqCst);
            let _ = sender.send(true);
        }
    });
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Resolves once Ctrl-C was pressed (never, if `listen` was not called).
pub async fn wait() {
    let Some(sender) = SIGNAL.get() else {
        return std::future::pending().await;
    };
    let mut receiver = sender.subscribe();
    let _ = receiver.wait_for(|pressed| *pressed).await;
}

/// While one is alive, Ctrl-C is the running command's to handle, not a reason to stop it.
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        GUARDS.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn guard() -> Guard {
    GUARDS.fetch_add(1, Ordering::SeqCst);
    Guard(())
}

/// Resolves when Ctrl-C should stop the command from outside: pressed, and nothing guarded.
pub async fn stop_unguarded() {
    wait().await;
    if GUARDS.load(Ordering::SeqCst) > 0 {
        std::future::pending::<()>().await;
    }
}
