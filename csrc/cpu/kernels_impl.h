// kernels_impl.h -- the CPU loops, compiled once per instruction set.
//
// Included by kernels_<isa>.cpp with PHILOX_ISA set to a namespace name; each of
// those files is compiled with its own -m flags (never tuned to the build host) and the
// dispatcher picks one at run time. The loops are written so that GCC and Clang
// vectorize them: Philox blocks are computed in structure-of-arrays form, then a
// conversion from philox.h runs over a small buffer that stays in L1.
// -ffp-contract=off keeps the vectorized arithmetic bit-identical to the
// scalar (and CUDA) one.
#include "../philox.h"
#include "kernels.h"

#include <string.h>
#include <type_traits>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace philox {
namespace cpu {
namespace PHILOX_ISA {

// ------------------------------------------------------------------ SIMD Philox
// The block function of philox.h, restated over vectors of L independent blocks
// (structure of arrays: one vector per counter word). Only the 32x32->64
// multiply and the final transpose need intrinsics; the test suite holds this
// path equal to the scalar philox4x32_10 on every instruction set.
#if defined(__AVX512F__)
typedef __m512i vreg;
constexpr size_t L = 16;
static inline vreg vset1(uint32_t a) { return _mm512_set1_epi32((int)a); }
static inline vreg vmul_even(vreg a, vreg b) { return _mm512_mul_epu32(a, b); }
static inline vreg vmullo(vreg a, vreg b) { return _mm512_mullo_epi32(a, b); }
static inline vreg vsrl64(vreg a) { return _mm512_srli_epi64(a, 32); }
static inline vreg vblend_odd(vreg even, vreg odd) { return _mm512_mask_blend_epi32(0xAAAA, even, odd); }
static inline vreg vshl64(vreg a) { return _mm512_slli_epi64(a, 32); }
static inline vreg vxor(vreg a, vreg b) { return _mm512_xor_si512(a, b); }
static inline vreg vadd(vreg a, vreg b) { return _mm512_add_epi32(a, b); }
static inline vreg vload(const uint32_t* p) { return _mm512_loadu_si512((const void*)p); }
static inline vreg vunlo32(vreg a, vreg b) { return _mm512_unpacklo_epi32(a, b); }
static inline vreg vunhi32(vreg a, vreg b) { return _mm512_unpackhi_epi32(a, b); }
static inline vreg vunlo64(vreg a, vreg b) { return _mm512_unpacklo_epi64(a, b); }
static inline vreg vunhi64(vreg a, vreg b) { return _mm512_unpackhi_epi64(a, b); }
#elif defined(__AVX2__)
typedef __m256i vreg;
constexpr size_t L = 8;
static inline vreg vset1(uint32_t a) { return _mm256_set1_epi32((int)a); }
static inline vreg vmul_even(vreg a, vreg b) { return _mm256_mul_epu32(a, b); }
static inline vreg vmullo(vreg a, vreg b) { return _mm256_mullo_epi32(a, b); }
static inline vreg vsrl64(vreg a) { return _mm256_srli_epi64(a, 32); }
static inline vreg vblend_odd(vreg even, vreg odd) { return _mm256_blend_epi32(even, odd, 0xAA); }
static inline vreg vshl64(vreg a) { return _mm256_slli_epi64(a, 32); }
static inline vreg vxor(vreg a, vreg b) { return _mm256_xor_si256(a, b); }
static inline vreg vadd(vreg a, vreg b) { return _mm256_add_epi32(a, b); }
static inline vreg vload(const uint32_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
static inline vreg vunlo32(vreg a, vreg b) { return _mm256_unpacklo_epi32(a, b); }
static inline vreg vunhi32(vreg a, vreg b) { return _mm256_unpackhi_epi32(a, b); }
static inline vreg vunlo64(vreg a, vreg b) { return _mm256_unpacklo_epi64(a, b); }
static inline vreg vunhi64(vreg a, vreg b) { return _mm256_unpackhi_epi64(a, b); }
#elif defined(__SSE2__)
typedef __m128i vreg;
constexpr size_t L = 4;
static inline vreg vset1(uint32_t a) { return _mm_set1_epi32((int)a); }
static inline vreg vmul_even(vreg a, vreg b) { return _mm_mul_epu32(a, b); }
static inline vreg vsrl64(vreg a) { return _mm_srli_epi64(a, 32); }
// SSE2 has no 32-bit blend: keep the even lanes' low halves, or in the odd ones
static inline vreg vblend_odd(vreg even, vreg odd) {
  const vreg lo = _mm_set_epi32(0, -1, 0, -1);
  return _mm_or_si128(_mm_and_si128(lo, even), _mm_andnot_si128(lo, odd));
}
static inline vreg vshl64(vreg a) { return _mm_slli_epi64(a, 32); }
static inline vreg vxor(vreg a, vreg b) { return _mm_xor_si128(a, b); }
static inline vreg vadd(vreg a, vreg b) { return _mm_add_epi32(a, b); }
static inline vreg vload(const uint32_t* p) { return _mm_loadu_si128((const __m128i*)p); }
static inline vreg vunlo32(vreg a, vreg b) { return _mm_unpacklo_epi32(a, b); }
static inline vreg vunhi32(vreg a, vreg b) { return _mm_unpackhi_epi32(a, b); }
static inline vreg vunlo64(vreg a, vreg b) { return _mm_unpacklo_epi64(a, b); }
static inline vreg vunhi64(vreg a, vreg b) { return _mm_unpackhi_epi64(a, b); }
#else
#define PHILOX_NO_SIMD 1
constexpr size_t L = 1;
#endif

#ifndef PHILOX_NO_SIMD
// (hi, lo) = m * x per 32-bit lane: products of the even lanes, then of the odd
// lanes shifted down, recombined.
static inline void vmulhilo(vreg m, vreg x, vreg& hi, vreg& lo) {
  const vreg pe = vmul_even(m, x);                    // lanes 0, 2, ..: 64-bit products
  const vreg po = vmul_even(m, vsrl64(x));            // lanes 1, 3, ..
#if defined(__AVX2__) || defined(__AVX512F__)
  lo = vmullo(m, x);                                  // one op instead of shift + blend
#else
  lo = vblend_odd(pe, vshl64(po));
#endif
  hi = vblend_odd(vsrl64(pe), po);
}

// kV vectors at once hide the multipliers' latency: a round's multiplies wait on the previous
// round's, so fewer independent vectors leave the units idle. Measured in L1 (ns per word, one
// thread, AMD EPYC family 26, Zen 5): AVX-512 0.29 with 2 vectors, 0.26 with 3, 0.20 with 4, 0.18
// with 8; AVX2 0.57, 0.50, 0.44 (2, 3, 4); SSE2 1.70, 1.40 (2, 4). Four for every instruction set
// (eight gained little on AVX-512 and doubles the smallest SIMD batch). Runs shorter than kLanes
// blocks take one vector at a time (kLanes1 blocks), then the scalar block function.
constexpr size_t kV = 4;
constexpr size_t kLanes = kV * L;
constexpr size_t kLanes1 = L;

// The ten rounds over KV * L counters (x0..x3[v], lane by lane), then the blocks in word order
// into o[4 * KV * L]: block i's four words are o[4i .. 4i+3].
template <size_t KV>
__attribute__((always_inline)) static inline void philox_simd(uint32_t* __restrict o, vreg* x0, vreg* x1,
                                                              vreg* x2, vreg* x3, uint32_t k0, uint32_t k1) {
  const vreg m0 = vset1(PHILOX_M0), m1 = vset1(PHILOX_M1);
  vreg key0 = vset1(k0), key1 = vset1(k1);
  const vreg w0 = vset1(PHILOX_W0), w1 = vset1(PHILOX_W1);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 10
#endif
  for (int r = 0; r < PHILOX_ROUNDS; ++r) {
    if (r) { key0 = vadd(key0, w0); key1 = vadd(key1, w1); }
    for (size_t v = 0; v < KV; ++v) {  // philox4x32_round, lane-wise
      vreg hi0, lo0, hi1, lo1;
      vmulhilo(m0, x0[v], hi0, lo0);
      vmulhilo(m1, x2[v], hi1, lo1);
      x0[v] = vxor(vxor(hi1, x1[v]), key0);
      x1[v] = lo1;
      x2[v] = vxor(vxor(hi0, x3[v]), key1);
      x3[v] = lo0;
    }
  }
  // Transpose to word order: block b's four words are o[4b .. 4b+3]. The unpacks
  // work inside 128-bit lanes, so u_k's 128-bit lane l holds block 4l + k.
  for (size_t v = 0; v < KV; ++v) {
    const vreg t0 = vunlo32(x0[v], x1[v]), t1 = vunlo32(x2[v], x3[v]);
    const vreg t2 = vunhi32(x0[v], x1[v]), t3 = vunhi32(x2[v], x3[v]);
    const vreg u[4] = {vunlo64(t0, t1), vunhi64(t0, t1), vunlo64(t2, t3), vunhi64(t2, t3)};
    uint32_t* ov = o + 4 * L * v;
    for (size_t l = 0; l < L / 4; ++l)
      for (size_t k = 0; k < 4; ++k) memcpy(ov + 4 * (4 * l + k), (const char*)&u[k] + 16 * l, 16);
  }
}

// Blocks lo + i .. lo + i + KV * L - 1 (counter high word hi) into o[4 * KV * L].
template <size_t KV>
static inline void blocks_simd(uint32_t* __restrict o, uint32_t lo, uint32_t hi, uint32_t c2, uint32_t c3,
                               uint32_t k0, uint32_t k1) {
  alignas(64) uint32_t iota[KV * L];
  for (size_t j = 0; j < KV * L; ++j) iota[j] = lo + (uint32_t)j;
  vreg x0[KV], x1[KV], x2[KV], x3[KV];
  for (size_t v = 0; v < KV; ++v) {
    x0[v] = vload(iota + v * L); x1[v] = vset1(hi); x2[v] = vset1(c2); x3[v] = vset1(c3);
  }
  philox_simd<KV>(o, x0, x1, x2, x3, k0, k1);
}

// KV * L blocks of arbitrary counters (c0[i], c1[i], c2, c3), i < KV * L, into o[4 * KV * L]
// (the gathered path: each lane its own block of one stream).
template <size_t KV>
static inline void blocks_simd_at(uint32_t* __restrict o, const uint32_t* c0, const uint32_t* c1, uint32_t c2,
                                  uint32_t c3, uint32_t k0, uint32_t k1) {
  vreg x0[KV], x1[KV], x2[KV], x3[KV];
  for (size_t v = 0; v < KV; ++v) {
    x0[v] = vload(c0 + v * L); x1[v] = vload(c1 + v * L); x2[v] = vset1(c2); x3[v] = vset1(c3);
  }
  philox_simd<KV>(o, x0, x1, x2, x3, k0, k1);
}
#endif

// Words of blocks [b0, b0 + nb) of stream (k0, k1, id) into out[4 * nb].
static void gen_blocks(uint32_t* __restrict out, uint64_t b0, size_t nb, uint32_t k0, uint32_t k1,
                       uint64_t id) {
  size_t done = 0;
  while (done < nb) {
    const uint64_t b = b0 + done;
    uint32_t lo, hi, c2, c3;  // the counter of block b (philox.h); lo counts up within the run
    stream_counter(b, id, lo, hi, c2, c3);
    // blocks with the same high counter word: lo .. lo + seg - 1 does not wrap
    size_t seg = nb - done;
    const uint64_t to_wrap = (uint64_t)0x100000000ull - lo;
    if (seg > to_wrap) seg = (size_t)to_wrap;
    uint32_t* o = out + 4 * done;
    size_t i = 0;
#ifndef PHILOX_NO_SIMD
    for (; i + kLanes <= seg; i += kLanes) blocks_simd<kV>(o + 4 * i, lo + (uint32_t)i, hi, c2, c3, k0, k1);
    for (; i + kLanes1 <= seg; i += kLanes1) blocks_simd<1>(o + 4 * i, lo + (uint32_t)i, hi, c2, c3, k0, k1);
#endif
    for (; i < seg; ++i) stream_block(o + 4 * i, b + i, id, k0, k1);
    done += seg;
  }
}

// Words of blocks bl[0 .. nb) (any block numbers) of stream (k0, k1, id) into out[4 * nb]: block
// bl[i]'s words at out[4i .. 4i+3], kLanes blocks at a time through blocks_simd_at.
static void gen_blocks_at(uint32_t* __restrict out, const uint64_t* bl, size_t nb, uint32_t k0, uint32_t k1,
                          uint64_t id) {
  size_t i = 0;
#ifndef PHILOX_NO_SIMD
  uint32_t c2, c3;
  {
    uint32_t c0, c1;
    stream_counter(0, id, c0, c1, c2, c3);
  }
  // batches of KV * L blocks while they fill: kV vectors, then one
  auto batches = [&](auto kv) {
    constexpr size_t KV = decltype(kv)::value, B = KV * L;
    alignas(64) uint32_t lo[B], hi[B];
    for (; i + B <= nb; i += B) {
      for (size_t j = 0; j < B; ++j) {
        uint32_t x2, x3;
        stream_counter(bl[i + j], id, lo[j], hi[j], x2, x3);
      }
      blocks_simd_at<KV>(out + 4 * i, lo, hi, c2, c3, k0, k1);
    }
  };
  batches(std::integral_constant<size_t, kV>());
  batches(std::integral_constant<size_t, 1>());
#endif
  for (; i < nb; ++i) stream_block(out + 4 * i, bl[i], id, k0, k1);
}

// Words generated per chunk (8 KiB, stays in L1).
constexpr size_t kChunkWords = 2048;
// Outputs at least this large are written with non-temporal stores: they cannot
// stay in cache anyway, and streaming skips the read-for-ownership of each line.
// Not for freshly allocated outputs: the OS has just zeroed those pages, so their
// lines are in cache and plain stores are cheaper (measured on 10^7 values:
// float32 1.5 vs 1.8 ns, float64 3.4 vs 3.8 ns per value).
constexpr size_t kStreamBytes = (size_t)16 << 20;

// Copy n bytes from an L1 buffer to dst with streaming stores (plain stores for
// the unaligned head and the tail).
static inline void stream_copy(void* dst, const void* src, size_t n) {
  unsigned char* d = static_cast<unsigned char*>(dst);
  const unsigned char* s = static_cast<const unsigned char*>(src);
#if defined(__AVX512F__) || defined(__AVX2__) || defined(__SSE2__)
  constexpr size_t A = sizeof(vreg);
  const size_t head = (A - ((uintptr_t)d & (A - 1))) & (A - 1);
  if (head >= n) { memcpy(d, s, n); return; }
  memcpy(d, s, head);
  d += head; s += head; n -= head;
  for (; n >= A; n -= A, d += A, s += A) {
#if defined(__AVX512F__)
    _mm512_stream_si512((__m512i*)d, _mm512_loadu_si512((const void*)s));
#elif defined(__AVX2__)
    _mm256_stream_si256((__m256i*)d, _mm256_loadu_si256((const __m256i*)s));
#else
    _mm_stream_si128((__m128i*)d, _mm_loadu_si128((const __m128i*)s));
#endif
  }
#endif
  memcpy(d, s, n);
}

// The Philox block that holds the first word of element e of a job whose values take K words
// each (element e is value e of the job's draw: words 4 * block + lane + e * K ...). Every pass
// that needs a value's own position (the retry streams, FORMAT 19.1) asks here.
template <int K>
static inline uint64_t value_block(const Job& job, uint64_t e) {
  if (job.region) {  // a gathered region draw: element e is value region_value_index of the full draw
    uint64_t b;
    uint32_t lane;
    region_value_position(job.block, job.lane, region_value_index(*job.region, e), K, b, lane);
    return b;
  }
  return job.block + (((uint64_t)job.lane + e * (uint64_t)K) >> 2);
}

// (Out of line: inlined into fill, it made fill's contiguous loop slower, randn f64 3.2 -> 3.9 ns.)
template <int K, class T, class Conv>
__attribute__((noinline)) static void fill_gathered(const Job& job, size_t i0, size_t i1, Conv conv);

// Values [i0, i1) of a job whose values take K words each and are stored as T.
// conv(dst, nv, words, v0) writes values v0 .. v0 + nv - 1 to dst; the words of value
// v0 + j start at words[j * K] (the job's words from position + (v0 + j) * K).
template <int K, class T, class Conv>
static void fill(const Job& job, size_t i0, size_t i1, Conv conv) {
  if (job.region) {  // a region draw of short runs: each element's words from its own value's position
    fill_gathered<K, T>(job, i0, i1, conv);
    return;
  }
  alignas(64) uint32_t buf[kChunkWords + 8];
  constexpr size_t kValues = kChunkWords / K;
  alignas(64) T tmp[kValues];
  T* const out = static_cast<T*>(job.out);
  const bool streaming = !job.fresh && job.n * sizeof(T) >= kStreamBytes;
  for (size_t v0 = i0; v0 < i1; v0 += kValues) {
    const size_t nv = (i1 - v0 < kValues) ? (i1 - v0) : kValues;
    const uint64_t w0 = (uint64_t)job.lane + (uint64_t)v0 * K;  // words from job.block * 4
    const uint64_t b0 = job.block + (w0 >> 2);
    const size_t off = (size_t)(w0 & 3);
    const size_t nb = (off + nv * K + 3) / 4;
    gen_blocks(buf, b0, nb, job.k0, job.k1, job.id);
    if (streaming) {
      conv(tmp, nv, buf + off, v0);
      stream_copy(out + v0, tmp, nv * sizeof(T));
    } else {
      conv(out + v0, nv, buf + off, v0);
    }
  }
#if defined(__SSE2__) || defined(__AVX2__) || defined(__AVX512F__)
  if (streaming) _mm_sfence();  // order the streamed lines before the caller reads them
#endif
}

// Elements [i0, i1) of a gathered region draw (job.region, kernels.h): in chunks of up to
// kGatherValues elements, each element's value index (RegionCursor), the Philox blocks its K words
// lie in (one to three; a block shared with the previous element is computed once), generated
// lanes-parallel over their own counters (gen_blocks_at), the words laid out densely (element j's
// at w[K * j], as fill's), then the same conv as the contiguous path, with v0 the chunk's first
// output element (value_block maps it to its value's block through the region).
constexpr size_t kGatherValues = 256;

template <int K, class T, class Conv>
__attribute__((noinline)) static void fill_gathered(const Job& job, size_t i0, size_t i1, Conv conv) {
  constexpr size_t kValues = (kChunkWords / K < kGatherValues) ? kChunkWords / K : kGatherValues;
  constexpr size_t kSpan = (K + 6) / 4;  // at most (lane + K + 3) / 4 blocks per value
  constexpr size_t kMaxBlocks = kValues * kSpan;
  alignas(64) uint32_t w[kChunkWords + 8];
  alignas(64) uint32_t buf[4 * kMaxBlocks];
  uint64_t bl[kMaxBlocks + kSpan];
  uint32_t at[kValues];  // element j's first word in buf
  alignas(64) T tmp[kValues];
  T* const out = static_cast<T*>(job.out);
  const bool streaming = !job.fresh && job.n * sizeof(T) >= kStreamBytes;
  const Region& g = *job.region;
  RegionCursor cur(g, i0);
  const bool column = g.ndim == 1 && g.run_len == 1;  // runs of one value: value base + e * stride
  const uint64_t base = g.base, stride = g.stride[0], block0 = job.block;
  const uint32_t lane0 = job.lane;
  // each value alone at lane 0 of its own K / 4 blocks: the blocks in order are the dense words
  const bool dense = K % 4 == 0 && lane0 == 0;
  for (size_t v0 = i0; v0 < i1; v0 += kValues) {
    const size_t nv = (i1 - v0 < kValues) ? (i1 - v0) : kValues;
    alignas(64) uint64_t vi[kValues];  // element v0 + j is value vi[j] of the full draw
    if (column) {
      for (size_t j = 0; j < nv; ++j) vi[j] = base + (uint64_t)(v0 + j) * stride;
    } else {
      for (size_t j = 0; j < nv; ++j, cur.next(g)) vi[j] = cur.value();
    }
    size_t nb = 0;
    if (dense) {
      constexpr size_t S = (size_t)K / 4;
      for (size_t j = 0; j < nv; ++j) {
        uint64_t b;
        uint32_t lane;
        region_value_position(block0, 0, vi[j], K, b, lane);
        for (size_t t = 0; t < S; ++t) bl[S * j + t] = b + t;
      }
      nb = S * nv;
    } else {
      uint64_t prev = 0;  // the last block listed (when nb > 0)
      for (size_t j = 0; j < nv; ++j) {
        uint64_t b;
        uint32_t lane;
        region_value_position(block0, lane0, vi[j], K, b, lane);
        // branch-free: a value whose first block is the previous value's last shares it
        const size_t first = nb - (size_t)((nb != 0) & (prev == b));
        at[j] = (uint32_t)(4 * first + lane);
        for (size_t t = 0; t < kSpan; ++t) bl[first + t] = b + t;  // past the value's blocks: overwritten
        const size_t span = (lane + K + 3) / 4;
        nb = first + span;
        prev = b + span - 1;
      }
    }
    gen_blocks_at(buf, bl, nb, job.k0, job.k1, job.id);
    if (!dense)
      for (size_t j = 0; j < nv; ++j)
        for (int k = 0; k < K; ++k) w[K * j + k] = buf[at[j] + k];
    const uint32_t* const words = dense ? buf : w;
    if (streaming) {
      conv(tmp, nv, words, v0);
      stream_copy(out + v0, tmp, nv * sizeof(T));
    } else {
      conv(out + v0, nv, words, v0);
    }
  }
#if defined(__SSE2__) || defined(__AVX2__) || defined(__AVX512F__)
  if (streaming) _mm_sfence();
#endif
}

// float64 normals in two passes: the centre piece for every value (vectorized; no
// log, sqrt or tail polynomial), then the full function, vectorized again, over the
// ~15% of values in the tails, gathered into a dense list. normal_f64_centre_or_nan
// agrees with normal_f64 wherever it is not NaN, so the bits are those of one pass
// of normal_f64 (tests hold them equal).
static inline void normals_f64(double* __restrict o, size_t nv, const uint32_t* __restrict w) {
  constexpr size_t N = kChunkWords / 2;
  uint32_t idx[N], first[N], second[N];
  double tz[N];
  for (size_t j = 0; j < nv; ++j) o[j] = normal_f64_centre_or_nan(w[2 * j], w[2 * j + 1]);
  size_t m = 0;
  for (size_t j = 0; j < nv; ++j) {  // branch-free compaction of the NaN (tail) slots
    idx[m] = (uint32_t)j; first[m] = w[2 * j]; second[m] = w[2 * j + 1];
    m += o[j] != o[j];
  }
  for (size_t t = 0; t < m; ++t) tz[t] = normal_f64(first[t], second[t]);
  for (size_t t = 0; t < m; ++t) o[idx[t]] = tz[t];
}

// Values [i0, i1) of op OP with array parameters (job.params, FORMAT 23): each value's OpArgs
// from its element of the arrays (op_args_at's), then the table's value function in one pass, and
// the rejected first attempts finished from their retry streams (op_value_at), as the scalar loop
// does: the scalar draw's value of those parameters. A column not given reads the draw's own
// field with stride 0, so the first pass has no branch per field (it vectorizes where the value
// function does).
// (split: params_dispatch first, csrc/cpu/params_impl.h: the scalar path for runs of equal parameters,
// the per-op passes with per-element constants; it calls back here with split false for the other ops)
template <int OP>
static bool params_dispatch(const Job& job, size_t i0, size_t i1);
template <int OP>
static void run_op_params(const Job& job, size_t i0, size_t i1, bool split = true) {
  if (split && params_dispatch<OP>(job, i0, i1)) return;
  using Tr = OpTraits<OP>;
  constexpr int K = Tr::K;
  const OpArgs base = job.args;
  const OpParams& q = *job.params;
  const uint8_t base_affine = base.affine ? 1 : 0;
  const double* const A = q.a ? q.a : &base.a;
  const double* const B = q.b ? q.b : &base.b;
  const double* const C = q.c ? q.c : &base.c;
  const uint64_t* const I = q.ilow ? q.ilow : &base.ilow;
  const uint8_t* const F = q.affine ? q.affine : &base_affine;
  const uint64_t sa = q.a ? q.sa : 0, sb = q.b ? q.sb : 0, sc = q.c ? q.sc : 0, si = q.ilow ? q.si : 0,
                 sf = q.affine ? q.sf : 0;
  auto args_at = [&](uint64_t e) {
    OpArgs p = base;
    p.a = A[e * sa]; p.b = B[e * sb]; p.c = C[e * sc]; p.ilow = I[e * si]; p.affine = F[e * sf] != 0;
    return p;
  };
  with_store_type<OP>(base.elem_size, [&](auto store) {
    using S = decltype(store);
    fill<K, S>(job, i0, i1, [&](S* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      const uint64_t e0 = job.param0 + v0;
      for (size_t j = 0; j < nv; ++j) o[j] = (S)Tr::value(args_at(e0 + j), w + K * j);
      if constexpr (OpRetry<OP>::has) {
        for (size_t j = 0; j < nv; ++j)
          if (op_rejected(o[j]))
            o[j] = op_value_at<OP>(args_at(e0 + j), w + K * j, job.k0, job.k1, job.id,
                                   value_block<K>(job, v0 + j));
      }
    });
  });
}

// The values among o[0 .. nv) that `marked` picks, gathered densely (branch-free): their indices
// into idx, their k words each (from w) into dw; returns how many.
template <class S, class Marked>
static inline size_t gather_marked(const S* __restrict o, size_t nv, const uint32_t* __restrict w, int k,
                                   uint32_t* __restrict idx, uint32_t* __restrict dw, Marked marked) {
  size_t m = 0;
  for (size_t j = 0; j < nv; ++j) {
    idx[m] = (uint32_t)j;
    for (int i = 0; i < k; ++i) dw[(size_t)k * m + i] = w[(size_t)k * j + i];
    m += marked(o[j]) ? 1 : 0;
  }
  return m;
}

// The rejected first attempts among o[0 .. nv) (values v0 .. of the job), finished from their retry
// streams (FORMAT 19.1): what op_value_at gives for them, without computing the first attempt again.
template <int OP, class A, class S>
static inline void finish_rejected(const Job& job, const A& p, S* __restrict o, size_t nv,
                                   const uint32_t* __restrict w, size_t v0) {
  constexpr int K = OpTraits<OP>::K;
  for (size_t j = 0; j < nv; ++j)
    if (op_rejected(o[j]))
      o[j] = (S)OpRetry<OP>::value(p, w + K * j, retry_at(job.k0, job.k1, job.id,
                                                          value_block<K>(job, v0 + j)));
}

// The four words of block rblock + (idx[t] & P) of the retry stream (FORMAT 19.1) of value
// v0 + (idx[t] >> P), t < m, of the job (K words per value) into rw[4t .. 4t + 3] (P = 1: beta's
// entries, two per value, mt_values). Vectorized (the Philox blocks of different counters, lane by lane).
template <int K, int P = 0>
static inline void retry_block_words(const Job& job, size_t v0, const uint32_t* __restrict idx, size_t m,
                                     uint64_t rblock, uint32_t* __restrict rw) {
  size_t t = 0;
#ifndef PHILOX_NO_SIMD
  // L values per batch, two Philox calls lane by lane: fold's (each value's retry stream id, from
  // its block number: retry_id) and then the retry block's own. The last, partial batch repeats its
  // first value in the spare lanes and keeps only its own blocks. (Done one value at a time, the two
  // scalar calls cost about 4 ns per value of poisson(15), whose PTRS rejects ~15% first attempts.)
  for (; t < m; t += L) {
    const size_t nl = m - t < L ? m - t : L;
    alignas(64) uint32_t a0[L], a1[L], b0[L], b1[L], r0[L], r1[L], f[4 * L], blk[4 * L];
    for (size_t l = 0; l < L; ++l) {
      const uint32_t i = idx[t + (l < nl ? l : 0)];
      const uint64_t vb = value_block<K>(job, v0 + (i >> P)), rb = rblock + (i & P);
      a0[l] = (uint32_t)vb; a1[l] = (uint32_t)(vb >> 32);
      b0[l] = (uint32_t)rb; b1[l] = (uint32_t)(rb >> 32);
    }
    vreg x0[1], x1[1], x2[1], x3[1];
    x0[0] = vload(a0); x1[0] = vload(a1);
    x2[0] = vset1((uint32_t)job.id); x3[0] = vset1((uint32_t)(job.id >> 32));
    philox_simd<1>(f, x0, x1, x2, x3, PHILOX_FOLD_K0 + 2u, PHILOX_FOLD_K1);  // fold(id, vb, 2)
    for (size_t l = 0; l < L; ++l) { r0[l] = f[4 * l]; r1[l] = f[4 * l + 1]; }
    x0[0] = vload(b0); x1[0] = vload(b1); x2[0] = vload(r0); x3[0] = vload(r1);  // stream_counter(rb, rid)
    philox_simd<1>(blk, x0, x1, x2, x3, job.k0, job.k1);
    memcpy(rw + 4 * t, blk, 16 * nl);
  }
#endif
  for (; t < m; ++t) {
    const uint64_t rid = retry_id(job.id, value_block<K>(job, v0 + (idx[t] >> P)));
    uint32_t x0, x1, x2, x3;
    stream_counter(rblock + (idx[t] & P), rid, x0, x1, x2, x3);
    philox4x32_10(x0, x1, x2, x3, job.k0, job.k1);
    rw[4 * t] = x0; rw[4 * t + 1] = x1; rw[4 * t + 2] = x2; rw[4 * t + 3] = x3;
  }
}

// The first retry (FORMAT 19.1) of every rejected value among o[0 .. nv) (values v0 .. of the job),
// gathered densely: their indices into idx, and into rw the four words of block `rblock` (0 unless
// told: beta's Y retries from block 1) of each one's retry stream (keep_w3: with word 3 replaced by
// the value's own word 3, gamma's boost word); returns how many. Vectorized (the Philox blocks of
// different counters, lane by lane).
template <int OP, class S>
static inline size_t first_retry_words(const Job& job, const S* __restrict o, size_t nv, size_t v0,
                                       const uint32_t* __restrict w, uint32_t* __restrict idx,
                                       uint32_t* __restrict rw, bool keep_w3, uint64_t rblock = 0) {
  constexpr int K = OpTraits<OP>::K;
  static_assert(K >= 4, "at least four words per value");
  size_t m = 0;
  for (size_t j = 0; j < nv; ++j) {
    idx[m] = (uint32_t)j;
    m += op_rejected(o[j]) ? 1 : 0;
  }
  retry_block_words<K>(job, v0, idx, m, rblock, rw);
  if (keep_w3)
    for (size_t t = 0; t < m; ++t) rw[4 * t + 3] = w[K * idx[t] + 3];
  return m;
}

// log_factorial(x) without a branch: the table of its sums of logs below 10, Stirling's formula from
// 10, both computed and one selected in a vectorized pass (the same values as log_factorial for x >= 0;
// a second, scalar pass for the candidates below 10 cost 20-30 ns per value of poisson near lam = 10,
// where half of them are). x < 0 (a rejected PTRS candidate, whatever it gets) reads entry 0.
struct LogFactTable {
  double lf[10];
  LogFactTable() {
    for (int k = 0; k < 10; ++k) lf[k] = log_factorial(k);
  }
  __attribute__((always_inline)) double at(int64_t x) const {
    const int64_t small = -(int64_t)(x < 10);
    const int64_t x10 = x + ((10 - x) & small);              // max(x, 10): a mask (AVX2 has no int64 max)
    const int64_t xi = x & small & -(int64_t)(x >= 0);       // x in [0, 10), else 0
    const double st = log_factorial_stirling(x10), tb = lf[xi];
    return small ? tb : st;
  }
};

// poisson_ptrs_attempt(lam, w + 4j) for j < nv (k, or -1 when rejected), in passes: every candidate and
// its quick test (vectorized; ~85% accepted); the undecided ones gathered densely through the full
// test (vectorized, log(k!) from LogFactTable).
struct PtrsWork {
  PtrsConsts c;
  LogFactTable lft;
};
static inline void ptrs_attempts(const PtrsWork& pw, int64_t* __restrict o, size_t nv, const uint32_t* __restrict w) {
  const PtrsConsts& c = pw.c;
  for (size_t j = 0; j < nv; ++j) {
    const TrsCandidate t = poisson_ptrs_candidate(c, w[4 * j], w[4 * j + 1], w[4 * j + 2], w[4 * j + 3]);
    const int64_t quick = -(int64_t)poisson_ptrs_quick(c, t);  // masks, not a select: GCC vectorizes them
    o[j] = (t.k & quick) | (-2 & ~quick);                      // -2: undecided
  }
  uint32_t idx[kChunkWords / 4], dw[kChunkWords];
  int64_t r[kChunkWords / 4];
  const size_t m = gather_marked(o, nv, w, 4, idx, dw, [](int64_t v) { return v == -2; });
  for (size_t t = 0; t < m; ++t) {
    const TrsCandidate cand = poisson_ptrs_candidate(c, dw[4 * t], dw[4 * t + 1], dw[4 * t + 2], dw[4 * t + 3]);
    r[t] = poisson_ptrs_decide(c, cand, pw.lft.at(cand.k));
  }
  for (size_t t = 0; t < m; ++t) o[idx[t]] = r[t];
}

// binomial_btrs_decide for an in-range candidate, each log-factorial ratio as a difference of
// log_factorial's (the table, Stirling above 10) where its smaller argument is below 10, else by
// Stirling's ratio formula: both forms computed, then one selected (a conditional call stays scalar).
__attribute__((always_inline)) static inline int64_t btrs_decide_small(const BtrsConsts& c, const TrsCandidate& cand,
                                                                     const LogFactTable& lft) {
  const int64_t k = cand.k, nk = c.n - k, nm = c.n - c.m;  // all in [0, n]: the candidate is in range
  const int64_t lo1 = nm < nk ? nm : nk, lo2 = k < c.m ? k : c.m;
  const double d1 = lft.at(nm) - lft.at(nk), s1 = log_factorial_ratio_stirling(nm, k - c.m);
  const double d2 = lft.at(k) - lft.at(c.m), s2 = log_factorial_ratio_stirling(k, k - c.m);
  return binomial_btrs_decide(c, cand, lo1 < 10 ? d1 : s1, lo2 < 10 ? d2 : s2);
}

// binomial_btrs_attempt(n, q, w + 4j) for j < nv (k, or -1 when rejected), in passes as ptrs_attempts:
// the undecided ones with both log-factorial ratios by Stirling's formula (right when n - m, n - k,
// k, m >= 10), the others again in a vectorized pass of their own (btrs_decide_small).
static inline void btrs_attempts(const BtrsConsts& c, int64_t* __restrict o, size_t nv, const uint32_t* __restrict w) {
  for (size_t j = 0; j < nv; ++j) {
    const TrsCandidate t = binomial_btrs_candidate(c, w[4 * j], w[4 * j + 1], w[4 * j + 2], w[4 * j + 3]);
    // masks, not selects (GCC vectorizes them): the quick test as binomial_btrs_attempt_c's
    const int64_t in = -(int64_t)binomial_btrs_in_range(c, t);
    const int64_t quick = in & -(int64_t)(t.us >= 0.07) & -(int64_t)(t.V <= c.vr);
    o[j] = (t.k & quick) | ((-1 - (in & 1)) & ~quick);  // -2: undecided, -1: rejected (out of range)
  }
  uint32_t idx[kChunkWords / 4], dw[kChunkWords];
  int64_t r[kChunkWords / 4], ks[kChunkWords / 4];
  const size_t m = gather_marked(o, nv, w, 4, idx, dw, [](int64_t v) { return v == -2; });
  for (size_t t = 0; t < m; ++t) {
    const TrsCandidate cand = binomial_btrs_candidate(c, dw[4 * t], dw[4 * t + 1], dw[4 * t + 2], dw[4 * t + 3]);
    const int64_t k = cand.k;
    ks[t] = k;
    r[t] = binomial_btrs_decide(c, cand, log_factorial_ratio_stirling(c.n - c.m, k - c.m),
                                log_factorial_ratio_stirling(k, k - c.m));
  }
  // Where a ratio's smaller argument is below 10 (k < 10, n - k < 10, or m / n - m below 10)
  // log_factorial_ratio is a difference of log_factorial's (the table below 10, Stirling above):
  // those candidates again, gathered densely, both forms computed and one selected per ratio, in a
  // vectorized pass (they went one at a time in scalar code before: binomial(20, 0.5) 120 -> 101,
  // binomial(25, 0.4) 72 -> 63 ns per value; then with both forms of each ratio computed and one
  // selected, and the first retries' Philox blocks vectorized (retry_block_words), 81 -> 31 and
  // 51 -> 25 in the kernel alone).
  const bool small_nm = (c.n - c.m < 10) | (c.m < 10);
  uint32_t sl[kChunkWords / 4];
  size_t ns = 0;
  for (size_t t = 0; t < m; ++t) {
    o[idx[t]] = r[t];
    sl[ns] = (uint32_t)t;
    ns += small_nm | (ks[t] < 10) | (c.n - ks[t] < 10);
  }
  if (ns == 0) return;
  static const LogFactTable lft;
  alignas(64) uint32_t sw[4 * (kChunkWords / 4)];
  for (size_t i = 0; i < ns; ++i)
    for (int q = 0; q < 4; ++q) sw[4 * i + q] = dw[4 * sl[i] + q];
  for (size_t i = 0; i < ns; ++i)
    r[i] = btrs_decide_small(c, binomial_btrs_candidate(c, sw[4 * i], sw[4 * i + 1], sw[4 * i + 2], sw[4 * i + 3]), lft);
  for (size_t i = 0; i < ns; ++i) o[idx[sl[i]]] = r[i];
}

// ------------------------------------------------------------------ gamma family (FORMAT 19.2, 21)
// The CPU's passes for scalar-parameter gamma, float32 gamma, beta and standard_t: every value's
// Marsaglia-Tsang value g (retries included) in vectorized passes over the chunk (mt_values), then
// the op's own combination in one more (gamma_value, beta_combine, student_t_combine_z). The bits
// are those of the table's value function and OpRetry (tests hold them equal on every ISA).

// The indices j < nv with v[j] NaN, in order, into idx (room for nv + 8); returns how many. Eight
// values at a time, branch-free: their NaN mask, the mask's set-bit positions from a table (kNanLut),
// widened, offset by j and stored as one vector (no compress to memory: microcoded on Zen 4). A
// scalar loop of the same kind cost about a nanosecond per value; this one a small fraction of it.
struct NanLut {
  uint8_t pos[256][8];  // the set bits of the mask, lowest first (the rest 0)
  uint8_t count[256];
};
static constexpr NanLut make_nan_lut() {
  NanLut t{};
  for (unsigned k = 0; k < 256; ++k) {
    unsigned n = 0;
    for (unsigned i = 0; i < 8; ++i)
      if (k >> i & 1u) t.pos[k][n++] = (uint8_t)i;
    t.count[k] = (uint8_t)n;
  }
  return t;
}
alignas(64) static constexpr NanLut kNanLut = make_nan_lut();

static inline size_t nan_indices(const double* __restrict v, size_t nv, uint32_t* __restrict idx) {
  size_t m = 0, j = 0;
#if defined(__AVX512F__) || defined(__AVX2__)
  for (; j + 8 <= nv; j += 8) {
#if defined(__AVX512F__)
    const __m512d a = _mm512_loadu_pd(v + j);
    const unsigned k = (unsigned)_mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q);
#else
    const __m256d a = _mm256_loadu_pd(v + j), b = _mm256_loadu_pd(v + j + 4);
    const unsigned k = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(a, a, _CMP_UNORD_Q)) |
                       (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(b, b, _CMP_UNORD_Q)) << 4;
#endif
    const __m256i p = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)kNanLut.pos[k]));
    _mm256_storeu_si256((__m256i*)(idx + m), _mm256_add_epi32(p, _mm256_set1_epi32((int)j)));
    m += kNanLut.count[k];
  }
#elif defined(__SSE2__)
  for (; j + 8 <= nv; j += 8) {
    unsigned k = 0;
    for (int i = 0; i < 4; ++i) {
      const __m128d a = _mm_loadu_pd(v + j + 2 * i);
      k |= (unsigned)_mm_movemask_pd(_mm_cmpunord_pd(a, a)) << (2 * i);
    }
    const __m128i z = _mm_setzero_si128(), off = _mm_set1_epi32((int)j);
    const __m128i p16 = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)kNanLut.pos[k]), z);
    _mm_storeu_si128((__m128i*)(idx + m), _mm_add_epi32(_mm_unpacklo_epi16(p16, z), off));
    _mm_storeu_si128((__m128i*)(idx + m + 4), _mm_add_epi32(_mm_unpackhi_epi16(p16, z), off));
    m += kNanLut.count[k];
  }
#endif
  for (; j < nv; ++j) {
    idx[m] = (uint32_t)j;
    m += v[j] != v[j];
  }
  return m;
}

// A dense list's length m rounded up to a multiple of 16, the entries idx[m ..) set to 0 (any valid
// index): loops over the rounded length run as whole vectors only. GCC finishes a loop's last few
// elements in scalar code, which for these lists (a few dozen entries per chunk, log and sqrt
// per entry) cost about as much as the vector part; the padding's values are computed and dropped.
static inline size_t pad_list(uint32_t* __restrict idx, size_t m) {
  const size_t mp = (m + 15) & ~(size_t)15;
  for (size_t t = m; t < mp; ++t) idx[t] = 0;
  return mp;
}

// x[j] = normal_f64(w[S j], w[S j + 1]) for j < nv, given x[j] = normal_f64_centre_or_nan of the
// same words: the NaN (tail, ~15%) slots' words gathered densely and run through normal_f64's tail
// piece (what normal_f64 selects for them), vectorized.
template <int S>
static inline void finish_tail_normals(double* __restrict x, size_t nv, const uint32_t* __restrict w) {
  constexpr size_t N = kChunkWords / 4;  // nv <= N for every caller (four words or more per value)
  alignas(64) uint32_t idx[N + 16], first[N + 16], second[N + 16];
  alignas(64) double z[N + 16];
  const size_t m = nan_indices(x, nv, idx), mp = pad_list(idx, m);
  for (size_t t = 0; t < mp; ++t) {
    first[t] = w[S * idx[t]];
    second[t] = w[S * idx[t] + 1];
  }
  for (size_t t = 0; t < mp; ++t)  // normal_f64 of a tail value (q < -0.425): its tail piece only
    z[t] = normal_f64_sign(normal_f64_tail_piece(normal_f64_p(first[t], second[t])), second[t]);
  for (size_t t = 0; t < m; ++t) x[idx[t]] = z[t];
}

// g[j] = gamma_mt_attempt(D[j], C[j], w[S j], w[S j + 1], w[S j + 2]) for j < nv (NaN: rejected; D, C
// each entry's shape constants), in passes: the centre normals, the tail normals (finish_tail_normals),
// the squeeze for every value (no log; gamma_mt_squeeze_or_nan), then gamma_mt_from_normal for the
// values it does not accept (~2-5%, and every rejected one) gathered densely. The rejected values'
// indices go to rej (the count is returned), read off that short list, not found by another pass.
template <int S>
static inline size_t mt_attempts(const double* __restrict D, const double* __restrict C, double* __restrict g,
                                 size_t nv, const uint32_t* __restrict w, uint32_t* __restrict rej) {
  constexpr size_t N = kChunkWords / 4;
  alignas(64) double x[N], xs[N + 16], ds[N + 16], cs[N + 16], r[N + 16];
  alignas(64) uint32_t idx[N + 16], us[N + 16];
  for (size_t j = 0; j < nv; ++j) x[j] = normal_f64_centre_or_nan(w[S * j], w[S * j + 1]);
  finish_tail_normals<S>(x, nv, w);
  for (size_t j = 0; j < nv; ++j) g[j] = gamma_mt_squeeze_or_nan(D[j], C[j], x[j], w[S * j + 2]);
  const size_t m = nan_indices(g, nv, idx), mp = pad_list(idx, m);
  for (size_t t = 0; t < mp; ++t) {
    xs[t] = x[idx[t]];
    us[t] = w[S * idx[t] + 2];
    ds[t] = D[idx[t]];
    cs[t] = C[idx[t]];
  }
  for (size_t t = 0; t < mp; ++t) r[t] = gamma_mt_from_normal(ds[t], cs[t], xs[t], us[t]);
  size_t k = 0;
  for (size_t t = 0; t < m; ++t) {
    g[idx[t]] = r[t];
    rej[k] = idx[t];
    k += r[t] != r[t];
  }
  return k;
}

// The Marsaglia-Tsang values of the ne entries of a chunk of op OP (K words per value), each from
// four words at w[S e] (the chunk's own words, or standard_t's copy) with shape constants D[e], C[e]:
// entry e belongs to value v0 + (e >> P) of the job, and its rejected first attempt is finished from
// that value's retry stream, attempt t from block b0 + (e & P) + t * step (gamma_mt_retry's schedule).
// P = 0: one entry per value (gamma, standard_t: blocks 0, 1, ..). P = 1: beta's two entries per
// value, X (words 0-3) then Y (words 4-7), in one set of passes: X's retries from the even blocks,
// Y's from the odd ones (FORMAT 21.2). The first retries run mt_attempts' passes over their dense
// list (retry_block_words), the values rejected twice one at a time.
template <int OP, int S, int P = 0>
static inline void mt_values(const Job& job, size_t v0, const double* __restrict D, const double* __restrict C,
                             uint64_t b0, uint64_t step, double* __restrict g, size_t ne,
                             const uint32_t* __restrict w) {
  constexpr int K = OpTraits<OP>::K;
  constexpr size_t N = kChunkWords / 4;
  alignas(64) uint32_t rej[N + 16], rej2[N + 16], rw[4 * (N + 16)];
  alignas(64) double r[N + 16], rd[N + 16], rc[N + 16];
  const size_t m = mt_attempts<S>(D, C, g, ne, w, rej);
  // the list padded to whole vectors (mt_attempts' loops then have no scalar remainder); the
  // padding's attempts are computed and dropped
  const size_t mp = pad_list(rej, m);
  retry_block_words<K, P>(job, v0, rej, mp, b0, rw);
  for (size_t t = 0; t < mp; ++t) {
    rd[t] = D[rej[t]];
    rc[t] = C[rej[t]];
  }
  const size_t m2 = mt_attempts<4>(rd, rc, r, mp, rw, rej2);
  for (size_t t = 0; t < m; ++t) g[rej[t]] = r[t];
  for (size_t t = 0; t < m2 && rej2[t] < m; ++t) {
    const size_t e = rej[rej2[t]];
    const RetryAt at = retry_at(job.k0, job.k1, job.id, value_block<K>(job, v0 + (e >> P)));
    g[e] = gamma_mt_retry(D[e], C[e], at, b0 + (e & P) + step, step);
  }
}

// Inversion by counting (poisson and binomial below 10, the same bits as poisson_search): s is
// nondecreasing with s[255] = inf, so the least k with u <= s[k] is the number of k < 255 with
// s[k] < u. From the index m where the sums stop changing (s[m] = ... = s[254]: the terms fell below
// half an ulp of the sum, or binomial's cap) those 255 - m entries are one test, so a value costs
// m + 1 comparisons, vectorized over values, instead of the binary search's 8 dependent loads
// (measured in L1, EPYC Zen 5, ns per value: AVX-512 5.9 -> 1.0 for poisson(0.01) (m = 6), -> 3.0 for
// poisson(9.99) (m = 46); AVX2 5.8 -> 1.5 .. 3.5; SSE2, without 64-bit compares, 8.5 -> 2.7 at m = 6
// but slower than the search from m ~ 30). Tables with m above kCountMax keep the search.
static inline size_t inversion_flat_from(const double* s) {
  size_t m = 254;
  while (m > 0 && s[m - 1] == s[254]) --m;
  return m;
}
#if defined(__AVX512F__) || defined(__AVX2__)
constexpr size_t kCountMax = 64;
#else
constexpr size_t kCountMax = 24;
#endif

// o[j] = poisson_search(s, w[K j], w[K j + 1]) for j < nv (nv <= kChunkWords / K), by counting.
template <int K>
static inline void inversion_counts(const double* __restrict s, size_t m, int64_t* __restrict o, size_t nv,
                                    const uint32_t* __restrict w) {
  constexpr size_t B = 16;  // values per block: their counts stay in registers over the table
  alignas(64) double u[kChunkWords / K + B];
  for (size_t j = 0; j < nv; ++j) u[j] = u01_open_f64(w[K * j], w[K * j + 1]);
  for (size_t j = nv; j < nv + B; ++j) u[j] = 0.5;  // the last block's padding: computed, dropped
  const double sm = s[m];
  const int64_t tail = (int64_t)(255 - m);
  for (size_t j0 = 0; j0 < nv; j0 += B) {
    int64_t c[B];
    for (size_t i = 0; i < B; ++i) c[i] = tail & -(int64_t)(sm < u[j0 + i]);
    for (size_t k = 0; k < m; ++k) {
      const double sk = s[k];
      for (size_t i = 0; i < B; ++i) c[i] += (int64_t)(sk < u[j0 + i]);
    }
    const size_t nb = nv - j0 < B ? nv - j0 : B;
    for (size_t i = 0; i < nb; ++i) o[j0 + i] = c[i];
  }
}

// Values [i0, i1) of op OP: one loop over the table's value function (csrc/ops.h),
// storing each value as the op's store type (integer ops: truncated to elem_size).
// The loop-invariant choice inside the value functions (affine or not) is made a constant
// (OpArgsFixed), so each variant compiles to its own vectorized loop.
template <int OP>
static void run_op(const Job& job, size_t i0, size_t i1) {
  using Tr = OpTraits<OP>;
  constexpr int K = Tr::K;
  if (job.params) {  // array parameters: one OpArgs per value (the scalar loops below stay as they are)
    run_op_params<OP>(job, i0, i1);
    return;
  }
  const OpArgs p = job.args;
  if constexpr (OP == (int)Op::NormalF64) {
    // a CPU-only shortcut: float64 normals in two passes (normals_f64), the same bits
    fill<K, double>(job, i0, i1, [=](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
      normals_f64(o, nv, w);
      if (p.affine)
        for (size_t j = 0; j < nv; ++j) o[j] = normal_affine(o[j], p.a, p.b);
    });
  } else if constexpr (OP == (int)Op::ExponentialF64) {
    // a CPU-only shortcut: -log(u) with log_f64's three pieces each in a loop of its own over the
    // chunk (one loop was bound by the length of its dependency chain: 0.95 -> 0.69 ns per value
    // in L1 with AVX-512), then the scale; the same operations, so the same bits
    fill<K, double>(job, i0, i1, [=](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
      alignas(64) double s[kChunkWords / 2];
      alignas(64) int32_t e[kChunkWords / 2];
      for (size_t j = 0; j < nv; ++j) s[j] = log_f64_s(u_open_f64(w[2 * j], w[2 * j + 1]), e[j]);
      for (size_t j = 0; j < nv; ++j) o[j] = log_f64_series(s[j]);
      for (size_t j = 0; j < nv; ++j) o[j] = -log_f64_sum(s[j], o[j], e[j]);
      if (p.affine)
        for (size_t j = 0; j < nv; ++j) o[j] = p.a * o[j];
    });
  } else if constexpr (OP == (int)Op::LognormalF64) {
    // a CPU-only shortcut: the float64 normals in normals_f64's two passes, then exp_f64(mean +
    // sigma z) in a loop of its own (in one loop with normal_f64's tail branch the exp did not
    // vectorize); op_lognormal_f64's operations, so the same bits
    fill<K, double>(job, i0, i1, [=](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
      normals_f64(o, nv, w);
      for (size_t j = 0; j < nv; ++j) o[j] = lognormal_f64(p.a, p.b, o[j]);
    });
  } else if constexpr (OP == (int)Op::StandardCauchyF64) {
    // a CPU-only shortcut: a value's four words are two normal_f64 pairs (numerator, denominator),
    // so normals_f64 over the chunk's 2 nv pairs gives both, then one vectorized division;
    // standard_cauchy_f64's operations, so the same bits
    fill<K, double>(job, i0, i1, [=](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
      alignas(64) double z[kChunkWords / 2];
      normals_f64(z, 2 * nv, w);
      for (size_t j = 0; j < nv; ++j) o[j] = z[2 * j] / z[2 * j + 1];
    });
  } else if constexpr (Tr::rounds >= 0) {
    // a 16-bit op that rounds a float32 op's value: the float32 values, then the rounding, in two
    // vectorized passes (one fused loop was measured up to 1.4x slower with AVX2); the same bits
    using F32 = OpTraits<Tr::rounds>;
    constexpr bool bf16 = kOps[OP].dtypes[0] == 'b';  // "bfloat16", else "float16"
    auto loop = [&](const auto q) {
      fill<K, uint16_t>(job, i0, i1, [=](uint16_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
        float z[kChunkWords];
        for (size_t j = 0; j < nv; ++j) z[j] = F32::value(q, w + K * j);
        if (bf16)
          for (size_t j = 0; j < nv; ++j) o[j] = f32_to_bf16_bits(z[j]);
        else
          for (size_t j = 0; j < nv; ++j) o[j] = f32_to_f16_bits(z[j]);
      });
    };
    if (p.affine) loop(OpArgsFixed<true>(p));
    else loop(OpArgsFixed<false>(p));
  } else {
    if constexpr (OP == (int)Op::PoissonI64) {
      if (p.a < 10.0) {
        // CPU-only shortcut for poisson's inversion (lam < 10), the same bits: the running
        // sums once per range, then a search per value (poisson_sums / poisson_search)
        double sums[256];
        poisson_sums(p.a, sums);
        const size_t m = inversion_flat_from(sums);
        fill<K, int64_t>(job, i0, i1, [&](int64_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
          if (m <= kCountMax) {
            inversion_counts<K>(sums, m, o, nv, w);
          } else {
            for (size_t j = 0; j < nv; ++j) o[j] = poisson_search(sums, w[K * j], w[K * j + 1]);
          }
        });
        return;
      }
      // PTRS (lam >= 10), the same bits as poisson_first + poisson_retry: the draw's constants
      // once, every first attempt (ptrs_attempts), the first retry of the rejected ones (~15%)
      // the same way, and only the values rejected twice one at a time.
      PtrsWork c;
      c.c = poisson_ptrs_consts(p.a);
      fill<K, int64_t>(job, i0, i1, [&](int64_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
        ptrs_attempts(c, o, nv, w);
        uint32_t idx[kChunkWords / 4], rw[kChunkWords];
        int64_t r[kChunkWords / 4];
        const size_t m = first_retry_words<OP>(job, o, nv, v0, w, idx, rw, false);
        ptrs_attempts(c, r, m, rw);
        for (size_t t = 0; t < m; ++t) o[idx[t]] = r[t];
        finish_rejected<OP>(job, p, o, nv, w, v0);
      });
      return;
    }
    if constexpr (OP == (int)Op::BinomialI64) {
      const int64_t n = (int64_t)p.ilow;
      const double q = binomial_q(p.a);
      if ((double)n * q < 10.0) {  // the inversion, as for poisson: sums once, a search per value
        double sums[256];
        binomial_sums(n, q, sums);
        const bool flip = p.a > 0.5;
        const size_t m = inversion_flat_from(sums);
        fill<K, int64_t>(job, i0, i1, [&](int64_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t) {
          if (m <= kCountMax) {
            inversion_counts<K>(sums, m, o, nv, w);
            if (flip)
              for (size_t j = 0; j < nv; ++j) o[j] = n - o[j];
          } else {
            for (size_t j = 0; j < nv; ++j) {
              const int64_t x = poisson_search(sums, w[K * j], w[K * j + 1]);
              o[j] = flip ? n - x : x;
            }
          }
        });
        return;
      }
      // BTRS, as PTRS above (btrs_attempts, with up to three retry rounds), then the flip (p > 1/2)
      // of the values found; the values still rejected one at a time (binomial_retry flips them).
      const BtrsConsts c = binomial_btrs_consts(n, q);
      const bool flip = p.a > 0.5;
      fill<K, int64_t>(job, i0, i1, [&](int64_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
        btrs_attempts(c, o, nv, w);
        uint32_t idx[kChunkWords / 4], rw[kChunkWords];
        int64_t r[kChunkWords / 4];
        // retry blocks 0, 1, 2 of the still rejected values in passes: at small n q BTRS rejects
        // ~29% of first attempts (n = 20, p = 1/2), so ~8% twice. A value left rejected is finished
        // by binomial_retry from block 0 (blocks 0 .. 2 reject it again: the same value).
        for (uint64_t rb = 0; rb < 3; ++rb) {
          const size_t m = first_retry_words<OP>(job, o, nv, v0, w, idx, rw, false, rb);
          if (m == 0) break;
          btrs_attempts(c, r, m, rw);
          for (size_t t = 0; t < m; ++t) o[idx[t]] = r[t];
        }
        if (flip)
          for (size_t j = 0; j < nv; ++j) o[j] = o[j] < 0 ? o[j] : n - o[j];
        finish_rejected<OP>(job, p, o, nv, w, v0);
      });
      return;
    }
    if constexpr (OP == (int)Op::GammaF64 || OP == (int)Op::GammaF32) {
      // gamma (float32: gamma_f64's value rounded, FORMAT 21.1; the same words, K = 4 for both), the
      // same bits as gamma_first + gamma_retry: every value's Marsaglia-Tsang value (mt_values, retries
      // from blocks 0, 1, ..), then the boost (word 3, a < 1 only) and the scale (gamma_value)
      static_assert(OpTraits<(int)Op::GammaF64>::K == K, "gamma_f32 reads gamma_f64's words");
      using T = typename Tr::T;
      constexpr size_t N = kChunkWords / K;
      alignas(64) double dd[N], cc[N];
      for (size_t e = 0; e < N; ++e) { dd[e] = gamma_d(p.a); cc[e] = p.c; }
      auto loop = [&](const auto a) {
        fill<K, T>(job, i0, i1, [=, &job, &dd, &cc](T* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
          alignas(64) double g[N];
          mt_values<OP, K>(job, v0, dd, cc, 0, 1, g, nv, w);
          for (size_t j = 0; j < nv; ++j) o[j] = (T)gamma_value(a.affine, a.a, a.b, g[j], w[K * j + 3]);
        });
      };
      if (p.affine) loop(OpArgsFixed<true>(p));
      else loop(OpArgsFixed<false>(p));
      return;
    }
    if constexpr (OP == (int)Op::BetaF64) {
      // beta, the same bits as beta_first + beta_retry: gx (shape a, words 0-3; retries from the even
      // blocks of the retry stream) and gy (shape b, words 4-7; the odd blocks, FORMAT 21.2) as the
      // two entries of each value in one set of mt_values passes over the chunk's words as groups of
      // four, then beta_combine in a vectorized pass (in logs when a or b < 1).
      constexpr size_t N = 2 * (kChunkWords / K);
      alignas(64) double dd[N], cc[N];
      for (size_t e = 0; e < N; e += 2) {
        dd[e] = gamma_d(p.a); cc[e] = p.c;
        dd[e + 1] = gamma_d(p.b); cc[e + 1] = bits_f64(p.ilow);
      }
      auto loop = [&](const auto q) {
        fill<K, double>(job, i0, i1, [=, &job, &dd, &cc](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
          alignas(64) double g[N];  // g[2j]: gx of value j, g[2j + 1]: gy
          mt_values<OP, 4, 1>(job, v0, dd, cc, 0, 2, g, 2 * nv, w);
          for (size_t j = 0; j < nv; ++j)
            o[j] = beta_combine(q.affine, q.a, q.b, g[2 * j], g[2 * j + 1], w[K * j + 3], w[K * j + 7]);
        });
      };
      if (p.affine) loop(OpArgsFixed<true>(p));
      else loop(OpArgsFixed<false>(p));
      return;
    }
    if constexpr (OP == (int)Op::StandardTF64) {
      // standard_t, the same bits as student_t_first + student_t_retry: g (shape h, words 0-3; retries
      // from blocks 0, 1, .. as 19.2) by mt_values, Z = normal_f64(words 4, 5) in normals' two passes,
      // then student_t_combine_z with the boost (word 3) in a vectorized pass. Groups of K = 6 words
      // do not vectorize (GCC), so words 0-3 and 4-5 are copied to groups of 4 and 2 first.
      constexpr size_t N = kChunkWords / K + 1;
      alignas(64) double dd[N], cc[N];
      for (size_t e = 0; e < N; ++e) { dd[e] = gamma_d(p.a); cc[e] = p.c; }
      auto loop = [&](const auto q) {
        fill<K, double>(job, i0, i1, [=, &job, &dd, &cc](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
          alignas(64) uint32_t gw[4 * N], zw[2 * N];
          for (size_t j = 0; j < nv; ++j) {
            for (int k = 0; k < 4; ++k) gw[4 * j + k] = w[K * j + k];
            for (int k = 0; k < 2; ++k) zw[2 * j + k] = w[K * j + 4 + k];
          }
          alignas(64) double g[N], z[N];
          mt_values<OP, 4>(job, v0, dd, cc, 0, 1, g, nv, gw);
          for (size_t j = 0; j < nv; ++j) z[j] = normal_f64_centre_or_nan(zw[2 * j], zw[2 * j + 1]);
          finish_tail_normals<2>(z, nv, zw);
          for (size_t j = 0; j < nv; ++j) o[j] = student_t_combine_z(q.affine, q.a, g[j], gw[4 * j + 3], z[j]);
        });
      };
      if (p.affine) loop(OpArgsFixed<true>(p));
      else loop(OpArgsFixed<false>(p));
      return;
    }
    auto loop = [&](const auto q) {  // q: OpArgsFixed<affine>, so `affine` is a constant in the loop
      with_store_type<OP>(p.elem_size, [&](auto store) {
        using S = decltype(store);
        fill<K, S>(job, i0, i1, [=, &job](S* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
          if constexpr ((K & (K - 1)) != 0) {
            // K not a power of two (standard_t: 6): the vectorizer cannot de-interleave groups of K
            // words, so the words go to K unit-stride rows first; the same value function, the same bits
            alignas(64) uint32_t rows[K][kChunkWords / K];
            for (size_t j = 0; j < nv; ++j)
              for (int k = 0; k < K; ++k) rows[k][j] = w[K * j + k];
            for (size_t j = 0; j < nv; ++j) {
              uint32_t v[K];
              for (int k = 0; k < K; ++k) v[k] = rows[k][j];
              o[j] = (S)Tr::value(q, v);
            }
          } else {
            for (size_t j = 0; j < nv; ++j) o[j] = (S)Tr::value(q, w + K * j);
          }
          if constexpr (OpRetry<OP>::has) {
            // rejection samplers (FORMAT 19.1): the value function in one vectorized pass (above), then
            // the few rejected first attempts, finished from their retry streams (op_value_at)
            for (size_t j = 0; j < nv; ++j)
              if (op_rejected(o[j]))
                o[j] = op_value_at<OP>(q, w + K * j, job.k0, job.k1, job.id,
                                       value_block<K>(job, v0 + j));
          }
        });
      });
    };
    if (p.affine) loop(OpArgsFixed<true>(p));
    else loop(OpArgsFixed<false>(p));
  }
}

// Every op of the table has its case (generated): an op without one does not compile.
static void run_range(const Job& job, size_t i0, size_t i1) {
  with_op((int)job.op, [&](auto op) { run_op<decltype(op)::value>(job, i0, i1); });
}

// Array parameters in passes (run_op_params's params_dispatch).
#include "params_impl.h"

}  // namespace PHILOX_ISA
}  // namespace cpu
}  // namespace philox
