package dev.kiln.codegen.llvm.backend;

import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Merges each {@link InvertedResidualChain} of the run kernels into one kernel before temp sharing: its body is the
 * chain's bodies in order (so its accesses, its work and a JVM fallback are the chain's), its params theirs. The
 * emitter runs a merged kernel with {@link InvertedResidualEmitter}, band by band, instead of statement by statement.
 * Merging first also makes {@link TempSlots} see the chain's input and output live in the same kernel, so they never
 * share storage.
 *
 * @param program the program with merged kernels (the same program when nothing merged)
 * @param chains the chain of each merged kernel (by identity)
 */
record InvertedResidualFusion(KernelProgram program, Map<Kernel, InvertedResidualChain> chains) {
  /** No fusion: {@code p} as it is. */
  static InvertedResidualFusion none(KernelProgram p) { return new InvertedResidualFusion(p, Map.of()); }

  /** {@code p} with its chains merged; {@code packed} names the weights packed at init ({@link WeightPrepack}). */
  static InvertedResidualFusion apply(KernelProgram p, Set<String> packed) {
    Map<String, Integer> touches = InvertedResidualChain.touchCounts(p);
    Map<Kernel, InvertedResidualChain> chains = new IdentityHashMap<>();
    List<Kernel> run = new ArrayList<>();
    List<Kernel> ks = p.kernels();
    for (int i = 0; i < ks.size(); i++) {
      InvertedResidualChain c = InvertedResidualChain.at(p, ks, i, packed, touches);
      if (c == null) {
        run.add(ks.get(i));
        continue;
      }
      List<Stmt> body = new ArrayList<>();
      Set<String> params = new LinkedHashSet<>();
      List<String> names = new ArrayList<>();
      for (Kernel k : c.kernels()) {
        body.addAll(k.body());
        params.addAll(k.params());
        names.add(k.name());
      }
      Kernel merged = new Kernel(c.dw().name() + "_block", List.copyOf(params), body,
          "fused kind=\"inverted-residual\" of " + String.join(", ", names));
      chains.put(merged, c);
      run.add(merged);
      i += c.kernels().size() - 1;
    }
    if (chains.isEmpty()) return none(p);
    return new InvertedResidualFusion(new KernelProgram(p.name(), p.buffers(), p.inputs(), p.outputs(), p.init(), run,
        p.references()), chains);
  }

  /** Bytes of band buffers the largest chain needs in a thread's workspace (a multiple of 64). */
  long bandBytes() {
    long max = 0;
    for (InvertedResidualChain c : chains.values()) max = Math.max(max, bandOffset(c) + 4 * c.dwFloats());
    return (max + 63) / 64 * 64;
  }

  /** Byte offset of the depthwise-rows buffer after the expanded-rows buffer (64-byte aligned). */
  static long bandOffset(InvertedResidualChain c) { return (4 * c.expandFloats() + 63) / 64 * 64; }

  /**
   * The plan as text, one line per merged kernel in run order: the kernels it merges, the layer shapes and the band
   * rows (golden tests; a reader of a compile report).
   */
  String describe() {
    StringBuilder sb = new StringBuilder();
    for (Kernel k : program.kernels()) {
      InvertedResidualChain c = chains.get(k);
      if (c == null) continue;
      int[] d = c.dwConv().params(), pq = c.projectConv().params();
      FusedEpilogue pe = InvertedResidualChain.epilogue(program, c.project());
      sb.append(String.format(Locale.ROOT, "%s = %s: %sdw %dx%d/s%d %dx%dx%d -> %dx%d, project ->%d%s, band %d of %d rows%n",
          k.name(), c.kernels().stream().map(Kernel::name).toList(),
          c.expand() == null ? "" : "expand " + c.expandConv().params()[1] + "->" + d[1] + ", ", d[5], d[6], d[7], d[2], d[3], d[1], d[14], d[15], pq[4],
          pe != null && pe.residual() != null ? " +residual" : "", c.bandRows(), d[14]));
    }
    return sb.toString();
  }
}
