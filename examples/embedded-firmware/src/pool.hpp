// Fixed-capacity allocators for statically allocated memory: no heap, ever.
//
//   BlockPool<BlockSize, BlockCount>  equal-sized blocks with O(1) allocate and
//                                     free; rejects foreign pointers and double
//                                     frees.
//   Arena<Capacity>                   a bump allocator with mark/release.
//
// Both have a trivial default constructor, so an instance with static storage
// duration is zero-initialised (it lives in .bss and costs no start-up code),
// and a zeroed instance is an empty pool. Declare them at namespace scope;
// they are far too big for a stack.
//
// blocks_within<BlockSize>(budget) and arena_capacity_within(budget) size a
// pool so that the whole object, bookkeeping included, fits in a byte budget;
// each component then static_asserts that it really does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace firmware {

constexpr std::size_t max_align = alignof(std::max_align_t);

template <std::size_t BlockSize, std::size_t BlockCount>
class BlockPool {
  static_assert(BlockCount > 0, "a pool needs at least one block");
  static_assert(BlockSize >= sizeof(void*), "a free block holds the free-list link");
  static_assert(BlockSize % max_align == 0, "every block must be max-aligned");

 public:
  static constexpr std::size_t block_size = BlockSize;
  static constexpr std::size_t block_count = BlockCount;
  static constexpr std::size_t capacity_bytes = BlockSize * BlockCount;

  // A free block, or nullptr when every block is in use.
  unsigned char* allocate() noexcept {
    unsigned char* block = nullptr;
    if (free_head_ != nullptr) {
      block = free_head_;
      std::memcpy(&free_head_, block, sizeof free_head_);  // the link inside the block
    } else if (fresh_ < BlockCount) {
      block = storage_ + fresh_ * BlockSize;
      ++fresh_;
    } else {
      return nullptr;
    }
    set_allocated(index_of(block), true);
    if (++in_use_ > high_water_) high_water_ = in_use_;
    return block;
  }

  // Returns the block to the pool. False, and nothing changes, when p is not
  // the start of a block of this pool or the block is not allocated.
  bool deallocate(void* p) noexcept {
    if (!owns(p)) return false;
    auto* block = static_cast<unsigned char*>(p);
    const std::size_t index = index_of(block);
    if (!allocated(index)) return false;
    set_allocated(index, false);
    std::memcpy(block, &free_head_, sizeof free_head_);
    free_head_ = block;
    --in_use_;
    return true;
  }

  // True when p is the start of one of this pool's blocks.
  bool owns(const void* p) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    const auto first = reinterpret_cast<std::uintptr_t>(storage_);
    return address >= first && address < first + capacity_bytes &&
           (address - first) % BlockSize == 0;
  }

  // True when p is a block of this pool that is currently allocated.
  bool is_allocated(const void* p) const noexcept {
    return owns(p) && allocated(index_of(static_cast<const unsigned char*>(p)));
  }

  // Every block free again; the high-water mark survives.
  void reset() noexcept {
    free_head_ = nullptr;
    fresh_ = 0;
    in_use_ = 0;
    std::memset(allocated_, 0, sizeof allocated_);
  }

  std::size_t in_use() const noexcept { return in_use_; }
  std::size_t available() const noexcept { return BlockCount - in_use_; }
  std::size_t high_water() const noexcept { return high_water_; }

 private:
  std::size_t index_of(const unsigned char* block) const noexcept {
    return static_cast<std::size_t>(block - storage_) / BlockSize;
  }
  bool allocated(std::size_t index) const noexcept {
    return ((static_cast<unsigned>(allocated_[index / 8]) >> (index % 8)) & 1u) != 0;
  }
  void set_allocated(std::size_t index, bool on) noexcept {
    const auto bit = static_cast<unsigned char>(1u << (index % 8));
    if (on) {
      allocated_[index / 8] = static_cast<unsigned char>(allocated_[index / 8] | bit);
    } else {
      allocated_[index / 8] = static_cast<unsigned char>(allocated_[index / 8] & ~bit);
    }
  }

  alignas(max_align) unsigned char storage_[capacity_bytes];
  unsigned char* free_head_;  // freed blocks, linked through their first bytes
  std::size_t fresh_;         // blocks [fresh_, BlockCount) were never handed out
  std::size_t in_use_;
  std::size_t high_water_;
  unsigned char allocated_[(BlockCount + 7) / 8];  // one bit per block
};

template <std::size_t Capacity>
class Arena {
  static_assert(Capacity > 0, "an arena needs some capacity");
  static_assert(Capacity % max_align == 0, "an arena's capacity is a multiple of max_align");

 public:
  static constexpr std::size_t capacity_bytes = Capacity;

  // size bytes aligned to align (a power of two, at most max_align), or
  // nullptr when they do not fit.
  void* allocate(std::size_t size, std::size_t align = max_align) noexcept {
    if (size == 0 || align == 0 || (align & (align - 1)) != 0 || align > max_align) return nullptr;
    const std::size_t start = (used_ + align - 1) & ~(align - 1);
    if (start > Capacity || size > Capacity - start) return nullptr;
    used_ = start + size;
    if (used_ > high_water_) high_water_ = used_;
    return storage_ + start;
  }

  // Constructs a T in the arena (placement new: no heap), or returns nullptr
  // when it does not fit. The arena never runs destructors.
  template <typename T, typename... Args>
  T* create(Args&&... args) noexcept {
    static_assert(std::is_trivially_destructible<T>::value, "the arena never runs destructors");
    void* p = allocate(sizeof(T), alignof(T));
    return p == nullptr ? nullptr : ::new (p) T{std::forward<Args>(args)...};
  }

  // mark() then release(mark) frees everything allocated in between.
  std::size_t mark() const noexcept { return used_; }
  void release(std::size_t mark) noexcept {
    if (mark <= used_) used_ = mark;
  }
  void reset() noexcept { used_ = 0; }

  bool owns(const void* p) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    const auto first = reinterpret_cast<std::uintptr_t>(storage_);
    return address >= first && address < first + Capacity;
  }
  std::size_t used() const noexcept { return used_; }
  std::size_t remaining() const noexcept { return Capacity - used_; }
  std::size_t high_water() const noexcept { return high_water_; }

 private:
  alignas(max_align) unsigned char storage_[Capacity];
  std::size_t used_;
  std::size_t high_water_;
};

// The most blocks of BlockSize whose BlockPool fits in budget bytes: each block
// costs BlockSize bytes plus one bitmap bit; the pool adds four words and at
// most max_align bytes of padding.
template <std::size_t BlockSize>
constexpr std::size_t blocks_within(unsigned long long budget) {
  constexpr unsigned long long fixed = 4 * sizeof(void*) + max_align;
  return budget <= fixed ? 0 : static_cast<std::size_t>((budget - fixed) * 8 / (8 * BlockSize + 1));
}

// The largest Arena capacity whose Arena fits in budget bytes (two words of
// bookkeeping, rounded up to max_align).
constexpr std::size_t arena_capacity_within(unsigned long long budget) {
  constexpr unsigned long long overhead = (2 * sizeof(std::size_t) + max_align - 1) / max_align * max_align;
  return budget <= overhead ? 0 : static_cast<std::size_t>((budget - overhead) / max_align * max_align);
}

}  // namespace firmware
