package dev.kiln.codegen.llvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.gemm.PackedGemmEmitter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.runtime.nativelib.JavaKernelRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The prepack rewrite on Kernel IR (no LLVM): a channels-last conv and a 32-row linear read packed CONST buffers
 * filled by {@code prepack_*} init kernels, a 2-row linear (small GEMM) is left alone, the JVM fallback gets the
 * kernel as lowered, and running the init kernel gives exactly {@link PackedGemmEmitter#packedIndex}'s layout.
 * Bit-identity of the packed GEMM is in {@code PackedGemmEmitterTest} and, per model, {@code tests/…/PrepackLlvmTest}.
 */
class WeightPrepackTest {
  static final String GRAPH = """
      graph @g(%x: f32[1,16,8,8], %v: f32[32,24], %u: f32[2,24]) -> (f32[1,8,8,8], f32[32,10], f32[2,10]) {
        %w = const {name="w"} : f32[8,16,3,3]
        %lw = const {name="lw"} : f32[10,24]
        %0 = nn.conv2d(%x, %w) {padding=[1,1]} : f32[1,8,8,8]
        %1 = nn.linear(%v, %lw) : f32[32,10]
        %2 = nn.linear(%u, %lw) : f32[2,10]
        return(%0, %1, %2)
      }""";

  private static KernelProgram lowered() {
    Graph g = PassManager.parse("nhwc").run(Program.of(IrParser.parse(GRAPH, "g"))).graph();
    return KernelLowering.lower(g, LoweringOptions.NATIVE);
  }

  @Test
  void convAndLargeLinearReadPackedWeights() {
    KernelProgram p = lowered();
    WeightPrepack w = WeightPrepack.apply(p, 32);
    KernelProgram q = w.program();
    String before = KernelPrinter.print(p), after = KernelPrinter.print(q);
    assertFalse(before.contains("prepack_"), before);
    assertEquals(2, w.packed().size(), "conv W^T and the 32-row linear's W^T:\n" + after);
    List<Kernel> prepacks = q.init().subList(p.init().size(), q.init().size());
    assertEquals(2, prepacks.size(), after);
    assertEquals(p.init(), q.init().subList(0, p.init().size()), "prepacking goes after the existing init kernels");
    for (String b : w.packed()) {
      assertEquals(KBuffer.Role.CONST, q.buffer(b).role());
      assertTrue(after.contains("%" + b), "nothing reads %" + b + ":\n" + after);
    }
    int rewritten = 0;
    for (int i = 0; i < q.kernels().size(); i++) {
      Kernel k = q.kernels().get(i), orig = p.kernels().get(i);
      assertSame(orig, w.original(k), "original() gives the lowered kernel");
      if (k != orig) rewritten++;
      boolean small = mentionsGemm(orig.body(), 2);
      if (small) assertSame(orig, k, "a 2-row product uses the small GEMM and must stay unpacked");
    }
    assertEquals(2, rewritten, after);
    assertSame(p, WeightPrepack.none(p).program());
    assertTrue(WeightPrepack.none(p).packed().isEmpty());
  }

  @Test
  void initKernelWritesThePanelLayout() {
    KernelProgram p = lowered();
    WeightPrepack w = WeightPrepack.apply(p, 32);
    KernelProgram q = w.program();
    for (Kernel k : q.init().subList(p.init().size(), q.init().size())) {
      String src = k.params().get(0), dst = k.params().get(1);
      long[] s = q.buffer(src).shape();
      int n = (int) s[0], kk = (int) (q.buffer(src).shape().length == 2 ? s[1] : s[1] * s[2] * s[3]);
      try (Arena a = Arena.ofConfined()) {
        Map<String, MemorySegment> mem = new HashMap<>();
        MemorySegment in = a.allocate(4L * n * kk, 64), out = a.allocate(4 * q.buffer(dst).shape()[0], 64);
        for (int i = 0; i < n * kk; i++) in.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 1);
        out.fill((byte) 0x7f); // not zero: the padding must be written
        mem.put(q.storageOf(src).name(), in);
        mem.put(q.storageOf(dst).name(), out);
        new JavaKernelRunner(q, k).run(mem::get);
        // W is [N][K] (row j of W is column j of B = W^T)
        for (long j = 0; j < (n + 31) / 32 * 32; j++)
          for (long c = 0; c < kk; c++) {
            float want = j < n ? j * kk + c + 1 : 0f;
            float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, PackedGemmEmitter.packedIndex(c, j, kk, 32));
            assertEquals(want, got, k.name() + ": B(" + c + ", " + j + ")");
          }
        assertEquals(PackedGemmEmitter.packedFloats(kk, n, 32), q.buffer(dst).shape()[0]);
      }
    }
  }

  private static boolean mentionsGemm(List<Stmt> body, int rows) {
    for (Stmt s : body) {
      if (s instanceof Stmt.Gemm g && g.m() == rows) return true;
      if (s instanceof Stmt.For f && mentionsGemm(f.body(), rows)) return true;
    }
    return false;
  }
}
