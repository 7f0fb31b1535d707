// CRC32C (Castagnoli polynomial 0x82F63B78, reflected), as used by LevelDB,
// RocksDB and iSCSI. Hardware path: SSE4.2 crc32 instructions, selected at run time.
#include "cairn_support.h"
#include <string.h>

// Fuzz builds (-fsanitize=fuzzer-no-link) instrument every C loop for coverage; a checksum's loop
// has no branch that depends on the data, so tracing it only costs time (about a third of the
// WAL fuzz target's run time). Normal builds are unaffected.
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define CAIRN_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#endif
#endif
#ifndef CAIRN_NO_COVERAGE
#define CAIRN_NO_COVERAGE
#endif

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

CAIRN_NO_COVERAGE
uint32_t cairn_crc32c_extend_portable(uint32_t crc, const void *data, size_t n) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint32_t lo = (uint32_t)w ^ c, hi = (uint32_t)(w >> 32);
        c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
            table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^ table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <cpuid.h>

__attribute__((target("sse4.2"))) CAIRN_NO_COVERAGE
static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}

static int hw_state = -1;  // -1 unknown, 0 no, 1 yes

int cairn_crc32c_is_hardware(void) {
    int s = __atomic_load_n(&hw_state, __ATOMIC_RELAXED);
    if (s < 0) {
        unsigned a, b, c, d;
        s = (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2)) ? 1 : 0;
        __atomic_store_n(&hw_state, s, __ATOMIC_RELAXED);
    }
    return s;
}

CAIRN_NO_COVERAGE
uint32_t cairn_crc32c_extend(uint32_t crc, const void *data, size_t n) {
    if (cairn_crc32c_is_hardware()) return crc32c_hw(crc, data, n);
    return cairn_crc32c_extend_portable(crc, data, n);
}
#else
int cairn_crc32c_is_hardware(void) { return 0; }
uint32_t cairn_crc32c_extend(uint32_t crc, const void *data, size_t n) {
    return cairn_crc32c_extend_portable(crc, data, n);
}
#endif
