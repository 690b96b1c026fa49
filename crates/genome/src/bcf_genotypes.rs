//! The GT values of a BCF record, decoded from its FORMAT bytes (BCF 2.2, section 6.3:
//! per FORMAT key a typed key, a typed descriptor, then one vector per sample).
//!
//! noodles-bcf 0.94 decodes only 8-bit GT vectors and panics (`todo!`) on 16- and
//! 32-bit ones, which bcftools writes for records of more than 63 alleles or large
//! ploidies; this decoder handles all three widths and returns errors, never panics.

use crate::error::RecordProblem;

/// BCF atomic types (the low 4 bits of a type byte).
const INT8: u8 = 1;
const INT16: u8 = 2;
const INT32: u8 = 3;

/// A cursor over a record's FORMAT bytes.
struct Cursor<'a> {
    src: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordProblem> {
        if self.src.len() < n {
            return Err(truncated());
        }
        let (head, tail) = self.src.split_at(n);
        self.src = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, RecordProblem> {
        Ok(self.take(1)?[0])
    }

    /// A typed integer (a type byte of length 1, then the value).
    fn typed_int(&mut self) -> Result<i64, RecordProblem> {
        let descriptor = self.byte()?;
        let width = int_width(descriptor & 0x0f)?;
        Ok(read_int(self.take(width)?))
    }

    /// A type descriptor: the atomic type and the vector length.
    fn descriptor(&mut self) -> Result<(u8, usize), RecordProblem> {
        let descriptor = self.byte()?;
        let ty = descriptor & 0x0f;
        let mut len = usize::from(descriptor >> 4);
        if len == 15 {
            len = usize::try_from(self.typed_int()?).map_err(|_| truncated())?;
        }
        Ok((ty, len))
    }
}

fn truncated() -> RecordProblem {
    RecordProblem::Fields(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "invalid FORMAT data",
    ))
}

fn int_width(ty: u8) -> Result<usize, RecordProblem> {
    match ty {
        INT8 => Ok(1),
        INT16 => Ok(2),
        INT32 | 5 => Ok(4),
        7 | 0 => Ok(1),
        _ => Err(truncated()),
    }
}

/// A little-endian signed integer of 1, 2 or 4 bytes.
fn read_int(bytes: &[u8]) -> i64 {
    match *bytes {
        [a] => i64::from(a as i8),
        [a, b] => i64::from(i16::from_le_bytes([a, b])),
        [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
        _ => 0,
    }
}

/// Calls `f` with each sample's 1-based column and alleles (`None` for `.`), in
/// sample order; `Ok(false)` when the record has no GT. `gt_key` is GT's index in the
/// header's string map.
pub(crate) fn for_each_genotype(
    format: &[u8],
    format_count: usize,
    samples: usize,
    gt_key: Option<usize>,
    mut f: impl FnMut(usize, &[Option<usize>]) -> Result<(), RecordProblem>,
) -> Result<bool, RecordProblem> {
    let mut cursor = Cursor { src: format };
    for _ in 0..format_count {
        let key = cursor.typed_int()?;
        let (ty, len) = cursor.descriptor()?;
        let width = int_width(ty)?;
        let size = len
            .checked_mul(width)
            .and_then(|n| n.checked_mul(samples))
            .ok_or_else(truncated)?;
        let values = cursor.take(size)?;
        if usize::try_from(key).ok() != gt_key || gt_key.is_none() {
            continue;
        }
        if !matches!(ty, INT8 | INT16 | INT32) {
            return Err(RecordProblem::Genotype { sample: 1 });
        }
        // The "end of vector" and "missing" values of each width.
        let (end, missing) = match ty {
            INT8 => (-127, -128),
            INT16 => (-32767, -32768),
            _ => (i64::from(i32::MIN) + 1, i64::from(i32::MIN)),
        };
        if len == 0 {
            // No allele for any sample: all uncalled.
            for i in 0..samples {
                f(i + 1, &[])?;
            }
            return Ok(true);
        }
        let mut alleles = Vec::with_capacity(len);
        for (i, vector) in values.chunks(len * width).enumerate() {
            alleles.clear();
            for value in vector.chunks(width).map(read_int) {
                if value == end {
                    break;
                }
                // (allele + 1) << 1 | phased; 0 (or the missing integer) is `.`.
                let index = value >> 1;
                alleles.push(if value == missing || index <= 0 {
                    None
                } else {
                    Some(usize::try_from(index - 1).map_err(|_| truncated())?)
                });
            }
            f(i + 1, &alleles)?;
        }
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The alleles of every sample of `format`, with GT as key 0.
    fn decode(format: &[u8], samples: usize) -> Result<Vec<Vec<Option<usize>>>, RecordProblem> {
        let mut out = Vec::new();
        for_each_genotype(format, 1, samples, Some(0), |_, alleles| {
            out.push(alleles.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn decodes_8_and_16_bit_vectors_with_missing_and_vector_end() -> Result<(), RecordProblem> {
        // key 0 (int8), then int8 x2: "0/1", "./." (0, 0), "1" (4, end).
        let int8 = [0x11, 0, 0x21, 2, 4, 0, 0, 4, 0x81];
        assert_eq!(
            decode(&int8, 3)?,
            [vec![Some(0), Some(1)], vec![None, None], vec![Some(1)]]
        );
        // key 0, then int16 x2: "300|0" ((301 << 1) | 1 = 603, 3).
        let int16 = [0x11, 0, 0x22, 0x5b, 0x02, 0x03, 0x00];
        assert_eq!(decode(&int16, 1)?, [vec![Some(300), Some(0)]]);
        Ok(())
    }

    #[test]
    fn short_or_empty_data_is_an_error_or_uncalled() -> Result<(), RecordProblem> {
        assert!(decode(&[0x11, 0, 0x21, 2], 1).is_err());
        assert_eq!(decode(&[0x11, 0, 0x01], 2)?, [vec![], vec![]]);
        Ok(())
    }
}
