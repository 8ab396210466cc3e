//! The byte stream of a version-3 snapshot: frames of at most [`FRAME`] bytes, each with its
//! length and CRC-32, so that a snapshot is written and read through a stream with bounded
//! buffers and a damaged byte is found in the frame that holds it.
//!
//! ```text
//! frame    len u32 LE (1..=FRAME; 0 ends the stream)   crc32 u32 LE   len bytes
//! ```
//! Numbers inside are little-endian fixed width; strings are a length then UTF-8 bytes.

use crate::error::{Error, Result};
use std::io::{Read, Write};

/// Decode a postcard value that must use `bytes` up exactly; the error says why (the
/// decoder's message, or how many bytes trail), for the caller to place in its context.
pub(crate) fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> std::result::Result<T, String> {
    let (v, rest) = postcard::take_from_bytes(bytes).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes", rest.len()));
    }
    Ok(v)
}

/// The largest frame (1 MiB).
pub(super) const FRAME: usize = 1 << 20;

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Snapshot { reason: format!("corrupted payload: {what}") }
}

fn io(e: std::io::Error) -> Error {
    Error::Snapshot { reason: format!("cannot write or read the snapshot stream: {e}") }
}

/// Writes values into frames on an underlying writer.
pub(super) struct FrameWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// The first I/O error (writes after it are dropped; [`FrameWriter::finish`] reports it).
    err: Option<std::io::Error>,
}

impl<W: Write> FrameWriter<W> {
    pub fn new(out: W) -> Self {
        FrameWriter { out, buf: Vec::with_capacity(FRAME), err: None }
    }

    fn flush_frame(&mut self) {
        if self.buf.is_empty() || self.err.is_some() {
            self.buf.clear();
            return;
        }
        let head = [(self.buf.len() as u32).to_le_bytes(), crc32fast::hash(&self.buf).to_le_bytes()].concat();
        if let Err(e) = self.out.write_all(&head).and_then(|_| self.out.write_all(&self.buf)) {
            self.err = Some(e);
        }
        self.buf.clear();
    }

    pub fn bytes(&mut self, mut b: &[u8]) {
        while !b.is_empty() {
            let room = FRAME - self.buf.len();
            let (now, rest) = b.split_at(room.min(b.len()));
            self.buf.extend_from_slice(now);
            b = rest;
            if self.buf.len() == FRAME {
                self.flush_frame();
            }
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }

    /// A string of up to 4 GiB: u32 length, bytes.
    pub fn str(&mut self, s: &[u8]) {
        self.u32(s.len() as u32);
        self.bytes(s);
    }

    /// A postcard-encoded value with a u32 length.
    pub fn postcard<T: serde::Serialize>(&mut self, v: &T) -> Result<()> {
        let b = postcard::to_stdvec(v).map_err(|e| corrupt(format!("cannot encode: {e}")))?;
        self.str(&b);
        Ok(())
    }

    /// End the stream (an empty frame) and flush.
    pub fn finish(mut self) -> Result<()> {
        self.flush_frame();
        if let Some(e) = self.err.take() {
            return Err(io(e));
        }
        self.out.write_all(&[0; 8]).and_then(|_| self.out.flush()).map_err(io)
    }
}

/// Reads values back from frames, checking each frame's CRC as it arrives.
pub(super) struct FrameReader<R: Read> {
    inp: R,
    buf: Vec<u8>,
    at: usize,
    ended: bool,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inp: R) -> Self {
        FrameReader { inp, buf: Vec::new(), at: 0, ended: false }
    }

    fn next_frame(&mut self) -> Result<()> {
        if self.ended {
            return Err(corrupt("truncated (read past the end of the stream)"));
        }
        let mut head = [0u8; 8];
        self.inp.read_exact(&mut head).map_err(|_| corrupt("truncated (a frame header is missing)"))?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len == 0 {
            self.ended = true;
            self.buf.clear();
            self.at = 0;
            return Err(corrupt("truncated (the stream ends inside a value)"));
        }
        if len > FRAME {
            return Err(corrupt(format!("a frame of {len} bytes (at most {FRAME})")));
        }
        self.buf.resize(len, 0);
        self.inp.read_exact(&mut self.buf).map_err(|_| corrupt("truncated (inside a frame)"))?;
        if crc32fast::hash(&self.buf) != crc {
            return Err(corrupt("checksum mismatch in a frame"));
        }
        self.at = 0;
        Ok(())
    }

    /// Fill `out` exactly.
    pub fn bytes_into(&mut self, out: &mut [u8]) -> Result<()> {
        let mut done = 0;
        while done < out.len() {
            if self.at == self.buf.len() {
                self.next_frame()?;
            }
            let n = (self.buf.len() - self.at).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.at..self.at + n]);
            self.at += n;
            done += n;
        }
        Ok(())
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        // the common case: the value lies inside the current frame
        if self.buf.len() - self.at >= N {
            let mut a = [0u8; N];
            a.copy_from_slice(&self.buf[self.at..self.at + N]);
            self.at += N;
            return Ok(a);
        }
        let mut a = [0u8; N];
        self.bytes_into(&mut a)?;
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.arr::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.arr()?))
    }

    /// A count of items, each at least `min_bytes` long: refused when the stream cannot hold
    /// them (so that a damaged count cannot make a huge allocation).
    pub fn count(&mut self, min_bytes: usize, what: &str) -> Result<usize> {
        let n = self.u64()?;
        if n > u32::MAX as u64 || (n as usize).saturating_mul(min_bytes.max(1)) > (1usize << 40) {
            return Err(corrupt(format!("{what}: a count of {n}")));
        }
        Ok(n as usize)
    }

    /// A string written by [`FrameWriter::str`], appended to `out` (reused by the caller).
    pub fn str_into(&mut self, out: &mut Vec<u8>, max: usize, what: &str) -> Result<()> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(corrupt(format!("{what}: {n} bytes (at most {max})")));
        }
        // grown as the bytes arrive: a damaged length must not allocate what the stream lacks
        out.clear();
        let mut left = n;
        while left > 0 {
            let take = left.min(1 << 16);
            let start = out.len();
            out.resize(start + take, 0);
            self.bytes_into(&mut out[start..])?;
            left -= take;
        }
        Ok(())
    }

    /// A UTF-8 string of at most `max` bytes.
    pub fn string(&mut self, max: usize, what: &str) -> Result<String> {
        let mut b = Vec::new();
        self.str_into(&mut b, max, what)?;
        String::from_utf8(b).map_err(|_| corrupt(format!("{what}: not UTF-8")))
    }

    /// A postcard value written by [`FrameWriter::postcard`], used up exactly.
    pub fn postcard<T: serde::de::DeserializeOwned>(&mut self, what: &str) -> Result<T> {
        let mut b = Vec::new();
        self.str_into(&mut b, u32::MAX as usize, what)?;
        decode_exact(&b).map_err(|why| corrupt(format!("{what}: {why}")))
    }

    /// The end of the stream: an empty frame right after the last value, and nothing after it.
    pub fn finish(mut self) -> Result<()> {
        if self.at != self.buf.len() {
            return Err(corrupt(format!("{} trailing bytes", self.buf.len() - self.at)));
        }
        if !self.ended {
            let mut head = [0u8; 8];
            self.inp.read_exact(&mut head).map_err(|_| corrupt("truncated (the end frame is missing)"))?;
            if head != [0; 8] {
                return Err(corrupt("data after the last value"));
            }
        }
        let mut one = [0u8; 1];
        match self.inp.read(&mut one) {
            Ok(0) => Ok(()),
            Ok(_) => Err(corrupt("bytes after the end of the snapshot")),
            Err(e) => Err(io(e)),
        }
    }
}
