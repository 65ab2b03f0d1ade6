// storage: a journal of records, one record per 512-byte sector, the sectors
// coming from a static BlockPool sized by BUDGET_STORAGE (the "flash"). Each
// sector starts with a header carrying the record's length and CRC-32.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "components.hpp"
#include "pool_checks.hpp"

namespace firmware::storage {
namespace {

Pool pool;

static_assert(sizeof pool <= BUDGET_STORAGE, "storage's sector pool exceeds BUDGET_STORAGE");

struct SectorHeader {
  std::uint32_t magic;
  std::uint32_t sequence;
  std::uint32_t length;
  std::uint32_t crc;
};
constexpr std::uint32_t sector_magic = 0x4C4E524Au;  // "JRNL"
constexpr std::size_t payload_capacity = sector_size - sizeof(SectorHeader);

std::uint32_t next_sequence;

// CRC-32 (IEEE 802.3, reflected), bit by bit: small rather than fast.
std::uint32_t crc32(const void* data, std::size_t length) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < length; ++i) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// Writes a record to a free sector; nullptr when it is too long or the
// journal is full.
unsigned char* append(const void* data, std::size_t length) noexcept {
  if (length > payload_capacity) return nullptr;
  unsigned char* sector = pool.allocate();
  if (sector == nullptr) return nullptr;
  const SectorHeader header{sector_magic, next_sequence++, static_cast<std::uint32_t>(length), crc32(data, length)};
  std::memcpy(sector, &header, sizeof header);
  std::memcpy(sector + sizeof header, data, length);
  return sector;
}

enum class Read { ok, not_a_record, corrupt, too_small };

// Reads a record back into out, checking its CRC.
Read read(const unsigned char* sector, void* out, std::size_t capacity, std::size_t& length) noexcept {
  if (!pool.is_allocated(sector)) return Read::not_a_record;
  SectorHeader header;
  std::memcpy(&header, sector, sizeof header);
  if (header.magic != sector_magic || header.length > payload_capacity) return Read::not_a_record;
  if (crc32(sector + sizeof header, header.length) != header.crc) return Read::corrupt;
  if (header.length > capacity) return Read::too_small;
  std::memcpy(out, sector + sizeof header, header.length);
  length = header.length;
  return Read::ok;
}

// Wipes a record's header and frees its sector.
bool erase(unsigned char* sector) noexcept {
  if (!pool.is_allocated(sector)) return false;
  std::memset(sector, 0, sizeof(SectorHeader));
  return pool.deallocate(sector);
}

void format() noexcept {
  pool.reset();
  next_sequence = 0;
}

// Record i of the self-test: 1 to payload_capacity bytes of a pattern.
std::size_t pattern(std::size_t i, unsigned char* out) noexcept {
  const std::size_t length = 1 + (i * 37) % payload_capacity;
  for (std::size_t j = 0; j < length; ++j) out[j] = static_cast<unsigned char>(i * 31 + j);
  return length;
}

}  // namespace

bool init() noexcept {
  format();
  static constexpr char boot_record[] = "boot: embedded-firmware example, journal formatted";
  const unsigned char* sector = append(boot_record, sizeof boot_record);
  char back[payload_capacity];
  std::size_t length = 0;
  return sector != nullptr && read(sector, back, sizeof back, length) == Read::ok && length == sizeof boot_record &&
         std::memcmp(back, boot_record, length) == 0;
}

void selftest(Check& check) noexcept {
  exercise_block_pool(pool, check);
  check.expect(crc32("123456789", 9) == 0xCBF43926u, "CRC-32 check value");

  // Fill the journal; after a format, records land in address order.
  format();
  unsigned char record[payload_capacity];
  unsigned char back[payload_capacity];
  unsigned char* const first = append(record, pattern(0, record));
  std::size_t records = first != nullptr ? 1 : 0;
  while (append(record, pattern(records, record)) != nullptr) ++records;
  check.expect(records == Pool::block_count, "the journal holds one record per sector");
  check.expect(append(record, 1) == nullptr, "a full journal refuses another record");
  if (first == nullptr) return;

  bool intact = true;
  for (std::size_t i = 0; i < records; ++i) {
    std::size_t length = 0;
    const std::size_t expected = pattern(i, record);
    intact = intact && read(first + i * sector_size, back, sizeof back, length) == Read::ok && length == expected &&
             std::memcmp(back, record, length) == 0;
  }
  check.expect(intact, "every record reads back intact");

  // Damage and misuse are reported.
  std::size_t length = 0;
  unsigned char* const victim = first + 5 * sector_size;
  victim[sizeof(SectorHeader) + 2] ^= 0x01;
  check.expect(read(victim, back, sizeof back, length) == Read::corrupt, "a flipped bit fails the CRC");
  check.expect(read(first, back, 0, length) == Read::too_small, "a short buffer is reported");
  check.expect(read(first + 1, back, sizeof back, length) == Read::not_a_record, "a pointer into a sector is refused");

  check.expect(erase(victim), "erasing a record");
  check.expect(!erase(victim), "erasing it twice is refused");
  check.expect(read(victim, back, sizeof back, length) == Read::not_a_record, "an erased record is gone");
  check.expect(append(record, pattern(5, record)) == victim, "an erased sector is reused");
  check.expect(append(record, payload_capacity + 1) == nullptr, "an oversized record is refused");
  format();
}

}  // namespace firmware::storage
