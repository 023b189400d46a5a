package dev.kiln.codegen.llvm.bundle;

import dev.kiln.codegen.llvm.backend.NativeKernels;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.nativelib.JavaKernelRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * The bytes of a bundle's weights file: every storage {@link BundleLayout} puts in the weights region, at its offset.
 * Weights are copied (converted to the buffer's element type); constants are computed by running the program's
 * init kernels on the JVM now, over the blob itself, so the C side never re-lays-out weights. Weights that only init
 * kernels read (the original layouts) are not in the blob.
 */
final class WeightsBlob {
  private WeightsBlob() {}

  static byte[] build(KernelProgram p, BundleLayout layout, Map<String, Tensor> weights, String where) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment blob = arena.allocate(Math.max(1, layout.weightsBytes()), BundleLayout.ALIGN);
      Map<String, MemorySegment> storages = new HashMap<>();
      for (BundleLayout.Placement pl : layout.placements()) {
        if (pl.region() != BundleLayout.Region.WEIGHTS) continue;
        MemorySegment s = blob.asSlice(pl.offset(), pl.bytes());
        storages.put(pl.storage(), s);
        KBuffer b = p.buffer(pl.storage());
        if (b.role() == KBuffer.Role.WEIGHT) fill(s, weights.get(b.source()), b, where);
      }
      for (Kernel k : p.init()) {
        if (k.body().size() == 1 && k.body().get(0) instanceof Stmt.CallReference)
          throw new CBundleException(where + ": init " + NativeKernels.describe(k) + " runs on the reference interpreter; C bundles evaluate init kernels from Kernel IR only");
        for (String n : k.params()) {
          KBuffer s = p.storageOf(n);
          storages.computeIfAbsent(s.name(), key -> {
            MemorySegment seg = arena.allocate(Math.max(1, BundleLayout.bytes(s)), BundleLayout.ALIGN);
            if (s.role() == KBuffer.Role.WEIGHT) fill(seg, weights.get(s.source()), s, where);
            return seg;
          });
        }
        new JavaKernelRunner(p, k).run(storages::get);
      }
      return blob.asSlice(0, layout.weightsBytes()).toArray(ValueLayout.JAVA_BYTE);
    }
  }

  private static void fill(MemorySegment dst, Tensor w, KBuffer b, String where) {
    if (w.numel() != b.numel())
      throw new CBundleException(where + ": weight \"" + b.source() + "\" has " + w.numel() + " elements, buffer %" + b.name() + " needs " + b.numel());
    Tensor c = (w.dtype() == b.type().dtype() ? w : w.to(b.type().dtype())).contiguous();
    MemorySegment.copy(c.segment(), 0, dst, 0, BundleLayout.bytes(b));
  }
}
