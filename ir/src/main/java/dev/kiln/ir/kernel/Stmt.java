package dev.kiln.ir.kernel;

import java.util.List;

/**
 * A statement of Kernel IR. Loops are counted ({@code for %i in 0..n}); locals are defined once by {@link Let}
 * (immutable) or declared with {@link Let#mutable} and updated by {@link Assign} (reduction accumulators). Calls
 * run a tuned primitive of {@code dev.kiln.runtime.kernels} or the reference interpreter on one graph node.
 */
public sealed interface Stmt {
  /** {@code for %var in 0..extent { body }}. */
  record For(String var, int extent, List<Stmt> body) implements Stmt {
    public For { body = List.copyOf(body); }
  }

  /** Defines local {@code name}; mutable locals may be reassigned by {@link Assign} (only in the same or inner scopes). */
  record Let(String name, Expr value, boolean mutable) implements Stmt {}

  record Assign(String name, Expr value) implements Stmt {}

  /** {@code buffer[index] = value}. */
  record Store(String buffer, Expr index, Expr value) implements Stmt {}

  /**
   * Row-major GEMM: {@code C[offC..] = alpha * op(A) op(B) + beta * C} (Gemm.sgemm). Offsets are expressions so a
   * batched product loops over them.
   */
  record Gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, String a, Expr offA, int lda,
      String b, Expr offB, int ldb, float beta, String c, Expr offC, int ldc) implements Stmt {}

  /**
   * 2-D convolution (Conv2d.run, or runNhwc when {@code nhwc}); {@code params} are the 16 ints of ConvParams in
   * their order (n, c, h, w, oc, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups, oh, ow); bias may be null.
   */
  record Conv(int[] params, boolean nhwc, String x, String weight, String bias, String y) implements Stmt {
    public Conv { params = params.clone(); }
  }

  /**
   * Runs reference graph {@code ref} of the program (one graph node cut out as a graph) with the interpreter:
   * {@code inputs} are its parameters in order, {@code outputs} receive its results.
   */
  record CallReference(int ref, List<String> inputs, List<String> outputs) implements Stmt {
    public CallReference {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }
}
