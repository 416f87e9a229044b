// params_impl.h -- array-parameter draws (docs/FORMAT.md 23) in vectorized passes, the same bits as
// run_op_params's generic loop (element e: the op's value function of op_args_at(e), finished from
// its retry stream), which is the scalar draw of element e's parameters at its position.
//
// Included by kernels_impl.h inside namespace philox::cpu::PHILOX_ISA, after the scalar passes'
// helpers (gather_marked, first_retry_words, ...). run_op_params asks params_dispatch first:
//   * every given column with stride 0 in the job: one OpArgs for all, the scalar path (run_op);
//   * runs of at least kParamRun equal parameter sets (np.full, a row's parameter broadcast along a
//     long row) go through the scalar path with that run's OpArgs (its per-draw constants once);
//   * the rest, per op: poisson, binomial, gamma (float64, float32), beta and standard_t in passes with
//     per-element constants in L1 columns (below); any other op through the generic loop.
// A job-relative index j stays what it is everywhere: element job.param0 + j, value j of the job
// (its words from fill, its retry stream from value_block<K>(job, j)).

// The job's parameter columns: a field not given reads the draw's own (stride 0).
struct ParamCols {
  const double *A, *B, *C;
  const uint64_t* I;
  const uint8_t* F;  // null: base.affine
  uint64_t sa, sb, sc, si, sf;
  OpArgs base;
  explicit ParamCols(const Job& job) : base(job.args) {
    const OpParams& q = *job.params;
    A = q.a ? q.a : &base.a; sa = q.a ? q.sa : 0;
    B = q.b ? q.b : &base.b; sb = q.b ? q.sb : 0;
    C = q.c ? q.c : &base.c; sc = q.c ? q.sc : 0;
    I = q.ilow ? q.ilow : &base.ilow; si = q.ilow ? q.si : 0;
    F = q.affine; sf = q.affine ? q.sf : 0;
  }
  ParamCols(const ParamCols&) = delete;  // A .. I may point into base
  double a(uint64_t e) const { return A[e * sa]; }
  double b(uint64_t e) const { return B[e * sb]; }
  double c(uint64_t e) const { return C[e * sc]; }
  uint64_t ilow(uint64_t e) const { return I[e * si]; }
  uint8_t affine(uint64_t e) const { return F ? F[e * sf] : (uint8_t)(base.affine ? 1 : 0); }
  OpArgs at(uint64_t e) const {  // op_args_at's OpArgs
    OpArgs p = base;
    p.a = a(e); p.b = b(e); p.c = c(e); p.ilow = ilow(e); p.affine = affine(e) != 0;
    return p;
  }
  bool constant() const { return (sa | sb | sc | si | sf) == 0; }
  // The bits of element e's parameter set differ from element f's (0: the same OpArgs).
  uint64_t differs(uint64_t e, uint64_t f) const {
    return (f64_bits(a(e)) ^ f64_bits(a(f))) | (f64_bits(b(e)) ^ f64_bits(b(f))) |
           (f64_bits(c(e)) ^ f64_bits(c(f))) | (ilow(e) ^ ilow(f)) | (uint64_t)(affine(e) ^ affine(f));
  }
};

// Values [i0, i1) of the job through the scalar path with element e's OpArgs (all of them equal).
template <int OP>
static void params_scalar(const Job& job, const ParamCols& q, uint64_t e, size_t i0, size_t i1) {
  Job s = job;
  s.params = nullptr;
  s.args = q.at(e);
  run_op<OP>(s, i0, i1);
}

// Ops whose scalar path has per-draw constants or passes of its own: runs of equal parameters go there.
template <int OP>
constexpr bool params_runs_pay() {
  return OP == (int)Op::PoissonI64 || OP == (int)Op::BinomialI64 || OP == (int)Op::GammaF64 ||
         OP == (int)Op::GammaF32 || OP == (int)Op::BetaF64 || OP == (int)Op::StandardTF64 ||
         OP == (int)Op::NormalF64 || OP == (int)Op::ExponentialF64 || OpTraits<OP>::rounds >= 0;
}
// The shortest run that takes the scalar path (poisson's and binomial's inversion tables take
// ~255 steps to build), a multiple of the block the scan tests at once.
constexpr size_t kParamBlock = 64;
constexpr size_t kParamRun = 2 * kParamBlock;

template <int OP>
static void params_loop(const Job& job, const ParamCols& q, size_t i0, size_t i1);

// run_op_params's first step: true when it filled [i0, i1) itself.
template <int OP>
static bool params_dispatch(const Job& job, size_t i0, size_t i1) {
  const ParamCols q(job);
  if (q.constant()) {
    params_scalar<OP>(job, q, job.param0, i0, i1);
    return true;
  }
  if constexpr (!params_runs_pay<OP>()) {
    params_loop<OP>(job, q, i0, i1);
  } else {
    // A run of kParamRun equal sets holds a whole block of kParamBlock (aligned to i0): blocks whose
    // elements all equal their first (one vectorized test each) start the search for a run, which
    // then extends element by element backwards and block by block forwards.
    const uint64_t p0 = job.param0;
    size_t pend = i0;  // [pend, j): not yet filled, no long run
    size_t j = i0;
    while (j + kParamBlock <= i1) {
      // parameters that vary show it at once (two tests), the full test only for blocks that may be flat
      uint64_t d = q.differs(p0 + j, p0 + j + 1) | q.differs(p0 + j, p0 + j + kParamBlock - 1);
      if (!d)
        for (size_t t = 1; t < kParamBlock; ++t) d |= q.differs(p0 + j, p0 + j + t);
      if (d) { j += kParamBlock; continue; }
      size_t lo = j, hi = j + kParamBlock;
      while (lo > pend && !q.differs(p0 + j, p0 + lo - 1)) --lo;
      for (;;) {
        const size_t nb = i1 - hi < kParamBlock ? i1 - hi : kParamBlock;
        uint64_t dd = 0;
        for (size_t t = 0; t < nb; ++t) dd |= q.differs(p0 + j, p0 + hi + t);
        if (dd || nb < kParamBlock) {
          while (hi < i1 && !q.differs(p0 + j, p0 + hi)) ++hi;
          break;
        }
        hi += nb;
      }
      if (hi - lo >= kParamRun) {
        if (pend < lo) params_loop<OP>(job, q, pend, lo);
        params_scalar<OP>(job, q, p0 + lo, lo, hi);
        pend = hi;
      }
      j = hi > j + kParamBlock ? hi : j + kParamBlock;
    }
    if (pend < i1) params_loop<OP>(job, q, pend, i1);
  }
  return true;
}

// ---------------------------------------------------------------- inversion (FORMAT 19.3, 19.4)
// poisson_inversion / binomial_inversion for a list of values, G at a time in lock step: step k
// updates exactly the lanes whose own loop makes step k (u > s, k below the cap), with their own
// operations, so each lane gives its scalar loop's bits; a group stops when none is left. Four
// vectors of doubles per group hide the latency of the step's division chain; the list comes
// ordered by the floor of the mean (inversion_order), so a group's lanes take similar step counts.
constexpr size_t kInvGroup = 2 * L > 8 ? 2 * L : 8;

// The indices j < nv with mean[j] < 10 (mean >= 0: lam, n q), ordered by floor(mean[j]) (a counting
// sort, stable); returns how many. Every index is placed (those with mean >= 10 after them, in the
// bucket 10), so the scatter has no branch: a test of mean < 10 there mispredicted on mixed chunks
// (poisson(lam uniform in [0, 20]): ~2 ns per value, a fifth of the kernel's time).
static inline size_t inversion_order(const double* __restrict mean, size_t nv, uint32_t* __restrict ii) {
  uint32_t b[kChunkWords / 4];
  size_t off[11] = {0};
  for (size_t j = 0; j < nv; ++j) b[j] = mean[j] < 10.0 ? (uint32_t)mean[j] : 10u;
  for (size_t j = 0; j < nv; ++j) ++off[b[j]];
  size_t at = 0;
  for (int k = 0; k < 11; ++k) {
    const size_t c = off[k];
    off[k] = at;
    at += c;
  }
  for (size_t j = 0; j < nv; ++j) ii[off[b[j]]++] = (uint32_t)j;
  return off[9];
}

// poisson: lam[t] < 10, words of value t at w + 4 * wi[t]; o[oi[t]] = k.
static inline void poisson_inversion_list(const double* __restrict lam, const uint32_t* __restrict w,
                                          const uint32_t* __restrict wi, size_t m, int64_t* __restrict o) {
  constexpr size_t N = kChunkWords / 4;
  alignas(64) double U[N], P[N];
  for (size_t t = 0; t < m; ++t) U[t] = u01_open_f64(w[4 * wi[t]], w[4 * wi[t] + 1]);
  for (size_t t = 0; t < m; ++t) P[t] = exp_f64(-lam[t]);
  for (size_t g = 0; g < m; g += kInvGroup) {
    const size_t gn = m - g < kInvGroup ? m - g : kInvGroup;
    double u[kInvGroup], p[kInvGroup], s[kInvGroup], lm[kInvGroup], k[kInvGroup];  // k: exact in a double
    for (size_t l = 0; l < kInvGroup; ++l) {
      const size_t t = g + (l < gn ? l : 0);  // a short group repeats its first lane
      u[l] = U[t]; p[l] = P[t]; s[l] = P[t]; lm[l] = lam[t]; k[l] = 0.0;
    }
    for (int step = 1; step <= 255; ++step) {  // double selects only: one vector op each
      const double ds = (double)step;
      int any = 0;
      for (size_t l = 0; l < kInvGroup; ++l) {
        const bool act = u[l] > s[l];
        const double pn = (p[l] * lm[l]) / ds;
        p[l] = act ? pn : p[l];
        s[l] = act ? s[l] + pn : s[l];
        k[l] = act ? ds : k[l];
        any |= act;
      }
      if (!any) break;
    }
    for (size_t l = 0; l < gn; ++l) o[wi[g + l]] = (int64_t)k[l];
  }
}

// binomial: the inversion's X (before the flip) for n[t] q[t] < 10.
static inline void binomial_inversion_list(const int64_t* __restrict nn, const double* __restrict qq,
                                           const uint32_t* __restrict w, const uint32_t* __restrict wi, size_t m,
                                           int64_t* __restrict o) {
  constexpr size_t N = kChunkWords / 4;
  alignas(64) double U[N], P[N], R[N];
  for (size_t t = 0; t < m; ++t) U[t] = u01_open_f64(w[4 * wi[t]], w[4 * wi[t] + 1]);
  for (size_t t = 0; t < m; ++t) R[t] = qq[t] / (1.0 - qq[t]);
  for (size_t t = 0; t < m; ++t) P[t] = exp_f64((double)nn[t] * log1p_f64(-qq[t]));
  for (size_t g = 0; g < m; g += kInvGroup) {
    const size_t gn = m - g < kInvGroup ? m - g : kInvGroup;
    double u[kInvGroup], p[kInvGroup], s[kInvGroup], r[kInvGroup], k[kInvGroup], cap[kInvGroup];
    int64_t n[kInvGroup];
    for (size_t l = 0; l < kInvGroup; ++l) {
      const size_t t = g + (l < gn ? l : 0);
      u[l] = U[t]; p[l] = P[t]; s[l] = P[t]; r[l] = R[t]; n[l] = nn[t]; k[l] = 0.0;
      cap[l] = (double)(nn[t] < 255 ? nn[t] : 255);
    }
    for (int step = 1; step <= 255; ++step) {
      const double ds = (double)step;
      int any = 0;
      for (size_t l = 0; l < kInvGroup; ++l) {
        const bool act = (u[l] > s[l]) & (ds <= cap[l]);
        const double pn = ((p[l] * r[l]) * (double)(n[l] - step + 1)) / ds;
        p[l] = act ? pn : p[l];
        s[l] = act ? s[l] + pn : s[l];
        k[l] = act ? ds : k[l];
        any |= act;
      }
      if (!any) break;
    }
    for (size_t l = 0; l < gn; ++l) o[wi[g + l]] = (int64_t)k[l];
  }
}

// The values j < nv with mean[j] >= 10 (PTRS, BTRS), densely: j = pj[t], pos[j] = t, their four words
// at pw + 4t; returns how many.
static inline size_t dense_list(const double* __restrict mean, size_t nv, uint32_t* __restrict pj,
                                uint32_t* __restrict pos, uint32_t* __restrict pw, const uint32_t* __restrict w) {
  size_t m = 0;
  for (size_t j = 0; j < nv; ++j) {
    pj[m] = (uint32_t)j;
    m += mean[j] >= 10.0 ? 1 : 0;
  }
  for (size_t t = 0; t < m; ++t) {
    pos[pj[t]] = (uint32_t)t;
    for (int k = 0; k < 4; ++k) pw[4 * t + k] = w[4 * pj[t] + k];
  }
  return m;
}

// ---------------------------------------------------------------- PTRS, BTRS with per-element constants
// The constants of each value in columns (structure of arrays), so the passes vectorize as
// ptrs_attempts / btrs_attempts do with one draw's constants.
constexpr size_t kPV = kChunkWords / 4;  // values per chunk of the four-word ops

struct PtrsCols {
  double lam[kPV], loglam[kPV], b[kPV], a[kPV], invalpha[kPV], vr[kPV], log_invalpha[kPV];
  void set(size_t t, const PtrsConsts& c) {
    lam[t] = c.lam; loglam[t] = c.loglam; b[t] = c.b; a[t] = c.a; invalpha[t] = c.invalpha; vr[t] = c.vr;
    log_invalpha[t] = c.log_invalpha;
  }
  PtrsConsts at(size_t t) const {
    PtrsConsts c;
    c.lam = lam[t]; c.loglam = loglam[t]; c.b = b[t]; c.a = a[t]; c.invalpha = invalpha[t]; c.vr = vr[t];
    c.log_invalpha = log_invalpha[t];
    return c;
  }
};

// poisson_ptrs_attempt_c(c.at(t), w + 4t) for t < m (k, or -1), as ptrs_attempts.
static inline void ptrs_cols_attempts(const PtrsCols& c, const LogFactTable& lft, int64_t* __restrict o, size_t m,
                                      const uint32_t* __restrict w) {
  for (size_t t = 0; t < m; ++t) {
    const PtrsConsts cc = c.at(t);
    const TrsCandidate x = poisson_ptrs_candidate(cc, w[4 * t], w[4 * t + 1], w[4 * t + 2], w[4 * t + 3]);
    const int64_t quick = -(int64_t)poisson_ptrs_quick(cc, x);
    o[t] = (x.k & quick) | (-2 & ~quick);
  }
  uint32_t idx[kPV], dw[kChunkWords];
  int64_t r[kPV];
  const size_t u = gather_marked(o, m, w, 4, idx, dw, [](int64_t v) { return v == -2; });
  for (size_t s = 0; s < u; ++s) {
    const PtrsConsts cc = c.at(idx[s]);
    const TrsCandidate x = poisson_ptrs_candidate(cc, dw[4 * s], dw[4 * s + 1], dw[4 * s + 2], dw[4 * s + 3]);
    r[s] = poisson_ptrs_decide(cc, x, lft.at(x.k));
  }
  for (size_t s = 0; s < u; ++s) o[idx[s]] = r[s];
}

struct BtrsCols {
  int64_t n[kPV], m[kPV];
  double spq[kPV], b[kPV], a[kPV], c[kPV], vr[kPV], alpha[kPV], lpq[kPV];
  void set(size_t t, const BtrsConsts& x) {
    n[t] = x.n; m[t] = x.m; spq[t] = x.spq; b[t] = x.b; a[t] = x.a; c[t] = x.c; vr[t] = x.vr; alpha[t] = x.alpha;
    lpq[t] = x.lpq;
  }
  BtrsConsts at(size_t t) const {
    BtrsConsts x;
    x.n = n[t]; x.m = m[t]; x.spq = spq[t]; x.b = b[t]; x.a = a[t]; x.c = c[t]; x.vr = vr[t]; x.alpha = alpha[t];
    x.lpq = lpq[t];
    return x;
  }
};

// binomial_btrs_attempt_c(c.at(t), w + 4t) for t < m (k, or -1), as btrs_attempts.
static inline void btrs_cols_attempts(const BtrsCols& c, int64_t* __restrict o, size_t m,
                                      const uint32_t* __restrict w) {
  for (size_t t = 0; t < m; ++t) {
    const BtrsConsts cc = c.at(t);
    const TrsCandidate x = binomial_btrs_candidate(cc, w[4 * t], w[4 * t + 1], w[4 * t + 2], w[4 * t + 3]);
    const int64_t in = -(int64_t)binomial_btrs_in_range(cc, x);
    const int64_t quick = in & -(int64_t)(x.us >= 0.07) & -(int64_t)(x.V <= cc.vr);
    o[t] = (x.k & quick) | ((-1 - (in & 1)) & ~quick);  // -2: undecided, -1: rejected (out of range)
  }
  uint32_t idx[kPV], dw[kChunkWords];
  int64_t r[kPV], ks[kPV];
  const size_t u = gather_marked(o, m, w, 4, idx, dw, [](int64_t v) { return v == -2; });
  for (size_t s = 0; s < u; ++s) {
    const BtrsConsts cc = c.at(idx[s]);
    const TrsCandidate x = binomial_btrs_candidate(cc, dw[4 * s], dw[4 * s + 1], dw[4 * s + 2], dw[4 * s + 3]);
    ks[s] = x.k;
    r[s] = binomial_btrs_decide(cc, x, log_factorial_ratio_stirling(cc.n - cc.m, x.k - cc.m),
                                log_factorial_ratio_stirling(x.k, x.k - cc.m));
  }
  // a ratio whose smaller argument is below 10: the difference of log_factorial's, table and
  // Stirling both computed and one selected, for those candidates gathered densely (as btrs_attempts)
  uint32_t sl[kPV];
  size_t ns = 0;
  for (size_t s = 0; s < u; ++s) {
    const size_t t = idx[s];
    o[t] = r[s];
    sl[ns] = (uint32_t)s;
    ns += (c.n[t] - c.m[t] < 10) | (c.m[t] < 10) | (ks[s] < 10) | (c.n[t] - ks[s] < 10);
  }
  if (ns == 0) return;
  static const LogFactTable lft;
  alignas(64) uint32_t sw[4 * kPV];
  for (size_t i = 0; i < ns; ++i)
    for (int k = 0; k < 4; ++k) sw[4 * i + k] = dw[4 * sl[i] + k];
  for (size_t i = 0; i < ns; ++i) {
    const BtrsConsts cc = c.at(idx[sl[i]]);
    r[i] = btrs_decide_small(cc, binomial_btrs_candidate(cc, sw[4 * i], sw[4 * i + 1], sw[4 * i + 2], sw[4 * i + 3]),
                             lft);
  }
  for (size_t i = 0; i < ns; ++i) o[idx[sl[i]]] = r[i];
}

// ---------------------------------------------------------------- gamma with per-element shapes
// The scalar path's passes (mt_values: centre and tail normals, the squeeze, the full test for the
// rest, the first retries vectorized) take per-entry shape constants D, C already, so a chunk of
// per-element shapes runs through them as they are; then the op's combination without the boost
// for every value, and with it (a log and an exp each) for the values that have it, gathered densely.

// Elements e0 .. e0 + n - 1 of a column as a unit-stride block: the column itself (stride 1), or
// buf filled with its one element (stride 0). (A copy of a stride-1 column compiled to rep movsq,
// ~15% of beta(array, array)'s chunk time.)
template <class T>
static inline const T* column(const T* P, uint64_t s, uint64_t e0, size_t n, T* __restrict buf) {
  if (s) return P + e0;
  for (size_t j = 0; j < n; ++j) buf[j] = P[0];
  return buf;
}
// f[j] = element e0 + j's affine flag (ParamCols::affine) for j < n, as a unit-stride block.
static inline const uint8_t* affine_column(const ParamCols& q, uint64_t e0, size_t n, uint8_t* __restrict buf) {
  if (q.F) return column(q.F, q.sf, e0, n, buf);
  for (size_t j = 0; j < n; ++j) buf[j] = q.base.affine ? 1 : 0;
  return buf;
}
// The indices j < n with f[j] != 0 into idx (branch-free; room for n, and for pad_list's padding
// where the caller pads); returns how many.
static inline size_t marked(const uint8_t* __restrict f, size_t n, uint32_t* __restrict idx) {
  size_t m = 0;
  for (size_t j = 0; j < n; ++j) {
    idx[m] = (uint32_t)j;
    m += f[j] != 0 ? 1 : 0;
  }
  return m;
}

// The job's gamma values (op OP: GammaF64 or GammaF32, the same words and float64 values) j0 .. j0 +
// nv - 1 into d: gamma_first + gamma_retry of each element's (a, b, c, affine).
template <int OP>
static inline void gamma_params_chunk(const Job& job, const ParamCols& q, double* __restrict d, size_t nv,
                                      const uint32_t* __restrict w, size_t v0) {
  static_assert(OpTraits<OP>::K == 4, "gamma takes four words");
  constexpr size_t N = kChunkWords / 4;
  const uint64_t e0 = job.param0 + v0;
  alignas(64) double ab[N], bb_[N], cb[N], D[N], g[N + 16], ba[N + 16], bb[N + 16], bg[N + 16], bv[N + 16];
  alignas(64) uint8_t fb[N];
  alignas(64) uint32_t bi[N + 16], bw[N + 16];
  const double* __restrict A = column(q.A, q.sa, e0, nv, ab);
  const double* __restrict B = column(q.B, q.sb, e0, nv, bb_);
  const double* __restrict C = column(q.C, q.sc, e0, nv, cb);
  const uint8_t* __restrict f = affine_column(q, e0, nv, fb);
  for (size_t j = 0; j < nv; ++j) D[j] = gamma_d(A[j]);
  mt_values<OP, 4>(job, v0, D, C, 0, 1, g, nv, w);
  for (size_t j = 0; j < nv; ++j) d[j] = gamma_value(false, A[j], B[j], g[j], w[4 * j + 3]);
  const size_t m = marked(f, nv, bi), mp = pad_list(bi, m);
  for (size_t t = 0; t < mp; ++t) {
    ba[t] = A[bi[t]]; bb[t] = B[bi[t]]; bg[t] = g[bi[t]]; bw[t] = w[4 * bi[t] + 3];
  }
  for (size_t t = 0; t < mp; ++t) bv[t] = gamma_value(true, ba[t], bb[t], bg[t], bw[t]);
  for (size_t t = 0; t < m; ++t) d[bi[t]] = bv[t];
}

// ---------------------------------------------------------------- the per-op loops
template <int OP>
static void params_loop(const Job& job, const ParamCols& q, size_t i0, size_t i1) {
  if constexpr (OP == (int)Op::PoissonI64) {
    static_assert(OpTraits<OP>::K == 4, "poisson takes four words");
    const LogFactTable lft;
    fill<4, int64_t>(job, i0, i1, [&](int64_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      const uint64_t e0 = job.param0 + v0;
      alignas(64) double lam[kPV], il[kPV];
      uint32_t ii[kPV];
      for (size_t j = 0; j < nv; ++j) lam[j] = q.a(e0 + j);
      const size_t ni = inversion_order(lam, nv, ii);  // the inversion's values (lam < 10)
      for (size_t t = 0; t < ni; ++t) il[t] = lam[ii[t]];
      if (ni < nv) {
        // PTRS for the other values, gathered densely (list position t: chunk value pj[t], pos[pj[t]] = t)
        uint32_t pj[kPV], pos[kPV];
        alignas(64) uint32_t pw[kChunkWords];
        alignas(64) int64_t pr[kPV];
        // (a chunk without inversion values: the chunk itself, in place)
        alignas(64) double pl[kPV];
        const size_t np_ = ni ? dense_list(lam, nv, pj, pos, pw, w) : nv;
        for (size_t t = 0; ni && t < np_; ++t) pl[t] = lam[pj[t]];
        const double* const L = ni ? pl : lam;
        PtrsCols c;
        for (size_t t = 0; t < np_; ++t) c.set(t, poisson_ptrs_consts(L[t]));
        ptrs_cols_attempts(c, lft, ni ? pr : o, np_, ni ? pw : w);
        if (ni) {
          for (size_t t = 0; t < np_; ++t) o[pj[t]] = pr[t];
          poisson_inversion_list(il, w, ii, ni, o);
        }
        uint32_t idx[kPV], rw[kChunkWords];
        int64_t r[kPV];
        const size_t m = first_retry_words<OP>(job, o, nv, v0, w, idx, rw, false);
        PtrsCols rc;
        for (size_t t = 0; t < m; ++t) rc.set(t, c.at(ni ? pos[idx[t]] : idx[t]));
        ptrs_cols_attempts(rc, lft, r, m, rw);
        for (size_t t = 0; t < m; ++t) o[idx[t]] = r[t];
        for (size_t j = 0; j < nv; ++j)
          if (o[j] < 0)
            o[j] = poisson_retry(lam[j], retry_at(job.k0, job.k1, job.id, value_block<4>(job, v0 + j)));
      } else {
        poisson_inversion_list(il, w, ii, ni, o);
      }
    });
  } else if constexpr (OP == (int)Op::BinomialI64) {
    static_assert(OpTraits<OP>::K == 4, "binomial takes four words");
    fill<4, int64_t>(job, i0, i1, [&](int64_t* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      const uint64_t e0 = job.param0 + v0;
      alignas(64) double p[kPV], qq[kPV], iq[kPV];
      alignas(64) int64_t n[kPV], in_[kPV];
      uint32_t ii[kPV];
      for (size_t j = 0; j < nv; ++j) { p[j] = q.a(e0 + j); n[j] = (int64_t)q.ilow(e0 + j); }
      for (size_t j = 0; j < nv; ++j) qq[j] = binomial_q(p[j]);
      alignas(64) double mean[kPV];
      for (size_t j = 0; j < nv; ++j) mean[j] = (double)n[j] * qq[j];
      const size_t ni = inversion_order(mean, nv, ii);  // the inversion's values (n q < 10)
      for (size_t t = 0; t < ni; ++t) { iq[t] = qq[ii[t]]; in_[t] = n[ii[t]]; }
      if (ni < nv) {
        // BTRS for the other values, gathered densely as poisson's
        uint32_t pj[kPV], pos[kPV];
        alignas(64) uint32_t pw[kChunkWords];
        alignas(64) int64_t pr[kPV];
        alignas(64) double pq[kPV];
        alignas(64) int64_t pn[kPV];
        const size_t np_ = ni ? dense_list(mean, nv, pj, pos, pw, w) : nv;
        for (size_t t = 0; ni && t < np_; ++t) { pq[t] = qq[pj[t]]; pn[t] = n[pj[t]]; }
        const double* const Q = ni ? pq : qq;
        const int64_t* const NN = ni ? pn : n;
        BtrsCols c;
        for (size_t t = 0; t < np_; ++t) c.set(t, binomial_btrs_consts(NN[t], Q[t]));
        btrs_cols_attempts(c, ni ? pr : o, np_, ni ? pw : w);
        if (ni) {
          for (size_t t = 0; t < np_; ++t) o[pj[t]] = pr[t];
          binomial_inversion_list(in_, iq, w, ii, ni, o);
        }
        uint32_t idx[kPV], rw[kChunkWords];
        int64_t r[kPV];
        const size_t m = first_retry_words<OP>(job, o, nv, v0, w, idx, rw, false);
        BtrsCols rc;
        for (size_t t = 0; t < m; ++t) rc.set(t, c.at(ni ? pos[idx[t]] : idx[t]));
        btrs_cols_attempts(rc, r, m, rw);
        for (size_t t = 0; t < m; ++t) o[idx[t]] = r[t];
        for (size_t j = 0; j < nv; ++j) o[j] = o[j] < 0 ? o[j] : (p[j] > 0.5 ? n[j] - o[j] : o[j]);
        for (size_t j = 0; j < nv; ++j)  // binomial_retry flips itself
          if (o[j] < 0)
            o[j] = binomial_retry(n[j], p[j], retry_at(job.k0, job.k1, job.id, value_block<4>(job, v0 + j)));
      } else {
        binomial_inversion_list(in_, iq, w, ii, ni, o);
        for (size_t j = 0; j < nv; ++j) o[j] = p[j] > 0.5 ? n[j] - o[j] : o[j];
      }
    });
  } else if constexpr (OP == (int)Op::GammaF64) {
    fill<4, double>(job, i0, i1, [&](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      gamma_params_chunk<OP>(job, q, o, nv, w, v0);
    });
  } else if constexpr (OP == (int)Op::GammaF32) {
    static_assert(OpTraits<(int)Op::GammaF64>::K == OpTraits<OP>::K, "gamma_f32 reads gamma_f64's words");
    fill<4, float>(job, i0, i1, [&](float* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      alignas(64) double d[kPV];
      gamma_params_chunk<OP>(job, q, d, nv, w, v0);
      for (size_t j = 0; j < nv; ++j) o[j] = (float)d[j];
    });
  } else if constexpr (OP == (int)Op::BetaF64) {
    // the scalar path's passes (run_op's beta): gx (shape a, words 0-3, retries from the even blocks)
    // and gy (shape b, words 4-7, the odd blocks) as the two entries of each value in one set of
    // mt_values passes, each entry with its element's constants; beta_combine outside logs for every
    // value, in logs (a or b < 1: affine) for those that need it, gathered densely.
    constexpr int K = OpTraits<OP>::K;
    fill<K, double>(job, i0, i1, [&](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      constexpr size_t N = kChunkWords / K;
      const uint64_t e0 = job.param0 + v0;
      alignas(64) double ab[N], bb[N], cab[N], dd[2 * N], cc[2 * N], g[2 * N];
      alignas(64) uint64_t ib[N];
      alignas(64) uint8_t fb[N];
      const double* __restrict A = column(q.A, q.sa, e0, nv, ab);
      const double* __restrict B = column(q.B, q.sb, e0, nv, bb);
      const double* __restrict CA = column(q.C, q.sc, e0, nv, cab);
      const uint64_t* __restrict IB = column(q.I, q.si, e0, nv, ib);  // c of b, as its bits
      const uint8_t* __restrict f = affine_column(q, e0, nv, fb);
      for (size_t j = 0; j < nv; ++j) {
        dd[2 * j] = gamma_d(A[j]); cc[2 * j] = CA[j];
        dd[2 * j + 1] = gamma_d(B[j]); cc[2 * j + 1] = bits_f64(IB[j]);
      }
      mt_values<OP, 4, 1>(job, v0, dd, cc, 0, 2, g, 2 * nv, w);
      for (size_t j = 0; j < nv; ++j) o[j] = beta_combine(false, A[j], B[j], g[2 * j], g[2 * j + 1], 0, 0);
      uint32_t li[N + 16], lw3[N + 16], lw7[N + 16];
      alignas(64) double la[N + 16], lb[N + 16], lx[N + 16], ly[N + 16], lv[N + 16];
      const size_t nl = marked(f, nv, li), np_ = pad_list(li, nl);
      for (size_t t = 0; t < np_; ++t) {
        const size_t j = li[t];
        la[t] = A[j]; lb[t] = B[j]; lx[t] = g[2 * j]; ly[t] = g[2 * j + 1]; lw3[t] = w[K * j + 3]; lw7[t] = w[K * j + 7];
      }
      for (size_t t = 0; t < np_; ++t) lv[t] = beta_combine(true, la[t], lb[t], lx[t], ly[t], lw3[t], lw7[t]);
      for (size_t t = 0; t < nl; ++t) o[li[t]] = lv[t];
    });
  } else if constexpr (OP == (int)Op::StandardTF64) {
    // the scalar path's passes (run_op's standard_t): g (shape h = a, words 0-3) by mt_values with
    // each element's constants, Z = normal_f64(words 4, 5) in normals' two passes, then
    // student_t_combine_z without the boost for every value, with it (h < 1: affine) for those that
    // have it, gathered densely.
    constexpr int K = OpTraits<OP>::K;
    fill<K, double>(job, i0, i1, [&](double* __restrict o, size_t nv, const uint32_t* __restrict w, size_t v0) {
      constexpr size_t N = kChunkWords / K + 1;
      const uint64_t e0 = job.param0 + v0;
      alignas(64) uint32_t gw[4 * N], zw[2 * N];
      for (size_t j = 0; j < nv; ++j) {
        for (int k = 0; k < 4; ++k) gw[4 * j + k] = w[K * j + k];
        for (int k = 0; k < 2; ++k) zw[2 * j + k] = w[K * j + 4 + k];
      }
      alignas(64) double hb[N], cb[N], D[N], g[N], z[N];
      alignas(64) uint8_t fb[N];
      const double* __restrict H = column(q.A, q.sa, e0, nv, hb);
      const double* __restrict C = column(q.C, q.sc, e0, nv, cb);
      const uint8_t* __restrict f = affine_column(q, e0, nv, fb);
      for (size_t j = 0; j < nv; ++j) D[j] = gamma_d(H[j]);
      mt_values<OP, 4>(job, v0, D, C, 0, 1, g, nv, gw);
      for (size_t j = 0; j < nv; ++j) z[j] = normal_f64_centre_or_nan(zw[2 * j], zw[2 * j + 1]);
      finish_tail_normals<2>(z, nv, zw);
      for (size_t j = 0; j < nv; ++j) o[j] = student_t_combine_z(false, H[j], g[j], 0, z[j]);
      uint32_t bi[N + 16], bw[N + 16];
      alignas(64) double bh[N + 16], bg[N + 16], bz[N + 16], bv[N + 16];
      const size_t m = marked(f, nv, bi), mp = pad_list(bi, m);
      for (size_t t = 0; t < mp; ++t) {
        const size_t j = bi[t];
        bh[t] = H[j]; bg[t] = g[j]; bz[t] = z[j]; bw[t] = gw[4 * j + 3];
      }
      for (size_t t = 0; t < mp; ++t) bv[t] = student_t_combine_z(true, bh[t], bg[t], bw[t], bz[t]);
      for (size_t t = 0; t < m; ++t) o[bi[t]] = bv[t];
    });
  } else {
    run_op_params<OP>(job, i0, i1, false);
  }
}
