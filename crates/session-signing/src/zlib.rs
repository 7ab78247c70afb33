//! zlib (RFC 1950) as Django's signing uses it, with the compressor and decompressor state
//! kept per thread.
//!
//! A fresh zlib compressor allocates and clears a few hundred kilobytes of tables; for the
//! small payloads of sessions that costs more than the compression itself, and the large
//! allocation can hit the allocator's slow path on every call. Each thread therefore keeps
//! one compressor and one decompressor and resets them between uses.

use std::cell::RefCell;
use std::io;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::SignError;

thread_local! {
    static COMPRESSOR: RefCell<Option<Compress>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// `data` compressed as zlib at level 6 (Python's `zlib.compress` default).
///
/// ```
/// let z = session_signing::zlib::compress(&[b'a'; 1000]);
/// assert!(z.len() < 30);
/// assert_eq!(session_signing::zlib::decompress(&z, 1000)?, [b'a'; 1000]);
/// # Ok::<(), session_signing::SignError>(())
/// ```
pub fn compress(data: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = slot.get_or_insert_with(|| Compress::new(Compression::new(6), true));
        compressor.reset();
        // zlib's deflateBound: incompressible data grows by a few bytes per 16 KiB.
        let mut out = Vec::with_capacity(data.len() + data.len() / 1000 + 64);
        loop {
            let consumed = usize::try_from(compressor.total_in()).unwrap_or(data.len());
            let status = compressor
                .compress_vec(
                    &data[consumed.min(data.len())..],
                    &mut out,
                    FlushCompress::Finish,
                )
                .expect("deflate of in-memory data cannot fail");
            if status == Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

/// Inflates zlib `data`, refusing output longer than `limit` bytes with
/// [`SignError::TooLarge`]; corrupt or truncated input is [`SignError::Decompress`].
///
/// ```
/// use session_signing::{SignError, zlib};
/// assert!(matches!(zlib::decompress(b"not zlib", 100), Err(SignError::Decompress(_))));
/// let bomb = zlib::compress(&vec![0; 1 << 20]);
/// assert!(matches!(zlib::decompress(&bomb, 1000), Err(SignError::TooLarge { limit: 1000 })));
/// ```
pub fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, SignError> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let decompressor = slot.get_or_insert_with(|| Decompress::new(true));
        decompressor.reset(true);
        let cap = limit.saturating_add(1);
        let mut out = Vec::with_capacity(data.len().saturating_mul(4).max(64).min(cap));
        loop {
            let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
            let consumed = usize::try_from(in_before)
                .unwrap_or(data.len())
                .min(data.len());
            let status = decompressor
                .decompress_vec(&data[consumed..], &mut out, FlushDecompress::None)
                .map_err(|e| {
                    SignError::Decompress(io::Error::new(io::ErrorKind::InvalidData, e))
                })?;
            if out.len() > limit {
                return Err(SignError::TooLarge { limit });
            }
            if status == Status::StreamEnd {
                return Ok(out);
            }
            let stuck = decompressor.total_in() == in_before
                && decompressor.total_out() == out_before
                && out.len() < out.capacity();
            if stuck {
                return Err(SignError::Decompress(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated zlib stream",
                )));
            }
            if out.len() == out.capacity() {
                let more = out.len().max(64).min(cap - out.len());
                out.reserve_exact(more);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_size() {
        for len in [0, 1, 2, 63, 64, 65, 1000, 70_000, 1 << 20] {
            let data: Vec<u8> = (0..len).map(|i: usize| (i * 7 % 251) as u8).collect();
            let z = compress(&data);
            assert_eq!(decompress(&z, len).unwrap(), data, "{len}");
            if len > 0 {
                assert!(matches!(
                    decompress(&z, len - 1),
                    Err(SignError::TooLarge { .. })
                ));
            }
        }
    }

    #[test]
    fn truncated_and_trailing_garbage() {
        let z = compress(&[b'x'; 5000]);
        for end in 0..z.len() {
            assert!(decompress(&z[..end], 10_000).is_err(), "{end}");
        }
        // State is reset between calls: a failure leaves nothing behind.
        assert_eq!(decompress(&z, 10_000).unwrap(), [b'x'; 5000]);
    }

    #[test]
    fn incompressible_data_still_compresses_to_valid_zlib() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let data: Vec<u8> = (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let z = compress(&data);
        assert!(z.len() > data.len());
        assert_eq!(decompress(&z, data.len()).unwrap(), data);
    }
}
