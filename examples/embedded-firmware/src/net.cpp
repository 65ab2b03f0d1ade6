// net: every received frame lives in a packet buffer from a static BlockPool
// sized by BUDGET_NET, and waits on a small receive ring until the stack has
// checked it and released the buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "components.hpp"
#include "pool_checks.hpp"

namespace firmware::net {
namespace {

Pool pool;

struct Frame {
  unsigned char* data;
  std::size_t length;
};

// Frames received and not yet processed, oldest at ring_head.
constexpr std::size_t ring_slots = 16;
Frame ring[ring_slots];
std::size_t ring_head;
std::size_t ring_count;

static_assert(sizeof pool + sizeof ring <= BUDGET_NET, "net's packet pool and receive ring exceed BUDGET_NET");

constexpr std::size_t header_size = 14;  // Ethernet: destination, source, EtherType
constexpr std::size_t min_frame = 60;
constexpr std::size_t max_frame = 1514;
static_assert(max_frame <= packet_size, "a packet buffer holds a whole frame");

struct Stats {
  std::size_t received;
  std::size_t dropped;
  std::size_t delivered;
  std::size_t corrupt;
};
Stats stats;

// The Internet checksum (RFC 1071).
std::uint16_t checksum(const unsigned char* data, std::size_t length) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < length; i += 2) sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (length % 2 != 0) sum += static_cast<std::uint32_t>(data[length - 1] << 8);
  while (sum >> 16 != 0) sum = (sum & 0xFFFFu) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// The simulated NIC: writes frame `sequence` (payload ending in its checksum)
// into a fresh packet buffer. With the pool exhausted the frame is dropped,
// as a real driver would.
Frame receive(std::uint32_t sequence) noexcept {
  unsigned char* buffer = pool.allocate();
  if (buffer == nullptr) {
    ++stats.dropped;
    return {nullptr, 0};
  }
  static constexpr unsigned char header[header_size] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // broadcast
                                                        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // us
                                                        0x88, 0xB5};                         // local EtherType
  const std::size_t length = min_frame + (sequence * 389u) % (max_frame - min_frame + 1);
  std::memcpy(buffer, header, header_size);
  for (std::size_t i = header_size; i < length - 2; ++i) buffer[i] = static_cast<unsigned char>(sequence + i);
  const std::uint16_t sum = checksum(buffer + header_size, length - header_size - 2);
  buffer[length - 2] = static_cast<unsigned char>(sum >> 8);
  buffer[length - 1] = static_cast<unsigned char>(sum & 0xFFu);
  ++stats.received;
  return {buffer, length};
}

bool valid(const Frame& frame) noexcept {
  const unsigned char* trailer = frame.data + frame.length - 2;
  const auto stored = static_cast<std::uint16_t>(trailer[0] << 8 | trailer[1]);
  return checksum(frame.data + header_size, frame.length - header_size - 2) == stored;
}

void enqueue(const Frame& frame) noexcept {
  ring[(ring_head + ring_count) % ring_slots] = frame;
  ++ring_count;
}

// Takes the oldest frame off the ring, checks it and releases its buffer.
bool process_one() noexcept {
  if (ring_count == 0) return false;
  const Frame frame = ring[ring_head];
  ring_head = (ring_head + 1) % ring_slots;
  --ring_count;
  if (valid(frame)) {
    ++stats.delivered;
  } else {
    ++stats.corrupt;
  }
  pool.deallocate(frame.data);
  return true;
}

// Receives `frames` frames while the stack processes one for every two that
// arrive (and catches up whenever the ring is full), then drains the ring.
bool run_traffic(std::uint32_t frames) noexcept {
  pool.reset();
  ring_head = ring_count = 0;
  stats = {};
  for (std::uint32_t sequence = 0; sequence < frames; ++sequence) {
    if (ring_count == ring_slots) process_one();
    const Frame frame = receive(sequence);
    if (frame.data != nullptr) enqueue(frame);
    if (sequence % 2 == 1) process_one();
  }
  while (process_one()) {
  }
  return stats.delivered == frames && stats.corrupt == 0 && stats.dropped == 0 && pool.in_use() == 0;
}

}  // namespace

bool init() noexcept { return run_traffic(1000); }

void selftest(Check& check) noexcept {
  exercise_block_pool(pool, check);

  static constexpr unsigned char rfc1071[] = {0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7};
  check.expect(checksum(rfc1071, sizeof rfc1071) == 0x220D, "RFC 1071 checksum example");
  check.expect(run_traffic(1000), "1000 frames received, checked and released");
  check.expect(pool.high_water() >= ring_slots, "the receive ring filled up");

  pool.reset();
  Frame frame = receive(7);
  check.expect(frame.data != nullptr && valid(frame), "a received frame is valid");
  if (frame.data != nullptr) {
    frame.data[header_size + 3] ^= 0x10;
    check.expect(!valid(frame), "a corrupted frame fails its checksum");
  }

  while (pool.allocate() != nullptr) {
  }
  const std::size_t dropped = stats.dropped;
  check.expect(receive(8).data == nullptr && stats.dropped == dropped + 1,
               "with the pool exhausted, the driver drops the frame");
  pool.reset();
}

}  // namespace firmware::net
