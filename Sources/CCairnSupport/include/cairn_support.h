#ifndef CAIRN_SUPPORT_H
#define CAIRN_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC32C (Castagnoli) checksum `crc` with `n` bytes at `data`.
/// Pass 0 to start a new checksum. Uses the SSE4.2 `crc32` instruction when the
/// CPU has it and a portable slice-by-8 table otherwise.
uint32_t cairn_crc32c_extend(uint32_t crc, const void *data, size_t n);

/// Returns 1 when the hardware CRC32C path is in use, 0 for the portable path.
int cairn_crc32c_is_hardware(void);

/// The portable path, exposed so tests can check both paths agree.
uint32_t cairn_crc32c_extend_portable(uint32_t crc, const void *data, size_t n);

#endif
