//! A bounded, byte-weighted LRU cache of encoded tiles, shared by all requests.
//!
//! The `lru` crate bounds entries by count; tiles vary from a few bytes to hundreds of KB,
//! so this wrapper bounds the total bytes instead, evicting least-recently-used tiles until
//! the new one fits. Hit and miss counters are atomics so `/health` can read them cheaply.
//!
//! [`TileCache::get_or_encode`] is single-flight: concurrent requests for the same uncached
//! tile wait for one encode (a `tokio::sync::OnceCell` per tile in flight) instead of each
//! encoding it, so `misses` counts encodes.

use lru::LruCache;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

/// Default capacity of the tile cache in megabytes (`serve --tile-cache-mb`).
pub const DEFAULT_CACHE_MB: u64 = 64;

/// Bytes charged per entry on top of the tile itself (key, bookkeeping), so empty tiles count.
const ENTRY_OVERHEAD: u64 = 64;

/// Key of a cached tile: layer name, z, x, y.
pub type TileKey = (String, u8, u32, u32);

/// An encoded tile with the entity tag of its bytes, computed once when it is encoded rather
/// than hashed again on every request that hits the cache.
#[derive(Debug, PartialEq, Eq)]
pub struct EncodedTile {
    /// The MVT bytes.
    pub bytes: Arc<[u8]>,
    /// Its entity tag, as sent in `ETag`.
    pub etag: String,
}

/// A cached tile: `None` is an empty tile (served as 204).
pub type CachedTile = Option<Arc<EncodedTile>>;

/// Counters of a [`TileCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to encode the tile.
    pub misses: u64,
    /// Lookups that waited for an encode of the same tile already in flight (no encode of their own).
    pub coalesced: u64,
    /// Bytes currently held (tiles plus per-entry overhead).
    pub bytes: u64,
    /// Tiles currently held.
    pub entries: u64,
    /// Upper bound of `bytes`.
    pub capacity_bytes: u64,
}

/// The result slot of one tile being encoded, shared by the requests waiting for it.
type InFlight = Arc<OnceCell<CachedTile>>;

struct Inner {
    lru: LruCache<TileKey, CachedTile>,
    bytes: u64,
    /// Tiles being encoded now; an entry lives from the first miss until its encode is cached.
    in_flight: HashMap<TileKey, InFlight>,
}

/// A thread-safe LRU cache of encoded tiles bounded by total bytes.
pub struct TileCache {
    inner: Mutex<Inner>,
    capacity_bytes: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
}

fn weight(key: &TileKey, tile: &CachedTile) -> u64 {
    ENTRY_OVERHEAD + key.0.len() as u64 + tile.as_ref().map_or(0, |t| (t.bytes.len() + t.etag.len()) as u64)
}

impl TileCache {
    /// An empty cache holding at most `capacity_bytes` bytes.
    #[must_use]
    pub fn new(capacity_bytes: u64) -> Self {
        Self {
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
                in_flight: HashMap::new(),
            }),
            capacity_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
        }
    }

    /// An empty cache of `mb` megabytes (2^20 bytes).
    #[must_use]
    pub fn with_megabytes(mb: u64) -> Self {
        Self::new(mb.saturating_mul(1 << 20))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the cache consistent enough to keep serving.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached tile for `key` (counting a hit), or `None` (counting a miss).
    pub fn get(&self, key: &TileKey) -> Option<CachedTile> {
        let found = self.lock().lru.get(key).cloned();
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The tile for `key`: from the cache (a hit), from an encode of the same tile already in
    /// flight (coalesced), or by awaiting `encode` and caching its result (a miss). At most one
    /// `encode` per key runs at a time; if it fails, its error is returned to its caller and a
    /// waiting request encodes in its place.
    ///
    /// # Errors
    /// The error of this caller's own `encode`.
    pub async fn get_or_encode<F, Fut, E>(&self, key: &TileKey, encode: F) -> Result<CachedTile, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CachedTile, E>>,
    {
        let cell = {
            let mut inner = self.lock();
            if let Some(hit) = inner.lru.get(key).cloned() {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit);
            }
            inner.in_flight.entry(key.clone()).or_default().clone()
        };
        let mut encoded_here = false;
        let result = cell
            .get_or_try_init(|| {
                encoded_here = true;
                self.misses.fetch_add(1, Ordering::Relaxed);
                encode()
            })
            .await
            .cloned();
        if encoded_here {
            if let Ok(tile) = &result {
                self.insert(key.clone(), tile.clone());
            }
            // Done (or failed, leaving the next request to encode afresh): later requests
            // find the tile in the LRU, not here.
            let mut inner = self.lock();
            if inner.in_flight.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                inner.in_flight.remove(key);
            }
        } else {
            self.coalesced.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Stores `tile` under `key`, evicting least-recently-used tiles until it fits.
    /// A tile larger than the whole capacity is not stored.
    pub fn insert(&self, key: TileKey, tile: CachedTile) {
        let w = weight(&key, &tile);
        if w > self.capacity_bytes {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.lru.pop(&key) {
            inner.bytes -= weight(&key, &old);
        }
        while inner.bytes + w > self.capacity_bytes {
            match inner.lru.pop_lru() {
                Some((k, v)) => inner.bytes -= weight(&k, &v),
                None => break,
            }
        }
        inner.bytes += w;
        inner.lru.put(key, tile);
    }

    /// Current counters.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            coalesced: self.coalesced.load(Ordering::Relaxed),
            bytes: inner.bytes,
            entries: inner.lru.len() as u64,
            capacity_bytes: self.capacity_bytes,
        }
    }
}

impl Default for TileCache {
    fn default() -> Self {
        Self::with_megabytes(DEFAULT_CACHE_MB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        ("counties".to_owned(), 3, x, 3)
    }

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        let tile = |n: usize| {
            Some(Arc::new(EncodedTile {
                bytes: Arc::from(vec![7u8; n]),
                etag: String::new(),
            }))
        };
        // Room for two 100-byte tiles with overhead (2 × (64 + 8 + 100) = 344), not three.
        let c = TileCache::new(400);
        c.insert(key(0), tile(100));
        c.insert(key(1), tile(100));
        assert!(c.get(&key(0)).is_some()); // 0 is now most recently used
        c.insert(key(2), tile(100));
        assert!(c.get(&key(1)).is_none(), "1 was least recently used");
        assert!(c.get(&key(0)).is_some() && c.get(&key(2)).is_some());
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.entries, s.bytes), (3, 1, 2, 344));
        c.insert(key(3), tile(1000)); // larger than the cache: not stored
        assert_eq!(c.stats().entries, 2);
    }

    #[tokio::test]
    async fn a_failed_encode_is_not_cached_and_the_next_request_encodes_again() {
        let c = TileCache::new(1 << 20);
        let failed: Result<CachedTile, &str> = c.get_or_encode(&key(0), || async { Err("boom") }).await;
        assert_eq!(failed, Err("boom"));
        assert!(c.lock().in_flight.is_empty(), "a failed encode leaves nothing in flight");
        let ok: Result<CachedTile, &str> = c
            .get_or_encode(&key(0), || async {
                Ok(Some(Arc::new(EncodedTile {
                    bytes: Arc::from(vec![1u8, 2]),
                    etag: String::new(),
                })))
            })
            .await;
        assert_eq!(ok.unwrap().map(|t| t.bytes.to_vec()), Some(vec![1u8, 2]));
        let again: Result<CachedTile, &str> = c.get_or_encode(&key(0), || async { Err("not called") }).await;
        assert_eq!(again.unwrap().map(|t| t.bytes.to_vec()), Some(vec![1u8, 2]));
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.coalesced, s.entries), (1, 2, 0, 1));
        assert!(c.lock().in_flight.is_empty());
    }
}
