// InlineFunction<R(Args...), Bytes>: std::function without the heap for small callables.
//
// Every recorded op stores its backward closure. std::function keeps only tiny captures (16
// bytes in libstdc++) inside itself and heap-allocates the rest — and a closure holding three
// tensor handles is already 48 bytes. InlineFunction keeps any callable of up to `Bytes` bytes
// in an aligned buffer inside the object, and larger ones on the heap. It is move-only (a tape
// record is never copied), and calling an empty one is undefined, like dereferencing null.
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace tg {

template <class Signature, std::size_t Bytes>
class InlineFunction;

template <class R, class... Args, std::size_t Bytes>
class InlineFunction<R(Args...), Bytes> {
 public:
  InlineFunction() = default;

  template <class F>
    requires(!std::is_same_v<std::decay_t<F>, InlineFunction> && std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
  InlineFunction(F&& f) {  // NOLINT: implicit, like std::function
    using Fn = std::decay_t<F>;
    if constexpr (fits_inline<Fn>()) {
      ::new (static_cast<void*>(buffer_)) Fn(std::forward<F>(f));
      ops_ = &kInlineOps<Fn>;
    } else {
      ::new (static_cast<void*>(buffer_)) Fn*(new Fn(std::forward<F>(f)));
      ops_ = &kHeapOps<Fn>;
    }
  }

  InlineFunction(InlineFunction&& other) noexcept { take(other); }
  InlineFunction& operator=(InlineFunction&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  ~InlineFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  R operator()(Args... args) const { return ops_->invoke(buffer_, std::forward<Args>(args)...); }

 private:
  struct Ops {
    R (*invoke)(void* self, Args&&... args);
    void (*relocate)(void* from, void* to) noexcept;  // move-construct at `to`, destroy `from`
    void (*destroy)(void* self) noexcept;
  };

  template <class Fn>
  static constexpr bool fits_inline() {
    return sizeof(Fn) <= Bytes && alignof(Fn) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<Fn>;
  }

  // f(args...) as std::function would call it: any invocable, a result dropped when R is void.
  template <class Fn>
  static R call(Fn& f, Args&&... args) {
    if constexpr (std::is_void_v<R>)
      std::invoke(f, std::forward<Args>(args)...);
    else
      return std::invoke(f, std::forward<Args>(args)...);
  }

  template <class Fn>
  static constexpr Ops kInlineOps{
      [](void* self, Args&&... args) -> R { return call(*static_cast<Fn*>(self), std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept {
        ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
        static_cast<Fn*>(from)->~Fn();
      },
      [](void* self) noexcept { static_cast<Fn*>(self)->~Fn(); }};

  template <class Fn>
  static constexpr Ops kHeapOps{
      [](void* self, Args&&... args) -> R { return call(**static_cast<Fn**>(self), std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept { ::new (to) Fn*(*static_cast<Fn**>(from)); },
      [](void* self) noexcept { delete *static_cast<Fn**>(self); }};

  void take(InlineFunction& other) noexcept {
    if (other.ops_) {
      other.ops_->relocate(other.buffer_, buffer_);
      ops_ = std::exchange(other.ops_, nullptr);
    }
  }
  void reset() noexcept {
    if (ops_) std::exchange(ops_, nullptr)->destroy(buffer_);
  }

  static_assert(Bytes >= sizeof(void*), "the buffer must hold at least the pointer of a heap-stored callable");
  alignas(std::max_align_t) mutable unsigned char buffer_[Bytes];
  const Ops* ops_ = nullptr;
};

}  // namespace tg
