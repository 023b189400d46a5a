/**
 * Tuned float kernels shared by generated code and the reference interpreter, in plain Java with the Vector API
 * (run with {@code --add-modules jdk.incubator.vector}).
 *
 * <ul>
 *   <li>{@link dev.kiln.runtime.kernels.Gemm#sgemm}: row-major {@code C = alpha op(A) op(B) + beta C}.
 *   <li>{@link dev.kiln.runtime.kernels.Conv2d#run} (NCHW) and {@link dev.kiln.runtime.kernels.Conv2d#runNhwc}
 *       (NHWC, weight [oc][kh][kw][c/groups]), geometry in {@link dev.kiln.runtime.kernels.ConvParams}.
 *   <li>{@link dev.kiln.runtime.kernels.Pool2d}: {@code max(PoolParams, x, xOff, y, yOff)}, {@code maxNhwc(...)},
 *       {@code avg(PoolParams, countIncludePad, divisorOverride, x, xOff, y, yOff)}, {@code avgNhwc(...)}, geometry
 *       (with ceil_mode) in {@link dev.kiln.runtime.kernels.PoolParams#of}.
 *   <li>{@link dev.kiln.runtime.kernels.Threads}: the shared pool, {@code setThreads(int)} (default: cores).
 *       Products below {@code Gemm.PARALLEL_WORK} (2^22 multiply-adds) stay on the calling thread.
 *   <li>{@link dev.kiln.runtime.kernels.VectorMath}: lane-wise operations (exp, sigmoid, tanh, reductions) that
 *       the JVM backend's vectorized loops call.
 * </ul>
 *
 * <p>Every kernel splits work over output tiles and sums in an order fixed by the shapes alone, so results are
 * bit-identical for any thread count. All entry points are thread-safe and may be nested (a kernel called from a
 * kernel task runs serially on that task's thread).
 */
package dev.kiln.runtime.kernels;
