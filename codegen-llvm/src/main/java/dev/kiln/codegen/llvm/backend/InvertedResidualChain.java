package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.conv.DepthwiseConvEmitter;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One inverted-residual chain of consecutive run kernels that {@link InvertedResidualEmitter} runs band by band:
 *
 * <pre>
 *   [expand: 1x1 conv + bias, clamp]  ->  dw: depthwise conv (+ bias, clamp)  ->  project: 1x1 conv + bias [+ residual, clamp]
 * </pre>
 *
 * every convolution channels-last, the 1x1 ones {@link ConvExpansion#pointwiseBias} with a weight packed at init, the
 * depthwise one on {@link DepthwiseConvEmitter}, each epilogue one its convolution's store applies
 * ({@link FusedEpilogue}; on the expand and the depthwise conv a clamp at most). The intermediates (expand output,
 * depthwise output) must be temps that no other kernel touches, so the fused form may leave them unwritten; the
 * project's output must not share storage with the chain's input or residual (bands of output are written while
 * later bands still read the input).
 *
 * @param expand the expand kernel, or null (a block with expansion factor 1: the chain starts at the depthwise conv)
 * @param bandRows output rows of the depthwise conv per band ({@link #bandRows})
 */
record InvertedResidualChain(Kernel expand, Kernel dw, Kernel project, int bandRows) {
  /** Whether chains are fused ({@code kiln.llvm.fuseBlocks}, default true; read at each compile). */
  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.fuseBlocks")); }

  /**
   * Bytes of band buffers (expanded rows + depthwise rows) a band aims at: they stay in L2 between the three steps
   * ({@code kiln.llvm.fuseBandKb} overrides, in KiB, at compile time).
   */
  static long bandBudget() { return 1024L * Long.getLong("kiln.llvm.fuseBandKb", 512); }

  /**
   * Chains whose intermediates (one image's expanded and depthwise activations) have fewer bytes, 1 MiB (the L2 of a
   * core), are left unfused: they stay in cache between the unfused kernels anyway, and a chain of one or two bands
   * would leave the second thread idle or recompute a large halo (mobilenet_v2's 14x14 and 7x7 blocks; measured
   * 0.96 -> 0.90 of unfused at 2 threads against fusing them too). {@code kiln.llvm.fuseMinKb} (KiB) overrides at
   * compile time.
   */
  static long minBytes() { return 1024L * Long.getLong("kiln.llvm.fuseMinKb", 1024); }

  /** The kernels of the chain, in run order. */
  List<Kernel> kernels() { return expand == null ? List.of(dw, project) : List.of(expand, dw, project); }

  Stmt.Conv expandConv() { return expand == null ? null : (Stmt.Conv) expand.body().get(0); }

  Stmt.Conv dwConv() { return (Stmt.Conv) dw.body().get(0); }

  Stmt.Conv projectConv() { return (Stmt.Conv) project.body().get(0); }

  /** The epilogue the expand, depthwise or project kernel's conv store applies, or null for none. */
  static FusedEpilogue epilogue(KernelProgram p, Kernel k) {
    return k.body().size() == 2 ? FusedEpilogue.match(p, (Stmt.Conv) k.body().get(0), k.body().get(1)) : null;
  }

  /** Floats of the expanded-rows buffer (0 without expand). */
  long expandFloats() {
    if (expand == null) return 0;
    int[] d = dwConv().params();
    return (long) inputRows(d, bandRows) * d[3] * d[1];
  }

  /** Floats of the depthwise-rows buffer. */
  long dwFloats() {
    int[] d = dwConv().params();
    return (long) bandRows * d[15] * d[1];
  }

  /** Input rows a band of {@code rows} output rows reads at most. */
  static int inputRows(int[] d, int rows) { return (rows - 1) * d[7] + d[5]; }

  /**
   * The chain that starts at {@code kernels[i]}, or null. The longest form wins (with expand when the kernel at i is
   * one).
   */
  static InvertedResidualChain at(KernelProgram p, List<Kernel> kernels, int i, Set<String> packed, Map<String, Integer> touches) {
    if (i + 2 < kernels.size() && pointwise(p, kernels.get(i), packed, false)) {
      InvertedResidualChain c = link(p, kernels.get(i), kernels.get(i + 1), kernels.get(i + 2), packed, touches);
      if (c != null) return c;
    }
    return i + 1 < kernels.size() ? link(p, null, kernels.get(i), kernels.get(i + 1), packed, touches) : null;
  }

  private static InvertedResidualChain link(KernelProgram p, Kernel e, Kernel d, Kernel pr, Set<String> packed, Map<String, Integer> touches) {
    if (!depthwise(p, d, packed) || !pointwise(p, pr, packed, true)) return null;
    Stmt.Conv dc = (Stmt.Conv) d.body().get(0), pc = (Stmt.Conv) pr.body().get(0);
    int[] dq = dc.params(), pq = pc.params();
    if (!intermediate(p, dc.y(), pc.x(), touches) || pq[0] != dq[0] || pq[2] != dq[14] || pq[3] != dq[15] || pq[1] != dq[1]) return null;
    String in = dc.x();
    if (e != null) {
      Stmt.Conv ec = (Stmt.Conv) e.body().get(0);
      int[] eq = ec.params();
      if (!intermediate(p, ec.y(), dc.x(), touches) || eq[0] != dq[0] || eq[2] != dq[2] || eq[3] != dq[3] || eq[4] != dq[1]) return null;
      in = ec.x();
    }
    String out = p.storageOf(pc.y()).name();
    FusedEpilogue pe = epilogue(p, pr);
    if (out.equals(p.storageOf(in).name()) || pe != null && pe.residual() != null && out.equals(p.storageOf(pe.residual()).name())) return null;
    InvertedResidualChain whole = new InvertedResidualChain(e, d, pr, dq[14]);
    if (4 * (whole.expandFloats() + whole.dwFloats()) < minBytes()) return null; // fits in L2 unfused
    return new InvertedResidualChain(e, d, pr, bandRows(whole));
  }

  /**
   * The most output rows per band whose buffers fit {@link #bandBudget} (at least 1, at most the layer's rows), then
   * fewer if that leaves an odd number of bands above 1, so two threads get as many bands each (28x28x192: 4 bands of
   * 7 rows, not 3 of 11; {@code -Dkiln.llvm.fuseEvenBands=false} keeps the budget's rows).
   */
  static int bandRows(InvertedResidualChain c) {
    int[] d = c.dwConv().params();
    int rows = 1;
    while (rows < d[14]) {
      InvertedResidualChain next = new InvertedResidualChain(c.expand, c.dw, c.project, rows + 1);
      if (4 * (next.expandFloats() + next.dwFloats()) > bandBudget()) break;
      rows++;
    }
    int bands = (d[14] + rows - 1) / rows;
    if (bands > 1 && bands % 2 == 1 && !"false".equals(System.getProperty("kiln.llvm.fuseEvenBands")))
      rows = (d[14] + bands) / (bands + 1);
    return rows;
  }

  /** A 1x1 conv kernel on the packed bias GEMM, its epilogue (if any) applied in the GEMM store. */
  private static boolean pointwise(KernelProgram p, Kernel k, Set<String> packed, boolean residualOk) {
    if (k.body().isEmpty() || k.body().size() > 2 || !(k.body().get(0) instanceof Stmt.Conv c)) return false;
    if (!ConvExpansion.pointwiseBias(c) || !packed.contains(c.weight())) return false;
    if (k.body().size() == 1) return true;
    FusedEpilogue ep = epilogue(p, k);
    return ep != null && ep.gemmExact() && (residualOk || ep.residual() == null);
  }

  /** A depthwise conv kernel on {@link DepthwiseConvEmitter}, with at most a clamp. */
  private static boolean depthwise(KernelProgram p, Kernel k, Set<String> packed) {
    if (k.body().isEmpty() || k.body().size() > 2 || !(k.body().get(0) instanceof Stmt.Conv c)) return false;
    if (packed.contains(c.weight()) || !DepthwiseConvEmitter.applies(c.params(), c.nhwc())) return false;
    if (k.body().size() == 1) return true;
    FusedEpilogue ep = epilogue(p, k);
    return ep != null && ep.residual() == null;
  }

  /** Whether {@code written} (read as {@code read} by the next kernel) is a temp no third kernel touches. */
  private static boolean intermediate(KernelProgram p, String written, String read, Map<String, Integer> touches) {
    KBuffer s = p.storageOf(written);
    return s.name().equals(p.storageOf(read).name()) && s.role() == KBuffer.Role.TEMP && touches.getOrDefault(s.name(), 0) == 2
        && !p.outputs().contains(written) && !p.outputs().contains(read);
  }

  /** Storages each kernel touches, counted per kernel (a storage touched by one kernel only can be an intermediate). */
  static Map<String, Integer> touchCounts(KernelProgram p) {
    Map<String, Integer> n = new HashMap<>();
    for (Kernel k : concat(p.init(), p.kernels())) {
      Set<String> t = new HashSet<>();
      ThreadSplit.Access a = ThreadSplit.Access.of(p, k.body());
      t.addAll(a.reads());
      t.addAll(a.writes());
      for (String b : k.params()) if (p.buffers().containsKey(b)) t.add(p.storageOf(b).name());
      for (String s : t) n.merge(s, 1, Integer::sum);
    }
    return n;
  }

  private static List<Kernel> concat(List<Kernel> a, List<Kernel> b) {
    List<Kernel> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
