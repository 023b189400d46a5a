package dev.kiln.codegen.llvm.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.codegen.llvm.LlvmJit;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.runtime.nativelib.NativeBuffers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The prepacked-B GEMM gives the same bits as the GEMM that packs B per call, for every operand form (B given
 * row-major or transposed to the unpacked GEMM, A either way), sizes with edges in every blocking dimension (M past
 * MC, K past KC, N past NC and not a multiple of NR), and a column share starting at an NR multiple.
 */
@Tag("llvm")
class PackedGemmEmitterTest {
  @ParameterizedTest
  @CsvSource({
      "host, 37, 70, 301, false, false", "host, 49, 512, 4608, false, true", "host, 200, 2100, 130, true, true",
      "host, 5, 33, 17, true, false", "x86-64-v3, 150, 1030, 260, false, true", "x86-64-v3, 7, 17, 5, true, false",
      "host, 201, 24, 144, false, true", "host, 13, 16, 193, false, false", "host, 169, 144, 192, false, true",
      "x86-64-v3, 31, 8, 150, false, true"})
  void bitIdenticalToPackingPerCall(String target, int m, int n, int k, boolean ta, boolean tb) throws Throwable {
    TargetSpec spec = TargetSpec.parse(target);
    GemmConfig cfg = GemmConfig.forLanes(spec.floatLanes());
    Random r = new Random(m * 31L + n * 7L + k);
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    float[] a = fill(r, (ta ? k : m) * lda), b = fill(r, (tb ? n : k) * ldb), c0 = fill(r, m * ldc);
    float[] packed = new float[(int) PackedGemmEmitter.packedFloats(k, n, cfg.nr())];
    for (int p = 0; p < k; p++)
      for (int j = 0; j < n; j++) packed[(int) PackedGemmEmitter.packedIndex(p, j, k, cfg.nr())] = b[tb ? j * ldb + p : p * ldb + j];
    try (LlvmJit jit = new LlvmJit(spec); LlvmModule mod = new LlvmModule("packed_gemm")) {
      GemmEmitter.emit(mod, "g", cfg, ta, tb);
      PackedGemmEmitter.emit(mod, "pg", cfg, ta);
      jit.add(mod);
      MethodHandle g = jit.function("g", GemmEmitter.DESCRIPTOR), pg = jit.function("pg", PackedGemmEmitter.DESCRIPTOR);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment sa = NativeBuffers.copyOf(arena, a), sb = NativeBuffers.copyOf(arena, b);
        MemorySegment sp = NativeBuffers.copyOf(arena, packed), work = NativeBuffers.scratch(arena, cfg.workspaceBytes());
        MemorySegment c1 = NativeBuffers.copyOf(arena, c0), c2 = NativeBuffers.copyOf(arena, c0);
        g.invokeExact(sa, sb, c1, (long) m, (long) n, (long) k, (long) lda, (long) ldb, (long) ldc, work);
        pg.invokeExact(sa, sp, c2, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work);
        assertArrayEquals(bits(c1), bits(c2), "packed B differs from per-call packing, " + m + "x" + n + "x" + k);
        // a column share [j0, n) with j0 a multiple of NR: B offset j0 columns vs packed offset j0 * K
        int j0 = cfg.nr() * ((n / cfg.nr()) / 2);
        MemorySegment c3 = NativeBuffers.copyOf(arena, c0), c4 = NativeBuffers.copyOf(arena, c0);
        long bOff = 4L * (tb ? (long) j0 * ldb : j0);
        g.invokeExact(sa, sb.asSlice(bOff), c3.asSlice(4L * j0), (long) m, (long) (n - j0), (long) k, (long) lda, (long) ldb, (long) ldc, work);
        pg.invokeExact(sa, sp.asSlice(4L * j0 * k), c4.asSlice(4L * j0), (long) m, (long) (n - j0), (long) k, (long) lda, (long) ldc, work);
        assertArrayEquals(bits(c3), bits(c4), "column share from " + j0 + " differs");
      }
    }
  }

  /**
   * The bias form ({@code C = bias + A B}, C not read) gives the bits of a bias fill followed by the accumulating
   * packed GEMM, with K past KC (later depth blocks accumulate) and edges; a null bias accumulates onto C as before.
   */
  @ParameterizedTest
  @CsvSource({"host, 37, 70, 301", "host, 200, 16, 32", "host, 13, 24, 144", "x86-64-v3, 150, 33, 260"})
  void biasFormEqualsFillThenAccumulate(String target, int m, int n, int k) throws Throwable {
    TargetSpec spec = TargetSpec.parse(target);
    GemmConfig cfg = GemmConfig.forLanes(spec.floatLanes());
    Random r = new Random(m * 17L + n * 5L + k);
    int lda = k + 3, ldc = n + 2;
    float[] a = fill(r, m * lda), b = fill(r, k * n), bias = fill(r, n), c0 = fill(r, m * ldc), filled = c0.clone();
    for (int i = 0; i < m; i++) System.arraycopy(bias, 0, filled, i * ldc, n);
    float[] packed = new float[(int) PackedGemmEmitter.packedFloats(k, n, cfg.nr())];
    for (int p = 0; p < k; p++)
      for (int j = 0; j < n; j++) packed[(int) PackedGemmEmitter.packedIndex(p, j, k, cfg.nr())] = b[j * k + p];
    try (LlvmJit jit = new LlvmJit(spec); LlvmModule mod = new LlvmModule("packed_gemm_bias")) {
      PackedGemmEmitter.emit(mod, "pg", cfg, false);
      PackedGemmEmitter.emit(mod, "pgb", cfg, false, true);
      jit.add(mod);
      MethodHandle pg = jit.function("pg", PackedGemmEmitter.DESCRIPTOR);
      MethodHandle pgb = jit.function("pgb", PackedGemmEmitter.BIAS_CLAMP_DESCRIPTOR);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment sa = NativeBuffers.copyOf(arena, a), sp = NativeBuffers.copyOf(arena, packed);
        MemorySegment sBias = NativeBuffers.copyOf(arena, bias), work = NativeBuffers.scratch(arena, cfg.workspaceBytes());
        MemorySegment want = NativeBuffers.copyOf(arena, filled), got = NativeBuffers.copyOf(arena, c0);
        pg.invokeExact(sa, sp, want, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work);
        pgb.invokeExact(sa, sp, got, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work, sBias, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertArrayEquals(bits(want), bits(got), "bias form differs from fill + accumulate, " + m + "x" + n + "x" + k);
        MemorySegment acc1 = NativeBuffers.copyOf(arena, c0), acc2 = NativeBuffers.copyOf(arena, c0);
        pg.invokeExact(sa, sp, acc1, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work);
        pgb.invokeExact(sa, sp, acc2, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work, MemorySegment.NULL, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertArrayEquals(bits(acc1), bits(acc2), "bias form with a null bias does not accumulate onto C");
      }
    }
  }

  private static float[] fill(Random r, int len) {
    float[] x = new float[len];
    for (int i = 0; i < len; i++) x[i] = r.nextFloat() * 2 - 1;
    return x;
  }

  private static int[] bits(MemorySegment s) {
    float[] f = s.toArray(ValueLayout.JAVA_FLOAT);
    int[] b = new int[f.length];
    for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
    return b;
  }
}
