//! The apply lock: one item per stack in a DynamoDB table, written with a condition so that
//! two applies of one stack never interleave. The holder renews a lease while it works; a
//! holder that dies stops renewing, and its lock expires.
//!
//! `info`: who holds a lock and the errors that say so; `holder`: who this process is;
//! `item`: reads and writes of the lock item and its table; `lease`: a held lock and its
//! renewal; `acquire`: taking the lock, waiting for another holder.

mod acquire;
mod holder;
mod info;
mod item;
mod lease;
#[cfg(test)]
mod tests;

pub use acquire::acquire;
pub use holder::holder;
pub use info::{Generation, LockError, time};
pub use item::{Seen, create_table, force_release, read, seen, table_exists};
pub use lease::{Lease, Lock};
