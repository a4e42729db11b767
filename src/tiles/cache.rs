//! A bounded, byte-weighted LRU cache of encoded tiles, shared by all requests.
//!
//! The `lru` crate bounds entries by count; tiles vary from a few bytes to hundreds of KB,
//! so this wrapper bounds the total bytes instead, evicting least-recently-used tiles until
//! the new one fits. Hit and miss counters are atomics so `/health` can read them cheaply.

use lru::LruCache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Default capacity of the tile cache in megabytes (`serve --tile-cache-mb`).
pub const DEFAULT_CACHE_MB: u64 = 64;

/// Bytes charged per entry on top of the tile itself (key, bookkeeping), so empty tiles count.
const ENTRY_OVERHEAD: u64 = 64;

/// Key of a cached tile: layer name, z, x, y.
pub type TileKey = (String, u8, u32, u32);

/// A cached tile: `None` is an empty tile (served as 204).
pub type CachedTile = Option<Arc<[u8]>>;

/// Counters of a [`TileCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to encode the tile.
    pub misses: u64,
    /// Bytes currently held (tiles plus per-entry overhead).
    pub bytes: u64,
    /// Tiles currently held.
    pub entries: u64,
    /// Upper bound of `bytes`.
    pub capacity_bytes: u64,
}

struct Inner {
    lru: LruCache<TileKey, CachedTile>,
    bytes: u64,
}

/// A thread-safe LRU cache of encoded tiles bounded by total bytes.
pub struct TileCache {
    inner: Mutex<Inner>,
    capacity_bytes: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

fn weight(key: &TileKey, tile: &CachedTile) -> u64 {
    ENTRY_OVERHEAD + key.0.len() as u64 + tile.as_ref().map_or(0, |t| t.len() as u64)
}

impl TileCache {
    /// An empty cache holding at most `capacity_bytes` bytes.
    #[must_use]
    pub fn new(capacity_bytes: u64) -> Self {
        Self {
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
            capacity_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
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
        let tile = |n: usize| Some(Arc::<[u8]>::from(vec![7u8; n]));
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
}
