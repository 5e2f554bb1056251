#ifndef CDISKSUPPORT_H
#define CDISKSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli), the checksum of the disk tier's files: `crc` is the value so far (0 to start). Uses the
/// SSE 4.2 instruction when the CPU has it, a table otherwise.
uint32_t reprise_crc32c(uint32_t crc, const void *bytes, size_t length);

#endif
