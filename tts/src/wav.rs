//! 16-bit PCM mono WAV (RIFF, `fmt ` chunk of 16 bytes, `data`).

use std::io::Write;
use std::path::Path;

/// `samples` (−1…1) at `volume` % as 16-bit PCM mono WAV at `rate` Hz; louder than full scale is
/// clipped.
pub fn encode(samples: &[f32], rate: u32, volume: u8) -> Vec<u8> {
    let gain = f32::from(volume.min(100)) / 100.0;
    let data_len = (samples.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        let v = (s * gain).clamp(-1.0, 1.0) * 32767.0;
        b.extend_from_slice(&(v.round() as i16).to_le_bytes());
    }
    b
}

/// Writes [`encode`]'s WAV to `path` (through a temporary file beside it, so a reader never sees
/// half a file).
pub fn write(path: &Path, samples: &[f32], rate: u32, volume: u8) -> std::io::Result<()> {
    let tmp = path.with_extension("wav.part");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&encode(samples, rate, volume))?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The samples (−1…1) and rate of a 16-bit PCM mono WAV as [`encode`] writes it; `None` for
/// anything else.
pub fn decode(b: &[u8]) -> Option<(Vec<f32>, u32)> {
    if b.len() < 44 || &b[..4] != b"RIFF" || &b[8..16] != b"WAVEfmt " {
        return None;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    if u16_at(20) != 1 || u16_at(22) != 1 || u16_at(34) != 16 || &b[36..40] != b"data" {
        return None;
    }
    let n = (u32_at(40) as usize).min(b.len() - 44) / 2;
    let samples = (0..n)
        .map(|i| f32::from(i16::from_le_bytes([b[44 + 2 * i], b[45 + 2 * i]])) / 32768.0)
        .collect();
    Some((samples, u32_at(24)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_volume_and_clipping() {
        let s = [0.0, 0.5, -0.5, 1.5, -2.0];
        let b = encode(&s, 24_000, 100);
        assert_eq!(b.len(), 44 + 10);
        assert_eq!(&b[..4], b"RIFF");
        let (back, rate) = decode(&b).unwrap();
        assert_eq!(rate, 24_000);
        assert!((back[1] - 0.5).abs() < 1e-3);
        assert!((back[3] - 1.0).abs() < 1e-3, "clipped at full scale");
        assert!((back[4] + 1.0).abs() < 1e-3);
        let (half, _) = decode(&encode(&s, 24_000, 50)).unwrap();
        assert!((half[1] - 0.25).abs() < 1e-3);
        let (mute, _) = decode(&encode(&s, 24_000, 0)).unwrap();
        assert!(mute.iter().all(|x| *x == 0.0));
        assert!(decode(b"RIFF....WAVEfmt ").is_none());
    }
}
