package dev.kiln.codegen.llvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.nativelib.NativeBuffers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Random;

/** One GEMM problem with strided operands in native memory, run through an emitted kernel and checked naively. */
record GemmCase(int m, int n, int k, int lda, int ldb, int ldc, float[] a, float[] b, float[] c0) {
  static GemmCase random(int m, int n, int k, int pad, long seed) {
    Random r = new Random(seed);
    int lda = k + pad, ldb = n + pad, ldc = n + pad;
    return new GemmCase(m, n, k, lda, ldb, ldc, fill(r, m * lda), fill(r, k * ldb), fill(r, m * ldc));
  }

  private static float[] fill(Random r, int len) {
    float[] x = new float[len];
    for (int i = 0; i < len; i++) x[i] = r.nextFloat() * 2 - 1;
    return x;
  }

  /** Runs {@code gemm} (signature GemmEmitter.DESCRIPTOR) and returns the whole C buffer, padding included. */
  float[] run(MethodHandle gemm, long workspaceBytes) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment sa = NativeBuffers.copyOf(arena, a), sb = NativeBuffers.copyOf(arena, b);
      MemorySegment sc = NativeBuffers.copyOf(arena, c0), work = NativeBuffers.scratch(arena, workspaceBytes);
      gemm.invokeExact(sa, sb, sc, (long) m, (long) n, (long) k, (long) lda, (long) ldb, (long) ldc, work);
      return sc.toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  /** Asserts C == C0 + A*B inside the m x n window (double reference) and untouched padding outside it. */
  void check(float[] c, String what) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < ldc; j++) {
        int at = i * ldc + j;
        if (j >= n) {
          assertTrue(c[at] == c0[at], what + ": padding C[" + i + "][" + j + "] was written");
          continue;
        }
        double ref = c0[at], mag = Math.abs(c0[at]);
        for (int p = 0; p < k; p++) {
          ref += (double) a[i * lda + p] * b[p * ldb + j];
          mag += Math.abs((double) a[i * lda + p] * b[p * ldb + j]);
        }
        double tol = 1e-6 * mag + 1e-6;
        double got = c[at];
        assertTrue(Math.abs(got - ref) <= tol,
            what + ": C[" + i + "][" + j + "] = " + got + ", expected " + ref + " (tolerance " + tol + ")");
      }
    }
  }

  @Override
  public String toString() {
    return m + "x" + n + "x" + k + " (lda " + lda + ", ldb " + ldb + ", ldc " + ldc + ")";
  }
}
