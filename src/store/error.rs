//! Why a store call or a write did not happen, and how a write closure refuses.

use sled::transaction::UnabortableTransactionError;

/// What a store call can fail with.
#[derive(Debug)]
pub enum StoreError {
    /// sled failed (I/O, corruption).
    Backend(String),
    /// A stored value did not decode: the data directory was written by an incompatible version.
    Corrupt(String),
    /// Writing would take the disk (or, in memory, the memory) below the watermark
    /// ([`super::space`]): nothing was written; the text says how full and what to do.
    Full(String),
    /// The store did not answer in time (a stalled disk): the request gave up waiting.
    Stalled(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Backend(e) => write!(f, "storage error: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored data does not decode: {e}"),
            StoreError::Full(e) => f.write_str(e),
            StoreError::Stalled(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// Why a [`Store::write`] did not commit.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The closure refused (an API rule): nothing was written.
    Refused(E),
    /// The store failed: nothing was written.
    Store(StoreError),
}

/// What a write closure returns on failure; `?` converts store errors into it.
pub enum Abort<E> {
    Refuse(E),
    Store(StoreError),
    Conflict(UnabortableTransactionError),
}

impl<E> From<UnabortableTransactionError> for Abort<E> {
    fn from(e: UnabortableTransactionError) -> Self {
        Abort::Conflict(e)
    }
}

impl<E> Abort<E> {
    /// Why a transaction that applied nothing did not commit (the memory backend's path).
    pub(super) fn unapplied(self) -> WriteError<E> {
        match self {
            Abort::Refuse(e) => WriteError::Refused(e),
            Abort::Store(e) => WriteError::Store(e),
            // Only sled's transactions raise conflicts, and a closure cannot make one.
            Abort::Conflict(c) => WriteError::Store(StoreError::Backend(c.to_string())),
        }
    }
}

pub(super) enum Aborted<E> {
    Refused(E),
    Store(StoreError),
}

/// Refuses the write with an API error: `return refuse(MyError::X)`.
pub fn refuse<T, E>(e: E) -> Result<T, Abort<E>> {
    Err(Abort::Refuse(e))
}
