package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.BlockPlan;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.kernels.Threads;
import dev.kiln.tests.golden.FileCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fused inverted-residual blocks on LLVM (codegen-llvm {@code InvertedResidualEmitter}: 1x1 expand conv + relu6 ->
 * depthwise 3x3 + relu6 -> 1x1 project conv [+ residual], run band by band in per-thread buffers): on small blocks
 * (stride 1 and 2, with and without residual, without expansion, odd sizes, batch 2, bands of one row to the whole
 * image, 1 and 2 threads) the fused build gives the bits of the unfused one ({@code -Dkiln.llvm.fuseBlocks=false}),
 * which is within 1e-4 of the interpreter, and an AOT artifact gives the JIT's bits; the planner's choice is golden.
 */
@Tag("llvm")
class InvertedResidualLlvmTest {
  static final String[] SWITCHES = {"kiln.llvm.fuseBlocks", "kiln.llvm.fuseBandKb", "kiln.llvm.fuseMinKb", "kiln.llvm.minSplitWork", "kiln.native.minForkWork"};

  @TempDir Path dir;

  @AfterEach
  void restore() {
    for (String s : SWITCHES) System.clearProperty(s);
    Threads.setThreads(Runtime.getRuntime().availableProcessors());
  }

  @ParameterizedTest
  @CsvSource({
      // n, in, expanded (= in: no expand conv), out, h, w, stride, residual, band KiB, threads
      "1, 16, 96, 24, 20, 20, 2, false, 128, 1",
      "1, 16, 96, 24, 20, 20, 2, false, 8, 2",
      "1, 24, 144, 24, 17, 13, 1, true, 128, 1",
      "1, 24, 144, 24, 17, 13, 1, true, 12, 1",
      "1, 24, 144, 24, 17, 13, 1, true, 1, 2",
      "2, 8, 20, 12, 11, 9, 2, false, 2, 2",
      "2, 12, 36, 12, 9, 7, 1, true, 3, 1",
      "1, 32, 32, 16, 15, 15, 1, false, 4, 1",
      "1, 32, 32, 16, 15, 15, 1, false, 4, 2",
      "1, 19, 57, 19, 10, 6, 1, true, 2, 2",
      "1, 19, 57, 23, 5, 12, 2, false, 1, 1",
  })
  void fusedGivesTheUnfusedBits(int n, int cin, int ce, int cout, int h, int w, int stride, boolean residual, int bandKb, int threads) throws Exception {
    Block b = Block.of(n, cin, ce, cout, h, w, stride, residual, 7 + h + ce);
    Threads.setThreads(threads);
    System.setProperty("kiln.llvm.minSplitWork", "0");
    System.setProperty("kiln.native.minForkWork", "0");
    System.setProperty("kiln.llvm.fuseBandKb", Integer.toString(bandKb));
    System.setProperty("kiln.llvm.fuseMinKb", "0"); // these blocks are small enough to stay unfused by default
    System.setProperty("kiln.llvm.fuseBlocks", "false");
    Tensor off = run(b, false);
    close(b + " unfused", b.want, off);
    System.setProperty("kiln.llvm.fuseBlocks", "true");
    Tensor on = run(b, true);
    assertArrayEquals(bits(off), bits(on), b + ": fused differs from unfused (max |diff| " + on.maxAbsDiff(off) + ")");
    AotModel aot = AotModelCompiler.compile(b.opt, b.weights, LlvmOptions.defaults());
    Path file = dir.resolve("block.kiln");
    ArtifactWriter.writeNative(file, b.opt, b.weights, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    Tensor fromAot = (Tensor) new ArrayList<>(KilnModel.load(file).run(new Tensor[] {b.x})).get(0);
    assertArrayEquals(bits(on), bits(fromAot), b + ": AOT differs from JIT");
  }

  private static Tensor run(Block b, boolean fused) {
    try (LlvmCompiled c = LlvmBackend.compile(b.opt, b.weights, LlvmOptions.defaults())) {
      assertTrue(c.fallbackKinds().isEmpty(), c.report());
      assertEquals(fused, c.nativeKinds().containsKey("fused inverted-residual"), b + " fused? " + c.report());
      var m = c.instantiate(b.weights);
      Tensor first = (Tensor) m.run(List.of(b.x)).get(0);
      assertArrayEquals(bits(first), bits((Tensor) m.run(List.of(b.x)).get(0)), b + ": a second run differs");
      return first;
    }
  }

  /** Golden: which kernels the planner merges and the band rows it picks for the default 512 KiB budget. */
  @Test
  void planIsGolden() {
    Block s2 = Block.of(1, 16, 96, 24, 112, 112, 2, false, 1), s1 = Block.of(1, 24, 144, 24, 56, 56, 1, true, 1),
        first = Block.of(1, 32, 32, 16, 112, 112, 1, false, 1);
    FileCheck.match(FileCheck.directives("""
        // CHECK: k{{[0-9]+}}_{{.*}}_block = [k{{[0-9]+}}{{.*}}, k{{[0-9]+}}{{.*}}, k{{[0-9]+}}{{.*}}]: expand 16->96, dw 3x3/s2 112x112x96 -> 56x56, project ->24, band 4 of 56 rows
        """, 1), BlockPlan.of(s2.opt, LlvmOptions.defaults()), "s2");
    FileCheck.match(FileCheck.directives("""
        // CHECK: expand 24->144, dw 3x3/s1 56x56x144 -> 56x56, project ->24 +residual, band 7 of 56 rows
        """, 1), BlockPlan.of(s1.opt, LlvmOptions.defaults()), "s1");
    FileCheck.match(FileCheck.directives("""
        // CHECK: _block = [k{{[0-9]+}}{{.*}}, k{{[0-9]+}}{{.*}}]: dw 3x3/s1 112x112x32 -> 112x112, project ->16, band 36 of 112 rows
        """, 1), BlockPlan.of(first.opt, LlvmOptions.defaults()), "no expand");
    Block small = Block.of(1, 96, 576, 96, 14, 14, 1, true, 1); // 2 x 441 KiB of intermediates: stays in L2
    assertEquals("", BlockPlan.of(small.opt, LlvmOptions.defaults()), "a block under 1 MiB is not fused");
    System.setProperty("kiln.llvm.fuseMinKb", "0");
    FileCheck.match(FileCheck.directives("""
        // CHECK: expand 96->576, dw 3x3/s1 14x14x576 -> 14x14, project ->96 +residual, band 7 of 14 rows
        """, 1), BlockPlan.of(small.opt, LlvmOptions.defaults()), "small, fuseMinKb=0");
    System.setProperty("kiln.llvm.fuseBlocks", "false");
    assertEquals("", BlockPlan.of(s1.opt, LlvmOptions.defaults()), "switch off");
  }

  /**
   * The small mobilenet_v2 fixture (64x64, width 0.25) with every block fused ({@code fuseMinKb=0}, band budget 8 KiB
   * so most blocks take several bands): the bits of the unfused build on 1 thread and on 2 threads with every kernel
   * split, within 1e-4 of the interpreter.
   */
  @Test
  void smallMobilenetWithEveryBlockFused() {
    Path pt = CBundleTest.MODELS.resolve("mobilenet_v2").resolve("frozen.pt");
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = dev.kiln.runtime.Npy.read(pt.resolveSibling("input.npy"));
    var m = dev.kiln.frontend.torchscript.TorchScriptImporter.importArchive(pt, List.of(dev.kiln.ir.Type.tensor(input.dtype(), input.shape())));
    Tensor want = (Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(input)).get(0);
    Program opt = PassManager.parse(dev.kiln.passes.Pipelines.level(2))
        .run(Program.of(IrParser.parse(dev.kiln.ir.text.IrPrinter.print(m.graph()), "mobilenet_v2"), m.weights()));
    System.setProperty("kiln.llvm.fuseMinKb", "0");
    System.setProperty("kiln.llvm.fuseBandKb", "8");
    System.setProperty("kiln.llvm.minSplitWork", "0");
    System.setProperty("kiln.native.minForkWork", "0");
    Tensor off, on;
    System.setProperty("kiln.llvm.fuseBlocks", "false");
    try (LlvmCompiled c = LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults())) {
      off = (Tensor) c.instantiate(opt.weights(), 1).run(List.of(input)).get(0);
    }
    close("unfused", want, off);
    System.clearProperty("kiln.llvm.fuseBlocks");
    try (LlvmCompiled c = LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults())) {
      assertEquals(17, c.nativeKinds().getOrDefault("fused inverted-residual", 0), c.report());
      on = (Tensor) c.instantiate(opt.weights(), 1).run(List.of(input)).get(0);
      assertArrayEquals(bits(off), bits(on), "fused, 1 thread (max |diff| " + on.maxAbsDiff(off) + ")");
      var two = c.instantiate(opt.weights(), 2);
      for (int r = 0; r < 2; r++) assertArrayEquals(bits(off), bits((Tensor) two.run(List.of(input)).get(0)), "fused, 2 threads, run " + r);
    }
  }

  /**
   * An expanded activation that is also a graph output is read by a third kernel: the expand stays its own kernel
   * (depthwise -> project fuses, reading it in place), and the answers are right.
   */
  @Test
  void sharedIntermediateIsNotFused() {
    System.setProperty("kiln.llvm.fuseMinKb", "0");
    Block b = Block.of(1, 16, 48, 16, 12, 10, 1, true, 5);
    assertTrue(BlockPlan.of(b.opt, LlvmOptions.defaults()).contains("expand 16->48"), "the plain block fuses");
    Graph g = IrParser.parse(b.text.replace("-> (f32[1,16,12,10]) {", "-> (f32[1,16,12,10], f32[1,48,12,10]) {")
        .replace("return(%s)", "return(%s, %er)"), "block2");
    Graph opt = PassManager.parse("nhwc,fuse").run(Program.of(g, b.weights)).graph();
    String plan = BlockPlan.of(opt, LlvmOptions.defaults());
    assertFalse(plan.contains("expand"), "the expanded activation has a second reader: " + plan);
    assertTrue(plan.contains(": dw 3x3/s1 12x10x48"), "depthwise -> project still fuses, reading it in place: " + plan);
    List<Object> want = new Interpreter(g, b.weights).run(List.of(b.x));
    try (LlvmCompiled c = LlvmBackend.compile(opt, b.weights, LlvmOptions.defaults())) {
      List<Object> got = c.instantiate(b.weights).run(List.of(b.x));
      for (int i = 0; i < 2; i++) close("output " + i, (Tensor) want.get(i), (Tensor) got.get(i));
    }
  }

  /** A random inverted-residual block (channels-last and fused as the O2 pipeline does) and its interpreter answer. */
  record Block(String name, String text, Graph opt, Map<String, Tensor> weights, Tensor x, Tensor want) {
    static Block of(int n, int cin, int ce, int cout, int h, int w, int stride, boolean residual, long seed) {
      int oh = (h + 2 - 3) / stride + 1, ow = (w + 2 - 3) / stride + 1;
      boolean expand = ce != cin;
      StringBuilder t = new StringBuilder("graph @g(%x: f32[" + n + "," + cin + "," + h + "," + w + "]) -> (f32[" + n + "," + cout + "," + oh + "," + ow + "]) {\n");
      Random r = new Random(seed);
      Map<String, Tensor> weights = new HashMap<>();
      String in = "%x";
      if (expand) {
        t.append(conv("e", in, cin, ce, 1, 1, 0, 1, n, h, w, r, weights)).append(relu6("e", n, ce, h, w));
        in = "%er";
      }
      t.append(conv("d", in, ce, ce, 3, stride, 1, ce, n, oh, ow, r, weights)).append(relu6("d", n, ce, oh, ow));
      t.append(conv("p", "%dr", ce, cout, 1, 1, 0, 1, n, oh, ow, r, weights));
      String out = "%p";
      if (residual) {
        t.append("  %s = nn.add(%p, %x) : f32[" + n + "," + cout + "," + oh + "," + ow + "]\n");
        out = "%s";
      }
      t.append("  return(" + out + ")\n}");
      Graph g = IrParser.parse(t.toString(), "block");
      Tensor x = Tensor.fromFloats(gauss(r, n * cin * h * w, 1), n, cin, h, w);
      Tensor want = (Tensor) new Interpreter(g, weights).run(List.of(x)).get(0);
      Graph opt = PassManager.parse("nhwc,fuse").run(Program.of(g, weights)).graph();
      String name = n + "x" + cin + "x" + h + "x" + w + " ->" + ce + " s" + stride + " ->" + cout + (residual ? " +x" : "");
      return new Block(name, t.toString(), opt, weights, x, want);
    }

    private static String conv(String v, String in, int c, int oc, int k, int s, int pad, int groups, int n, int oh, int ow,
        Random r, Map<String, Tensor> weights) {
      weights.put(v + "w", Tensor.fromFloats(gauss(r, oc * (c / groups) * k * k, Math.sqrt(2.0 / (c / groups * k * k))), oc, c / groups, k, k));
      weights.put(v + "b", Tensor.fromFloats(gauss(r, oc, 0.2), oc));
      return "  %" + v + "w = const {name=\"" + v + "w\"} : f32[" + oc + "," + c / groups + "," + k + "," + k + "]\n"
          + "  %" + v + "b = const {name=\"" + v + "b\"} : f32[" + oc + "]\n"
          + "  %" + v + " = nn.conv2d(" + in + ", %" + v + "w, %" + v + "b) {stride=[" + s + "," + s + "], padding=[" + pad + "," + pad
          + "], groups=" + groups + "} : f32[" + n + "," + oc + "," + oh + "," + ow + "]\n";
    }

    private static String relu6(String v, int n, int c, int h, int w) {
      return "  %" + v + "r = nn.hardtanh(%" + v + ") {min_val=0.0, max_val=6.0} : f32[" + n + "," + c + "," + h + "," + w + "]\n";
    }

    @Override
    public String toString() { return name; }
  }

  private static float[] gauss(Random r, int size, double std) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) a[i] = (float) (r.nextGaussian() * std);
    return a;
  }

  private static void close(String what, Tensor want, Tensor got) {
    double scale = 1e-6;
    for (double d : want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
    assertTrue(got.allClose(want, 1e-4 * scale, 1e-4), what + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
  }

  private static int[] bits(Tensor t) {
    float[] x = t.toFloatArray();
    int[] b = new int[x.length];
    for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
    return b;
  }
}
