//! The async face of the storage contract: what an async driver (a web integration) calls.
//!
//! [`AsyncSessionStore`] has the duties of [`SessionStore`](crate::SessionStore), async.
//! Every store of this project implements both, and each decides itself where its I/O runs:
//! in-memory stores answer at once, stores that block (SQLite, files) move their work to a
//! blocking pool, network stores are async. A store for an async engine (sqlx, the AWS SDK,
//! ...) implements only this trait and passes the same conformance suite
//! (`async_conformance_tests!`, feature `conformance`).
//!
//! Core stays runtime-free: these are plain `Future`s, driven by whatever runtime the
//! driver has.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use crate::{Error, MemoryStore, Outcome, Record, Result, StoreOp};

/// A place sessions live, reached asynchronously. Same contract as
/// [`SessionStore`](crate::SessionStore): `load_record` never creates, `create` never
/// overwrites, `save` never resurrects ([`Error::Interrupted`]), `delete` of an unknown key
/// is fine, `touch` moves only the expiry (or answers [`Error::Unsupported`]).
///
/// Implement it with `async fn`s; the futures must be `Send`.
///
/// # Example: an async store over a `tokio::sync::RwLock`-like map
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::SystemTime;
/// use session_core::{key, AsyncSessionStore, Error, Record, Result};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<String, Record>>);
///
/// impl AsyncSessionStore for MapStore {
///     async fn load_record(&self, key: &str) -> Result<Option<Record>> {
///         let map = self.0.lock().unwrap();
///         Ok(map.get(key).filter(|r| !r.is_expired_at(SystemTime::now())).cloned())
///     }
///     async fn create(&self, record: &Record) -> Result<String> {
///         let mut map = self.0.lock().unwrap();
///         let key = key::generate();
///         if map.contains_key(&key) {
///             return Err(Error::KeyExists);
///         }
///         map.insert(key.clone(), record.clone());
///         Ok(key)
///     }
///     async fn save(&self, key: &str, record: &Record) -> Result<String> {
///         let mut map = self.0.lock().unwrap();
///         match map.get_mut(key) {
///             Some(old) if !old.is_expired_at(SystemTime::now()) => {
///                 *old = record.clone();
///                 Ok(key.to_owned())
///             }
///             _ => Err(Error::Interrupted),
///         }
///     }
///     async fn delete(&self, key: &str) -> Result<()> {
///         self.0.lock().unwrap().remove(key);
///         Ok(())
///     }
///     async fn exists(&self, key: &str) -> Result<bool> {
///         Ok(self.load_record(key).await?.is_some())
///     }
///     async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
///         match self.0.lock().unwrap().get_mut(key) {
///             Some(r) if !r.is_expired_at(SystemTime::now()) => {
///                 r.expires_at = expires_at;
///                 Ok(())
///             }
///             _ => Err(Error::Interrupted),
///         }
///     }
/// }
///
/// // Any executor drives it; session-tower drives it for a web app.
/// # let _ = MapStore::default();
/// ```
pub trait AsyncSessionStore: Send + Sync {
    /// The record (bytes and expiry) of a live session, or `None`. Never creates anything.
    fn load_record(&self, key: &str) -> impl Future<Output = Result<Option<Record>>> + Send;
    /// The stored bytes of a live session, or `None`: [`load_record`](Self::load_record)
    /// without the expiry, which is all a session's load needs. Override it when the
    /// engine answers that more cheaply (one `GET` where the expiry takes a second lookup).
    fn load(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>>> + Send {
        async move { Ok(self.load_record(key).await?.map(|record| record.data)) }
    }
    /// Stores a new session under a fresh key and returns that key. Never overwrites.
    fn create(&self, record: &Record) -> impl Future<Output = Result<String>> + Send;
    /// Updates an existing live session; returns the key to send to the client.
    /// [`Error::Interrupted`] when the session is gone: never resurrect it.
    fn save(&self, key: &str, record: &Record) -> impl Future<Output = Result<String>> + Send;
    /// Removes the session; unknown keys are fine.
    fn delete(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// Whether a live session has this key.
    fn exists(&self, key: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Moves only the expiry of a live session; [`Error::Interrupted`] when it is gone,
    /// [`Error::Unsupported`] when the store cannot do it cheaply.
    fn touch(&self, key: &str, expires_at: SystemTime) -> impl Future<Output = Result<()>> + Send;

    /// The store's name in traces (the `backend` field of each operation's span). Defaults
    /// to the type's name.
    fn backend_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
}

/// An async store that can sweep out expired sessions: the twin of
/// [`ClearExpired`](crate::ClearExpired).
///
/// ```
/// use session_core::{AsyncClearExpired, MemoryStore};
/// fn sweeper(_: &impl AsyncClearExpired) {}
/// sweeper(&MemoryStore::new());
/// ```
pub trait AsyncClearExpired: AsyncSessionStore {
    /// Deletes every expired session and returns how many it deleted.
    fn clear_expired(&self) -> impl Future<Output = Result<u64>> + Send;
}

macro_rules! forward_async_store {
    ($($ty:ty),*) => {$(
        impl<S: AsyncSessionStore> AsyncSessionStore for $ty {
            fn load_record(&self, key: &str) -> impl Future<Output = Result<Option<Record>>> + Send {
                (**self).load_record(key)
            }
            fn load(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>>> + Send {
                (**self).load(key)
            }
            fn create(&self, record: &Record) -> impl Future<Output = Result<String>> + Send {
                (**self).create(record)
            }
            fn save(&self, key: &str, record: &Record) -> impl Future<Output = Result<String>> + Send {
                (**self).save(key, record)
            }
            fn delete(&self, key: &str) -> impl Future<Output = Result<()>> + Send {
                (**self).delete(key)
            }
            fn exists(&self, key: &str) -> impl Future<Output = Result<bool>> + Send {
                (**self).exists(key)
            }
            fn touch(&self, key: &str, expires_at: SystemTime) -> impl Future<Output = Result<()>> + Send {
                (**self).touch(key, expires_at)
            }
            fn backend_name(&self) -> &'static str {
                (**self).backend_name()
            }
        }
        impl<S: AsyncClearExpired> AsyncClearExpired for $ty {
            fn clear_expired(&self) -> impl Future<Output = Result<u64>> + Send {
                (**self).clear_expired()
            }
        }
    )*};
}
forward_async_store!(std::sync::Arc<S>, Box<S>, &S);

/// A boxed, `Send` future: what [`DynAsyncStore`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`AsyncSessionStore`] as a trait object: implemented for every `AsyncSessionStore`, so
/// a [`SessionManager`](crate::SessionManager) can hold any of them. You never implement
/// it yourself.
///
/// ```
/// use session_core::{DynAsyncStore, MemoryStore};
/// let store: Box<dyn DynAsyncStore> = Box::new(MemoryStore::new());
/// # let _ = store;
/// ```
pub trait DynAsyncStore: Send + Sync {
    /// [`AsyncSessionStore::load_record`], boxed.
    fn load_record<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Record>>>;
    /// [`AsyncSessionStore::load`], boxed.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;
    /// [`AsyncSessionStore::create`], boxed.
    fn create<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<String>>;
    /// [`AsyncSessionStore::save`], boxed.
    fn save<'a>(&'a self, key: &'a str, record: &'a Record) -> BoxFuture<'a, Result<String>>;
    /// [`AsyncSessionStore::delete`], boxed.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>>;
    /// [`AsyncSessionStore::exists`], boxed.
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>>;
    /// [`AsyncSessionStore::touch`], boxed.
    fn touch<'a>(&'a self, key: &'a str, expires_at: SystemTime) -> BoxFuture<'a, Result<()>>;
    /// [`AsyncSessionStore::backend_name`].
    fn backend_name(&self) -> &'static str;
}

impl<S: AsyncSessionStore> DynAsyncStore for S {
    fn load_record<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(AsyncSessionStore::load_record(self, key))
    }
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(AsyncSessionStore::load(self, key))
    }
    fn create<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<String>> {
        Box::pin(AsyncSessionStore::create(self, record))
    }
    fn save<'a>(&'a self, key: &'a str, record: &'a Record) -> BoxFuture<'a, Result<String>> {
        Box::pin(AsyncSessionStore::save(self, key, record))
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(AsyncSessionStore::delete(self, key))
    }
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(AsyncSessionStore::exists(self, key))
    }
    fn touch<'a>(&'a self, key: &'a str, expires_at: SystemTime) -> BoxFuture<'a, Result<()>> {
        Box::pin(AsyncSessionStore::touch(self, key, expires_at))
    }
    fn backend_name(&self) -> &'static str {
        AsyncSessionStore::backend_name(self)
    }
}

impl StoreOp {
    /// Performs the operation against an async store: the whole of an async driver's work.
    ///
    /// ```
    /// use session_core::{MemoryStore, Outcome, StoreOp};
    /// let store = MemoryStore::new();
    /// let op = StoreOp::Load { key: "nosuchkey123".into() };
    /// let outcome = session_core::conformance::block_on(op.perform_async(&store));
    /// assert_eq!(outcome?, Outcome::Loaded(None));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub async fn perform_async(self, store: &(impl DynAsyncStore + ?Sized)) -> Result<Outcome> {
        use tracing::Instrument as _;
        let backend = store.backend_name();
        let span = self.span(backend);
        let metered = crate::telemetry::recording();
        if span.is_disabled() && !metered {
            return self.perform_async_inner(store).await;
        }
        let op = self.name();
        let started = std::time::Instant::now();
        let outcome = if span.is_disabled() {
            self.perform_async_inner(store).await
        } else {
            let outcome = self
                .perform_async_inner(store)
                .instrument(span.clone())
                .await;
            crate::step::record_outcome(&span, &outcome, Some(started));
            outcome
        };
        if metered {
            crate::telemetry::record_op(backend, op, &outcome, started.elapsed());
        }
        outcome
    }

    async fn perform_async_inner(self, store: &(impl DynAsyncStore + ?Sized)) -> Result<Outcome> {
        match self {
            StoreOp::Load { key } => store.load(&key).await.map(Outcome::Loaded),
            StoreOp::Create { record } => store.create(&record).await.map(Outcome::Created),
            StoreOp::Save { key, record } => store.save(&key, &record).await.map(Outcome::Saved),
            StoreOp::Delete { key } => store.delete(&key).await.map(|()| Outcome::Deleted),
            StoreOp::LoadRecord { key } => store.load_record(&key).await.map(Outcome::LoadedRecord),
            StoreOp::Touch { key, expires_at } => store
                .touch(&key, expires_at)
                .await
                .map(|()| Outcome::Touched),
        }
    }
}

/// Implements [`AsyncSessionStore`] (and [`AsyncClearExpired`] with `, clear_expired`) for
/// a type that implements the sync traits and whose every operation is fast enough to run
/// on an async executor thread (memory only: a map, an in-process cache, signed cookies).
/// Stores that touch disk or network must schedule their I/O themselves instead.
///
/// ```
/// use session_core::{AsyncSessionStore, MemoryStore};
///
/// struct Fast {
///     inner: MemoryStore,
/// }
/// session_core::forward_store!(Fast => inner);
/// session_core::impl_async_inline!(Fast);
///
/// fn needs_async(_: &impl AsyncSessionStore) {}
/// needs_async(&Fast { inner: MemoryStore::new() });
/// ```
#[macro_export]
macro_rules! impl_async_inline {
    ($ty:ty) => {
        impl $crate::AsyncSessionStore for $ty {
            async fn load_record(
                &self,
                key: &str,
            ) -> $crate::Result<::std::option::Option<$crate::Record>> {
                $crate::SessionStore::load_record(self, key)
            }
            async fn load(
                &self,
                key: &str,
            ) -> $crate::Result<::std::option::Option<::std::vec::Vec<u8>>> {
                $crate::SessionStore::load(self, key)
            }
            async fn create(
                &self,
                record: &$crate::Record,
            ) -> $crate::Result<::std::string::String> {
                $crate::SessionStore::create(self, record)
            }
            async fn save(
                &self,
                key: &str,
                record: &$crate::Record,
            ) -> $crate::Result<::std::string::String> {
                $crate::SessionStore::save(self, key, record)
            }
            async fn delete(&self, key: &str) -> $crate::Result<()> {
                $crate::SessionStore::delete(self, key)
            }
            async fn exists(&self, key: &str) -> $crate::Result<bool> {
                $crate::SessionStore::exists(self, key)
            }
            async fn touch(
                &self,
                key: &str,
                expires_at: ::std::time::SystemTime,
            ) -> $crate::Result<()> {
                $crate::SessionStore::touch(self, key, expires_at)
            }
        }
    };
    ($ty:ty, clear_expired) => {
        $crate::impl_async_inline!($ty);
        impl $crate::AsyncClearExpired for $ty {
            async fn clear_expired(&self) -> $crate::Result<u64> {
                $crate::ClearExpired::clear_expired(self)
            }
        }
    };
}

/// Implements [`AsyncSessionStore`] (and [`AsyncClearExpired`] with `, clear_expired`) for
/// a cheaply cloneable sync store whose operations block (disk, a sync network client):
/// each call moves a clone of the store and its arguments into `$run`, an
/// `async fn run<S, T>(store: S, f: impl FnOnce(&S) -> Result<T> + Send + 'static) -> Result<T>`
/// of the store's crate that decides where the work runs (a runtime's blocking pool,
/// typically). Core knows no runtime; the store's crate does.
///
/// ```
/// use session_core::{AsyncSessionStore, MemoryStore, Result};
/// use std::sync::Arc;
///
/// #[derive(Clone)]
/// struct Slow {
///     inner: Arc<MemoryStore>,
/// }
/// session_core::forward_store!(Slow => inner);
///
/// /// Where this crate runs blocking work (here: right away; a real store would use its
/// /// runtime's blocking pool).
/// async fn run<S, T>(store: S, f: impl FnOnce(&S) -> Result<T> + Send + 'static) -> Result<T> {
///     f(&store)
/// }
/// session_core::impl_async_blocking!(Slow, run);
///
/// fn needs_async(_: &impl AsyncSessionStore) {}
/// needs_async(&Slow { inner: Arc::new(MemoryStore::new()) });
/// ```
#[macro_export]
macro_rules! impl_async_blocking {
    ($ty:ty, $run:path) => {
        impl $crate::AsyncSessionStore for $ty {
            async fn load_record(
                &self,
                key: &str,
            ) -> $crate::Result<::std::option::Option<$crate::Record>> {
                let key = key.to_owned();
                $run(::std::clone::Clone::clone(self), move |s: &Self| {
                    $crate::SessionStore::load_record(s, &key)
                })
                .await
            }
            async fn load(
                &self,
                key: &str,
            ) -> $crate::Result<::std::option::Option<::std::vec::Vec<u8>>> {
                let key = key.to_owned();
                $run(::std::clone::Clone::clone(self), move |s: &Self| {
                    $crate::SessionStore::load(s, &key)
                })
                .await
            }
            async fn exists(&self, key: &str) -> $crate::Result<bool> {
                let key = key.to_owned();
                $run(::std::clone::Clone::clone(self), move |s: &Self| {
                    $crate::SessionStore::exists(s, &key)
                })
                .await
            }
            $crate::blocking_writes!($run);
        }
    };
    ($ty:ty, $run:path, clear_expired) => {
        $crate::impl_async_blocking!($ty, $run);
        impl $crate::AsyncClearExpired for $ty {
            async fn clear_expired(&self) -> $crate::Result<u64> {
                $run(::std::clone::Clone::clone(self), |s: &$ty| {
                    $crate::ClearExpired::clear_expired(s)
                })
                .await
            }
        }
    };
}

/// The four writes of an [`AsyncSessionStore`] (`create`, `save`, `delete`, `touch`), each
/// running the store's sync method through `$run` (see [`impl_async_blocking!`]): for use
/// inside an `impl AsyncSessionStore` block whose reads are written by hand (a store that
/// reads in place and writes on a blocking pool).
#[doc(hidden)]
#[macro_export]
macro_rules! blocking_writes {
    ($run:path) => {
        async fn create(&self, record: &$crate::Record) -> $crate::Result<::std::string::String> {
            let record = ::std::clone::Clone::clone(record);
            $run(::std::clone::Clone::clone(self), move |s: &Self| {
                $crate::SessionStore::create(s, &record)
            })
            .await
        }
        async fn save(
            &self,
            key: &str,
            record: &$crate::Record,
        ) -> $crate::Result<::std::string::String> {
            let (key, record) = (key.to_owned(), ::std::clone::Clone::clone(record));
            $run(::std::clone::Clone::clone(self), move |s: &Self| {
                $crate::SessionStore::save(s, &key, &record)
            })
            .await
        }
        async fn delete(&self, key: &str) -> $crate::Result<()> {
            let key = key.to_owned();
            $run(::std::clone::Clone::clone(self), move |s: &Self| {
                $crate::SessionStore::delete(s, &key)
            })
            .await
        }
        async fn touch(
            &self,
            key: &str,
            expires_at: ::std::time::SystemTime,
        ) -> $crate::Result<()> {
            let key = key.to_owned();
            $run(::std::clone::Clone::clone(self), move |s: &Self| {
                $crate::SessionStore::touch(s, &key, expires_at)
            })
            .await
        }
    };
}

/// Defines the `run` function [`impl_async_blocking!`] needs, over tokio's blocking pool:
/// the work of a call moves there when the caller runs inside a tokio runtime, and runs in
/// place otherwise; a panic in it comes back as [`Error::Panicked`]. The expanding crate
/// must depend on `tokio` (feature `rt`); core itself does not.
#[doc(hidden)]
#[macro_export]
macro_rules! tokio_blocking_runner {
    ($vis:vis fn $name:ident, $backend:literal) => {
        /// Runs `f` on `store` on tokio's blocking pool when called inside a tokio runtime,
        /// else on the calling thread.
        $vis async fn $name<S, T>(
            store: S,
            f: impl FnOnce(&S) -> $crate::Result<T> + Send + 'static,
        ) -> $crate::Result<T>
        where
            S: Send + 'static,
            T: Send + 'static,
        {
            if ::tokio::runtime::Handle::try_current().is_err() {
                return f(&store);
            }
            ::tokio::task::spawn_blocking(move || f(&store))
                .await
                .map_err(|join| match join.try_into_panic() {
                    Ok(payload) => $crate::Error::panicked($backend, payload),
                    Err(join) => $crate::Error::backend($backend, join),
                })?
        }
    };
}

/// Whether the calling thread drives async tasks of a tokio runtime (a worker, or the thread
/// inside `Runtime::block_on`), where a sync face must not wait for the network. Threads of
/// the blocking pool (`spawn_blocking`: they run a task but are no worker) and threads
/// outside any runtime may. The expanding crate must depend on `tokio` (feature `rt`).
#[doc(hidden)]
#[macro_export]
macro_rules! on_tokio_executor_thread {
    () => {
        ::tokio::runtime::Handle::try_current().is_ok()
            && !(::tokio::runtime::worker_index().is_none() && ::tokio::task::try_id().is_some())
    };
}

impl_async_inline!(MemoryStore, clear_expired);

/// What a sync call on a manager built over an async-only store answers.
pub(crate) fn async_only() -> Error {
    Error::Unsupported {
        backend: "async-only",
        operation: "sync access (use an async driver, or the sync methods of a store that has them)",
    }
}
