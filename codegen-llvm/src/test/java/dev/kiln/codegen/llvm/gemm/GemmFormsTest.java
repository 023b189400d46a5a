package dev.kiln.codegen.llvm.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packed-B bias GEMM's forms (issue 7, fourth round): A read in place vs packed, the one-vector kernel for a
 * narrow last panel vs the full-width one, the clamp in the last store, and the depth blocking (one block up to
 * 1.5 KC). Every result is compared bit for bit with a Java model of the kernel's arithmetic: per depth block one
 * {@code Math.fma} chain per element from 0 in k order, added to the bias (first block) or to C, and the last block's
 * value plus the residual (the residual form) clamped with {@code Math.max/min} (NaN-propagating, like {@code llvm.maximum/minimum}). Shapes hit N not a
 * multiple of the vector (24, 40, 17), N at most one vector (16, 8, 1), K below KC, K just over KC (129, 144), at
 * 1.5 KC (192) and just past it (193: 128 + 65), odd M, M below MR.
 */
@Tag("llvm")
class GemmFormsTest {
  @ParameterizedTest
  @CsvSource({
      "host, 13, 16, 32", "host, 201, 24, 144", "host, 169, 40, 129", "host, 37, 144, 193", "host, 1, 17, 5",
      "host, 29, 1, 192", "host, 15, 48, 16", "x86-64-v3, 50, 8, 150", "x86-64-v3, 7, 24, 200"})
  void everyFormMatchesTheBlockedFmaModel(String target, int m, int n, int k) throws Throwable {
    TargetSpec spec = TargetSpec.parse(target);
    GemmConfig cfg = GemmConfig.forLanes(spec.floatLanes());
    Random r = new Random(m * 131L + n * 17L + k);
    int lda = k + 3, ldc = n + 5;
    float[] a = fill(r, m * lda), b = fill(r, k * n), bias = fill(r, n), c0 = fill(r, m * ldc);
    float[] packed = new float[(int) PackedGemmEmitter.packedFloats(k, n, cfg.nr())];
    for (int p = 0; p < k; p++)
      for (int j = 0; j < n; j++) packed[(int) PackedGemmEmitter.packedIndex(p, j, k, cfg.nr())] = b[j * k + p];
    float[] res = fill(r, m * ldc);
    boolean[][] forms = {{false, false}, {true, false}, {false, true}, {true, true}};
    try (LlvmJit jit = new LlvmJit(spec); LlvmModule mod = new LlvmModule("gemm_forms")) {
      for (boolean[] f : forms) {
        PackedGemmEmitter.emit(mod, name(f), cfg, false, true, f[0], f[1]);
        PackedGemmEmitter.emitResidual(mod, name(f) + "_res", cfg, f[0], f[1]);
      }
      jit.add(mod);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment sa = NativeBuffers.copyOf(arena, a), sp = NativeBuffers.copyOf(arena, packed);
        MemorySegment sBias = NativeBuffers.copyOf(arena, bias), work = NativeBuffers.scratch(arena, cfg.workspaceBytes());
        MemorySegment sRes = NativeBuffers.copyOf(arena, res);
        float[][] clamps = {{Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}, {0f, 6f}, {-0.25f, 0.25f}, {0f, Float.POSITIVE_INFINITY}};
        for (boolean[] f : forms) {
          MethodHandle g = jit.function(name(f), PackedGemmEmitter.BIAS_CLAMP_DESCRIPTOR);
          MethodHandle gr = jit.function(name(f) + "_res", PackedGemmEmitter.RESIDUAL_DESCRIPTOR);
          for (float[] lh : clamps) {
            for (boolean withBias : new boolean[] {true, false}) {
              MemorySegment c = NativeBuffers.copyOf(arena, c0), biasArg = withBias ? sBias : MemorySegment.NULL;
              g.invokeExact(sa, sp, c, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work, biasArg, lh[0], lh[1]);
              float[] want = model(cfg, a, b, withBias ? bias : null, null, c0, m, n, k, lda, ldc, lh[0], lh[1]);
              assertArrayEquals(bits(want), bits(c.toArray(ValueLayout.JAVA_FLOAT)), name(f) + " " + m + "x" + n + "x" + k
                  + " bias=" + withBias + " clamp=[" + lh[0] + ", " + lh[1] + "]");
              MemorySegment cr = NativeBuffers.copyOf(arena, c0);
              gr.invokeExact(sa, sp, cr, (long) m, (long) n, (long) k, (long) lda, (long) ldc, work, biasArg, sRes, lh[0], lh[1]);
              float[] wantRes = model(cfg, a, b, withBias ? bias : null, res, c0, m, n, k, lda, ldc, lh[0], lh[1]);
              assertArrayEquals(bits(wantRes), bits(cr.toArray(ValueLayout.JAVA_FLOAT)), name(f) + "_res " + m + "x" + n + "x" + k
                  + " bias=" + withBias + " clamp=[" + lh[0] + ", " + lh[1] + "]");
            }
          }
        }
      }
    }
  }

  /** The bias form's micro-kernels clamp (lower bound, then upper) the value they store; the plain ones do not. */
  @Test
  void clampIsInTheStoreOfTheBiasMicroKernel() {
    GemmConfig cfg = GemmConfig.forLanes(16);
    try (LlvmModule mod = new LlvmModule("gemm_ir")) {
      PackedGemmEmitter.emit(mod, "pgb", cfg, false, true, true, true);
      PackedGemmEmitter.emit(mod, "pg", cfg, false, false, true, true);
      String ir = mod.print();
      for (String micro : new String[] {"@pgb.micro(", "@pgb.micro1("}) {
        String body = function(ir, micro);
        int max = body.indexOf("fcmp ole <16 x float>"), min = body.indexOf("fcmp oge <16 x float>", max);
        int store = body.indexOf("store <16 x float>", min);
        assertTrue(max > 0 && min > max && store > min, micro + " does not clamp before its store:\n" + body);
      }
      assertTrue(!function(ir, "@pg.micro(").contains("fcmp"), "the plain micro-kernel clamps");
      // A read in place: no packing routine and no per-call copy of A
      assertTrue(!ir.contains("@pgb.packA") && !ir.contains("@pg.packA"), "A is still packed");
    }
  }

  /** Java model of {@code kiln_gemm_packedB_n_bias}: blocks of depth K (K <= kcMax) or KC, one fma chain each. */
  private static float[] model(GemmConfig cfg, float[] a, float[] b, float[] bias, float[] res, float[] c0, int m, int n,
      int k, int lda, int ldc, float lo, float hi) {
    float[] c = c0.clone();
    int step = k <= cfg.kcMax() ? k : cfg.kc();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float v = c[i * ldc + j];
        for (int p0 = 0; p0 < k; p0 += step) {
          float acc = 0f;
          for (int p = p0; p < Math.min(k, p0 + step); p++) acc = Math.fma(a[i * lda + p], b[j * k + p], acc);
          v = (p0 == 0 && bias != null ? bias[j] : v) + acc;
          if (p0 + step >= k) v = Math.min(Math.max(res == null ? v : v + res[i * ldc + j], lo), hi);
        }
        c[i * ldc + j] = v;
      }
    }
    return c;
  }

  private static String name(boolean[] f) { return "pgb_" + (f[0] ? "inplace" : "packA") + (f[1] ? "_narrow" : "_wide"); }

  private static String function(String ir, String header) {
    int at = ir.indexOf(header);
    assertTrue(at >= 0, "no function " + header);
    int start = ir.lastIndexOf("define", at);
    return ir.substring(start, ir.indexOf("\n}\n", at));
  }

  private static float[] fill(Random r, int len) {
    float[] x = new float[len];
    for (int i = 0; i < len; i++) x[i] = r.nextFloat() * 2 - 1;
    return x;
  }

  private static int[] bits(float[] f) {
    int[] b = new int[f.length];
    for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
    return b;
  }
}
