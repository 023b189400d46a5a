package dev.kiln.codegen.llvm.gemm;

/**
 * Blocking of the emitted SGEMM. Register block: {@code mr} rows by {@code nr() = nv * lanes} columns of C held in
 * {@code mr * nv} vector accumulators. Cache blocks (BLIS order): a {@code kc x nc} panel of B packed once per
 * (jc, pc) and kept in L2/L3, an {@code mc x kc} block of A packed per (ic) and streamed from L2, one {@code kc x nr}
 * micro-panel of B reused from L1 across the {@code mc / mr} micro-kernel calls.
 *
 * @param lanes floats per vector (16 for AVX-512, 8 for AVX2)
 * @param mr    rows per micro-tile
 * @param nv    vectors per micro-tile row
 * @param mc    rows of A per packed block, a multiple of {@code mr}
 * @param kc    depth per packed block, a multiple of 16 (keeps the packed B area 64-byte aligned)
 * @param nc    columns of B per packed panel, a multiple of {@code nr()}
 */
public record GemmConfig(int lanes, int mr, int nv, int mc, int kc, int nc) {
  public GemmConfig {
    if (lanes < 1 || mr < 1 || nv < 1) throw new IllegalArgumentException("lanes, mr and nv must be positive");
    if (mr * nv + nv + 1 > (lanes >= 16 ? 32 : 16)) {
      throw new IllegalArgumentException(mr + "x" + nv + " accumulators do not fit the vector registers");
    }
    if (mc % mr != 0) throw new IllegalArgumentException("mc=" + mc + " is not a multiple of mr=" + mr);
    if (kc % 16 != 0 || kc <= 0) throw new IllegalArgumentException("kc=" + kc + " is not a positive multiple of 16");
    if (nc % (nv * lanes) != 0) throw new IllegalArgumentException("nc=" + nc + " is not a multiple of nr=" + nv * lanes);
  }

  /**
   * Tuned defaults (GemmBench sweep on Zen 4): 14x32 tiles (28 zmm accumulators) with AVX-512, kc=128 so one B
   * micro-panel (16 KB) stays in half of L1 and the 168x128 A block (84 KB) in L2; 6x16 (12 ymm) with AVX2.
   */
  public static GemmConfig forLanes(int lanes) {
    return switch (lanes) {
      case 16 -> new GemmConfig(16, 14, 2, 14 * 12, 128, 2048);
      case 8 -> new GemmConfig(8, 6, 2, 6 * 24, 128, 1024);
      default -> new GemmConfig(lanes, 4, 2, 4 * 32, 256, 512 - 512 % (2 * lanes));
    };
  }

  /** Columns of C per micro-tile. */
  public int nr() {
    return nv * lanes;
  }

  /**
   * Whether a depth of at most {@link #kcMax()} is taken as one block ({@code -Dkiln.llvm.gemmOneBlock=false}: always
   * KC blocks, for measuring). K = 144 then runs as one 144-deep block instead of 128 + 16, so C is read and written
   * once instead of twice; the B micro-panel (at most 24 KB) still fits L1.
   */
  public static final boolean ONE_BLOCK = !"false".equals(System.getProperty("kiln.llvm.gemmOneBlock"));

  /** Deepest single depth block: 1.5 KC (rounded down to a multiple of 16), or KC when the rule is off. */
  public int kcMax() {
    return ONE_BLOCK ? kc + kc / 2 / 16 * 16 : kc;
  }

  /** Bytes of scratch the emitted function needs: packed A block then packed B panel, both 64-byte aligned. */
  public long workspaceBytes() {
    return 4L * ((long) mc * kcMax() + (long) kcMax() * nc);
  }
}
